use reqwest::Method;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::totps::*;
use tessera_proto::users::UserFactorResponse;

use crate::{Client, ClientError};

/// `client.totps()`.
#[derive(Debug, Clone, Copy)]
pub struct Totps<'a> {
    pub(crate) client: &'a Client,
}

impl Totps<'_> {
    /// `POST /v1/totps`: the secret, its QR code and ten recovery codes.
    pub async fn create(&self, req: &CreateRequest) -> Result<CreateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "totps"], Some(req))
            .await
    }

    /// `POST /v1/totps/authenticate`.
    pub async fn authenticate(
        &self,
        req: &AuthenticateRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "totps", "authenticate"], Some(req))
            .await
    }

    /// `POST /v1/totps/recovery_codes`.
    pub async fn recovery_codes(
        &self,
        req: &RecoveryCodesRequest,
    ) -> Result<RecoveryCodesResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "totps", "recovery_codes"], Some(req))
            .await
    }

    /// `POST /v1/totps/recover`.
    pub async fn recover(
        &self,
        req: &RecoverRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "totps", "recover"], Some(req))
            .await
    }

    /// `DELETE /v1/users/totps/{totp_id}`.
    pub async fn delete(&self, totp_id: &str) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &["v1", "users", "totps", totp_id],
                crate::NO_BODY,
            )
            .await
    }
}
