use reqwest::Method;
use tessera_proto::crypto_wallets as cw;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::users::UserFactorResponse;
use tessera_proto::webauthn as wa;

use crate::{Client, ClientError};

/// `client.webauthn()`.
#[derive(Debug, Clone, Copy)]
pub struct WebAuthn<'a> {
    pub(crate) client: &'a Client,
}

impl WebAuthn<'_> {
    /// `POST /v1/webauthn/register/start`: creation options (a JSON string) for the user.
    pub async fn register_start(
        &self,
        req: &wa::RegisterStartRequest,
    ) -> Result<wa::RegisterStartResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "webauthn", "register", "start"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/webauthn/register`: stores the authenticator's credential.
    pub async fn register(
        &self,
        req: &wa::RegisterRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "webauthn", "register"], Some(req))
            .await
    }

    /// `POST /v1/webauthn/authenticate/start`: request options (no `user_id`: any passkey).
    pub async fn authenticate_start(
        &self,
        req: &wa::AuthenticateStartRequest,
    ) -> Result<wa::AuthenticateStartResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "webauthn", "authenticate", "start"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/webauthn/authenticate`: verifies an assertion.
    pub async fn authenticate(
        &self,
        req: &wa::AuthenticateRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "webauthn", "authenticate"], Some(req))
            .await
    }

    /// `PUT /v1/webauthn/{id}`: renames a registration.
    pub async fn update(
        &self,
        webauthn_registration_id: &str,
        name: &str,
    ) -> Result<wa::UpdateResponse, ClientError> {
        let body = wa::UpdateRequest {
            name: name.to_owned(),
        };
        self.client
            .call(
                Method::PUT,
                &["v1", "webauthn", webauthn_registration_id],
                Some(&body),
            )
            .await
    }

    /// `GET /v1/webauthn/credentials/{user_id}/{domain}`.
    pub async fn credentials(
        &self,
        user_id: &str,
        domain: &str,
    ) -> Result<wa::CredentialsResponse, ClientError> {
        self.client
            .call(
                Method::GET,
                &["v1", "webauthn", "credentials", user_id, domain],
                crate::NO_BODY,
            )
            .await
    }

    /// `DELETE /v1/users/webauthn_registrations/{id}`.
    pub async fn delete(
        &self,
        webauthn_registration_id: &str,
    ) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &[
                    "v1",
                    "users",
                    "webauthn_registrations",
                    webauthn_registration_id,
                ],
                crate::NO_BODY,
            )
            .await
    }
}

/// `client.crypto_wallets()`.
#[derive(Debug, Clone, Copy)]
pub struct CryptoWallets<'a> {
    pub(crate) client: &'a Client,
}

impl CryptoWallets<'_> {
    /// `POST /v1/crypto_wallets/authenticate/start`: the challenge to sign.
    pub async fn authenticate_start(
        &self,
        req: &cw::AuthenticateStartRequest,
    ) -> Result<cw::AuthenticateStartResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "crypto_wallets", "authenticate", "start"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/crypto_wallets/authenticate`: checks the signature.
    pub async fn authenticate(
        &self,
        req: &cw::AuthenticateRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "crypto_wallets", "authenticate"],
                Some(req),
            )
            .await
    }

    /// `DELETE /v1/users/crypto_wallets/{id}`.
    pub async fn delete(&self, crypto_wallet_id: &str) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &["v1", "users", "crypto_wallets", crypto_wallet_id],
                crate::NO_BODY,
            )
            .await
    }
}
