use reqwest::Method;
use tessera_proto::passwords::*;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::users::UserFactorResponse;

use crate::{Client, ClientError};

/// `client.passwords()`.
#[derive(Debug, Clone, Copy)]
pub struct Passwords<'a> {
    pub(crate) client: &'a Client,
}

macro_rules! post {
    ($(#[$doc:meta] $name:ident($req:ty) -> $resp:ty = [$($seg:literal),*];)*) => {$(
        #[$doc]
        pub async fn $name(&self, req: &$req) -> Result<$resp, ClientError> {
            self.client.call(Method::POST, &["v1", "passwords", $($seg),*], Some(req)).await
        }
    )*};
}

impl Passwords<'_> {
    post! {
        /// `POST /v1/passwords`: a new user with a password.
        create(CreateRequest) -> FactorAuthenticateResponse = [];
        /// `POST /v1/passwords/authenticate`.
        authenticate(AuthenticateRequest) -> FactorAuthenticateResponse = ["authenticate"];
        /// `POST /v1/passwords/strength_check`.
        strength_check(StrengthCheckRequest) -> StrengthCheckResponse = ["strength_check"];
        /// `POST /v1/passwords/migrate`.
        migrate(MigrateRequest) -> MigrateResponse = ["migrate"];
        /// `POST /v1/passwords/email/reset/start`.
        email_reset_start(ResetStartRequest) -> ResetStartResponse = ["email", "reset", "start"];
        /// `POST /v1/passwords/email/reset`.
        email_reset(EmailResetRequest) -> FactorAuthenticateResponse = ["email", "reset"];
        /// `POST /v1/passwords/existing_password/reset`.
        existing_password_reset(ExistingResetRequest) -> FactorAuthenticateResponse = ["existing_password", "reset"];
        /// `POST /v1/passwords/session/reset`.
        session_reset(SessionResetRequest) -> FactorAuthenticateResponse = ["session", "reset"];
    }

    /// `DELETE /v1/users/passwords/{password_id}`.
    pub async fn delete(&self, password_id: &str) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &["v1", "users", "passwords", password_id],
                crate::NO_BODY,
            )
            .await
    }
}
