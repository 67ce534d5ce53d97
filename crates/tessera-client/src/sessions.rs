use reqwest::Method;
use tessera_proto::sessions::*;

use crate::{Client, ClientError};

/// The Sessions API: `client.sessions().authenticate(..)`.
#[derive(Debug, Clone, Copy)]
pub struct Sessions<'a> {
    pub(crate) client: &'a Client,
}

impl Sessions<'_> {
    /// `POST /v1/sessions/authenticate`.
    pub async fn authenticate(
        &self,
        req: &AuthenticateSessionRequest,
    ) -> Result<AuthenticateSessionResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "sessions", "authenticate"], Some(req))
            .await
    }

    /// `GET /v1/sessions?user_id=`: a user's active sessions.
    pub async fn list(&self, user_id: &str) -> Result<GetSessionsResponse, ClientError> {
        self.client
            .call_query(Method::GET, &["v1", "sessions"], &[("user_id", user_id)])
            .await
    }

    /// `POST /v1/sessions/revoke`.
    pub async fn revoke(&self, req: &RevokeSessionRequest) -> Result<EmptyResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "sessions", "revoke"], Some(req))
            .await
    }

    /// `GET /v1/sessions/jwks/{project_id}` for this client's project.
    pub async fn jwks(&self) -> Result<JwksResponse, ClientError> {
        let pid = self.client.project_id().to_owned();
        self.client
            .call(
                Method::GET,
                &["v1", "sessions", "jwks", &pid],
                crate::NO_BODY,
            )
            .await
    }
}
