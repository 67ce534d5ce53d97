use tessera_proto::crypto_wallets as cw;
use tessera_proto::webauthn as wa;

use super::*;

impl HeadlessClient {
    /// WebAuthn with an authenticator the app drives.
    pub fn webauthn(&self) -> WebAuthnApi<'_> {
        WebAuthnApi { c: self }
    }

    /// Crypto-wallet logins.
    pub fn crypto_wallets(&self) -> CryptoWalletsApi<'_> {
        CryptoWalletsApi { c: self }
    }
}

fn which(c: &HeadlessClient) -> &'static str {
    if c.token().is_some() {
        "secondary"
    } else {
        "primary"
    }
}

/// Crypto wallets: `client.crypto_wallets()`. The app's wallet signs; the client does the rest.
pub struct CryptoWalletsApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl CryptoWalletsApi<'_> {
    /// The challenge for a wallet (`ethereum` or `solana`); signed in, the wallet will be
    /// added to the session's user.
    pub async fn authenticate_start(
        &self,
        crypto_wallet_type: &str,
        crypto_wallet_address: &str,
        siwe_params: Option<cw::SiweParams>,
    ) -> Result<String, ClientError> {
        let body = cw::SdkStartRequest {
            crypto_wallet_type: crypto_wallet_type.to_owned(),
            crypto_wallet_address: crypto_wallet_address.to_owned(),
            siwe_params,
        };
        let path = format!("crypto_wallets/authenticate/start/{}", which(self.c));
        let r: cw::SdkStartResponse = self.c.call(Method::POST, &path, Some(&body)).await?;
        Ok(r.challenge)
    }

    /// Logs in (or steps up) with the wallet's signature of its challenge.
    pub async fn authenticate(
        &self,
        crypto_wallet_type: &str,
        crypto_wallet_address: &str,
        signature: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = cw::SdkAuthenticateRequest {
            crypto_wallet_type: crypto_wallet_type.to_owned(),
            crypto_wallet_address: crypto_wallet_address.to_owned(),
            signature: signature.to_owned(),
            session_duration_minutes: Some(session_duration_minutes.into()),
        };
        let r: wire::AuthenticateResponse = self
            .c
            .call(Method::POST, "crypto_wallets/authenticate", Some(&body))
            .await?;
        self.c.apply(&r);
        Ok(r.session)
    }

    /// Start and authenticate in one: `sign` gets the challenge and returns the wallet's
    /// signature (`0x` hex for Ethereum's `personal_sign`, base58 for Solana).
    pub async fn login<F, Fut>(
        &self,
        (crypto_wallet_type, crypto_wallet_address): (&str, &str),
        sign: F,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = String>,
    {
        let challenge = self
            .authenticate_start(crypto_wallet_type, crypto_wallet_address, None)
            .await?;
        let signature = sign(challenge).await;
        self.authenticate(
            crypto_wallet_type,
            crypto_wallet_address,
            &signature,
            session_duration_minutes,
        )
        .await
    }
}

/// WebAuthn: `client.webauthn()`, for a desktop app that talks to an authenticator itself
/// (options and credentials are JSON strings in `@github/webauthn-json`'s form).
pub struct WebAuthnApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl WebAuthnApi<'_> {
    /// Creation options for the signed-in user.
    pub async fn register_start(
        &self,
        req: &wa::SdkRegisterStartRequest,
    ) -> Result<String, ClientError> {
        let r: wa::RegisterStartResponse = self
            .c
            .call(Method::POST, "webauthn/register/start", Some(req))
            .await?;
        Ok(r.public_key_credential_creation_options)
    }

    /// Registers the authenticator's credential; the session gets the factor.
    pub async fn register(
        &self,
        public_key_credential: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        self.send(
            "webauthn/register",
            public_key_credential,
            session_duration_minutes,
        )
        .await
    }

    /// Request options: any passkey when signed out, the user's credentials when signed in.
    pub async fn authenticate_start(
        &self,
        domain: &str,
        passkey: bool,
    ) -> Result<String, ClientError> {
        let body = wa::SdkAuthenticateStartRequest {
            domain: domain.to_owned(),
            return_passkey_credential_options: Some(passkey),
            use_base64_url_encoding: None,
        };
        let path = format!("webauthn/authenticate/start/{}", which(self.c));
        let r: wa::AuthenticateStartResponse =
            self.c.call(Method::POST, &path, Some(&body)).await?;
        Ok(r.public_key_credential_request_options)
    }

    /// Logs in (or steps up) with the authenticator's assertion.
    pub async fn authenticate(
        &self,
        public_key_credential: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        self.send(
            "webauthn/authenticate",
            public_key_credential,
            session_duration_minutes,
        )
        .await
    }

    async fn send(
        &self,
        path: &str,
        credential: &str,
        minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = wa::SdkCredentialRequest {
            public_key_credential: credential.to_owned(),
            session_duration_minutes: Some(minutes.into()),
        };
        let r: wire::AuthenticateResponse = self.c.call(Method::POST, path, Some(&body)).await?;
        self.c.apply(&r);
        Ok(r.session)
    }

    /// Renames one of the signed-in user's registrations.
    pub async fn update(
        &self,
        webauthn_registration_id: &str,
        name: &str,
    ) -> Result<wa::UpdateResponse, ClientError> {
        let body = wa::UpdateRequest {
            name: name.to_owned(),
        };
        let path = format!("webauthn/update/{webauthn_registration_id}");
        self.c.call(Method::PUT, &path, Some(&body)).await
    }
}
