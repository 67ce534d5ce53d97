//! `client.otps()` and `client.magic_links()`: the logins.

use super::*;

/// The answer to a passcode send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    /// The phone or email id to authenticate with.
    pub method_id: String,
}

/// Passcodes: `client.otps()`.
pub struct OtpsApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl OtpsApi<'_> {
    async fn send(&self, path: &str, body: wire::OtpSendRequest) -> Result<CodeSent, ClientError> {
        let r: wire::OtpSendResponse = self.c.call(Method::POST, path, Some(&body)).await?;
        Ok(CodeSent {
            method_id: r.method_id,
        })
    }

    /// Emails a code, creating the user when the address is new.
    pub async fn email_login_or_create(
        &self,
        email: &str,
        expiration_minutes: u32,
    ) -> Result<CodeSent, ClientError> {
        let body = wire::OtpSendRequest {
            email: Some(email.to_owned()),
            expiration_minutes: Some(expiration_minutes.into()),
            ..Default::default()
        };
        self.send("otps/email/login_or_create", body).await
    }

    /// Texts a code by SMS, creating the user when the number is new.
    pub async fn sms_login_or_create(
        &self,
        phone_number: &str,
        expiration_minutes: u32,
    ) -> Result<CodeSent, ClientError> {
        let body = wire::OtpSendRequest {
            phone_number: Some(phone_number.to_owned()),
            expiration_minutes: Some(expiration_minutes.into()),
            ..Default::default()
        };
        self.send("otps/sms/login_or_create", body).await
    }

    /// Checks a code; on success the session is stored, subscribers are told and the
    /// background refresh starts. With a session already, the factor is added to it.
    pub async fn authenticate(
        &self,
        code: &str,
        method_id: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = wire::OtpAuthenticateRequest {
            token: code.to_owned(),
            method_id: method_id.to_owned(),
            session_duration_minutes: Some(session_duration_minutes.into()),
        };
        let r: wire::AuthenticateResponse = self
            .c
            .call(Method::POST, "otps/authenticate", Some(&body))
            .await?;
        self.c.apply(&r);
        Ok(r.session)
    }
}

/// Email magic links: `client.magic_links()`.
pub struct MagicLinksApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl MagicLinksApi<'_> {
    /// Emails a login (or signup) link. A PKCE pair is made and kept (in the storage too), so
    /// only this client can use the link's token.
    pub async fn email_login_or_create(
        &self,
        email: &str,
        redirect_url: Option<&str>,
    ) -> Result<(), ClientError> {
        let challenge = self.c.new_pkce_challenge();
        let body = wire::MagicLinkSendRequest {
            email: email.to_owned(),
            login_magic_link_url: redirect_url.map(str::to_owned),
            signup_magic_link_url: redirect_url.map(str::to_owned),
            code_challenge: Some(challenge),
            ..Default::default()
        };
        let _: wire::Empty = self
            .c
            .call(
                Method::POST,
                "magic_links/email/login_or_create",
                Some(&body),
            )
            .await?;
        Ok(())
    }

    /// Spends the token from the link with the kept PKCE verifier.
    pub async fn authenticate(
        &self,
        token: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let verifier = self.c.pkce_verifier();
        let body = wire::MagicLinkAuthenticateRequest {
            token: token.to_owned(),
            session_duration_minutes: Some(session_duration_minutes.into()),
            code_verifier: verifier,
        };
        let r: wire::AuthenticateResponse = self
            .c
            .call(Method::POST, "magic_links/authenticate", Some(&body))
            .await?;
        self.c.forget_pkce();
        self.c.apply(&r);
        Ok(r.session)
    }
}
