use reqwest::Method;
use tessera_proto::oauth::*;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::users::UserFactorResponse;

use crate::{Client, ClientError};

/// `client.oauth()`.
#[derive(Debug, Clone, Copy)]
pub struct OAuth<'a> {
    pub(crate) client: &'a Client,
}

impl OAuth<'_> {
    /// `POST /v1/oauth/authenticate`: the token from the app's redirect URL becomes a session,
    /// with the provider's tokens.
    pub async fn authenticate(
        &self,
        req: &AuthenticateRequest,
    ) -> Result<AuthenticateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "oauth", "authenticate"], Some(req))
            .await
    }

    /// `POST /v1/oauth/attach`: a token that makes the next flow log into this user.
    pub async fn attach(&self, req: &AttachRequest) -> Result<AttachResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "oauth", "attach"], Some(req))
            .await
    }

    /// `DELETE /v1/users/oauth/{oauth_user_registration_id}`.
    pub async fn delete_registration(&self, id: &str) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &["v1", "users", "oauth", id],
                crate::NO_BODY,
            )
            .await
    }

    /// The browser's start URL for `provider` (`GET /v1/public/oauth/{provider}/start`), with
    /// the given query parameters (`public_token` first).
    pub fn start_url(
        &self,
        provider: &str,
        public_token: &str,
        params: &[(&str, &str)],
    ) -> url::Url {
        let mut u = self
            .client
            .url(&["v1", "public", "oauth", provider, "start"]);
        u.query_pairs_mut()
            .append_pair("public_token", public_token)
            .extend_pairs(params);
        u
    }
}

/// `client.impersonation()`.
#[derive(Debug, Clone, Copy)]
pub struct Impersonation<'a> {
    pub(crate) client: &'a Client,
}

impl Impersonation<'_> {
    /// `POST /v1/impersonation/tokens` (Tessera): a single-use token, valid five minutes.
    pub async fn mint(
        &self,
        req: &ImpersonationTokenRequest,
    ) -> Result<ImpersonationTokenResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "impersonation", "tokens"], Some(req))
            .await
    }

    /// `POST /v1/impersonation/authenticate`: a 60-minute session that cannot be extended.
    pub async fn authenticate(
        &self,
        req: &ImpersonationAuthenticateRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "impersonation", "authenticate"],
                Some(req),
            )
            .await
    }
}
