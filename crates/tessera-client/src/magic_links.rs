use reqwest::Method;
use tessera_proto::magic_links::*;
use tessera_proto::sessions::{EmptyResponse, FactorAuthenticateResponse};

use crate::{Client, ClientError};

/// The Magic Links API: `client.magic_links().login_or_create(..)`.
#[derive(Debug, Clone, Copy)]
pub struct MagicLinks<'a> {
    pub(crate) client: &'a Client,
}

impl MagicLinks<'_> {
    /// `POST /v1/magic_links/email/send`.
    pub async fn send(
        &self,
        req: &EmailMagicLinkRequest,
    ) -> Result<EmailMagicLinkResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "magic_links", "email", "send"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/magic_links/email/login_or_create`.
    pub async fn login_or_create(
        &self,
        req: &EmailMagicLinkRequest,
    ) -> Result<LoginOrCreateResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "magic_links", "email", "login_or_create"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/magic_links/email/invite`.
    pub async fn invite(&self, req: &InviteRequest) -> Result<EmailMagicLinkResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "magic_links", "email", "invite"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/magic_links/email/revoke_invite`.
    pub async fn revoke_invite(
        &self,
        req: &RevokeInviteRequest,
    ) -> Result<EmptyResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "magic_links", "email", "revoke_invite"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/magic_links`: an embeddable token.
    pub async fn create(
        &self,
        req: &CreateEmbeddableRequest,
    ) -> Result<CreateEmbeddableResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "magic_links"], Some(req))
            .await
    }

    /// `POST /v1/magic_links/authenticate`.
    pub async fn authenticate(
        &self,
        req: &AuthenticateMagicLinkRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "magic_links", "authenticate"],
                Some(req),
            )
            .await
    }
}
