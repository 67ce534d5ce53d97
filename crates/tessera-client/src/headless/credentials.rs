use tessera_proto::passwords as pw;
use tessera_proto::sessions::SessionOptions;
use tessera_proto::totps::RecoveryCodesResponse;

use super::*;

fn minutes(m: u32) -> SessionOptions {
    SessionOptions {
        session_duration_minutes: Some(m.into()),
        ..Default::default()
    }
}

/// Passwords: `client.passwords()`.
pub struct PasswordsApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl PasswordsApi<'_> {
    async fn login(&self, path: &str, body: &impl Serialize) -> Result<Session, ClientError> {
        let r: wire::AuthenticateResponse = self.c.call(Method::POST, path, Some(body)).await?;
        self.c.apply(&r);
        Ok(r.session)
    }

    /// Signs up a new user with an email and a password (it must pass the project's policy).
    pub async fn create(
        &self,
        email: &str,
        password: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = pw::CreateRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            session: minutes(session_duration_minutes),
            ..Default::default()
        };
        self.login("passwords", &body).await
    }

    /// Logs in with an email and a password.
    pub async fn authenticate(
        &self,
        email: &str,
        password: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = pw::AuthenticateRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            session: minutes(session_duration_minutes),
        };
        self.login("passwords/authenticate", &body).await
    }

    /// How the project's policy judges a password (with `email`, the breach check too).
    pub async fn strength_check(
        &self,
        email: Option<&str>,
        password: &str,
    ) -> Result<pw::StrengthCheckResponse, ClientError> {
        let body = pw::StrengthCheckRequest {
            password: password.to_owned(),
            email: email.map(str::to_owned),
        };
        self.c
            .call(Method::POST, "passwords/strength_check", Some(&body))
            .await
    }

    /// Emails a reset link; a PKCE pair is made and kept, so only this client can use it.
    pub async fn reset_by_email_start(
        &self,
        email: &str,
        redirect_url: Option<&str>,
    ) -> Result<(), ClientError> {
        let challenge = self.c.new_pkce_challenge();
        let body = pw::ResetStartRequest {
            email: email.to_owned(),
            reset_password_redirect_url: redirect_url.map(str::to_owned),
            code_challenge: Some(challenge),
            ..Default::default()
        };
        let _: wire::Empty = self
            .c
            .call(Method::POST, "passwords/email/reset/start", Some(&body))
            .await?;
        Ok(())
    }

    /// Sets a new password with the token of the emailed link and logs in; the user's other
    /// sessions end.
    pub async fn reset_by_email(
        &self,
        token: &str,
        password: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let verifier = self.c.pkce_verifier();
        let body = pw::EmailResetRequest {
            token: token.to_owned(),
            password: password.to_owned(),
            code_verifier: verifier,
            session: minutes(session_duration_minutes),
            ..Default::default()
        };
        let s = self.login("passwords/email/reset", &body).await?;
        self.c.forget_pkce();
        Ok(s)
    }

    /// Changes the password with the current one; the user's other sessions end.
    pub async fn reset_by_existing_password(
        &self,
        email: &str,
        existing_password: &str,
        new_password: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = pw::ExistingResetRequest {
            email: email.to_owned(),
            existing_password: existing_password.to_owned(),
            new_password: new_password.to_owned(),
            session: minutes(session_duration_minutes),
        };
        self.login("passwords/existing_password/reset", &body).await
    }

    /// Changes the password from this session (it needs a password or email factor from the
    /// last 5 minutes); the user's other sessions end.
    pub async fn reset_by_session(
        &self,
        password: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = pw::SessionResetRequest {
            password: password.to_owned(),
            session: minutes(session_duration_minutes),
        };
        self.login("passwords/session/reset", &body).await
    }
}

/// A new authenticator-app registration, shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpEnrolment {
    /// The registration.
    pub totp_id: String,
    /// The shared secret, base32.
    pub secret: String,
    /// The `otpauth://` URI as a PNG data URL.
    pub qr_code: String,
    /// Ten single-use recovery codes.
    pub recovery_codes: Vec<String>,
}

/// Authenticator apps: `client.totps()`.
pub struct TotpsApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl TotpsApi<'_> {
    /// Enrols an authenticator app for the signed-in user.
    pub async fn create(&self, expiration_minutes: u32) -> Result<TotpEnrolment, ClientError> {
        let body = wire::TotpCreateRequest {
            expiration_minutes: Some(expiration_minutes.into()),
        };
        let r: wire::TotpCreateResponse = self.c.call(Method::POST, "totps", Some(&body)).await?;
        self.c.set_user(r.user);
        Ok(TotpEnrolment {
            totp_id: r.totp_id,
            secret: r.secret,
            qr_code: r.qr_code,
            recovery_codes: r.recovery_codes,
        })
    }

    async fn login(&self, path: &str, body: wire::TotpCodeRequest) -> Result<Session, ClientError> {
        let r: wire::AuthenticateResponse = self.c.call(Method::POST, path, Some(&body)).await?;
        self.c.apply(&r);
        Ok(r.session)
    }

    /// Adds an authenticator-app code to the session (a second factor).
    pub async fn authenticate(
        &self,
        code: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = wire::TotpCodeRequest {
            totp_code: Some(code.to_owned()),
            session_duration_minutes: Some(session_duration_minutes.into()),
            ..Default::default()
        };
        self.login("totps/authenticate", body).await
    }

    /// Adds a recovery code to the session instead (each works once).
    pub async fn recover(
        &self,
        recovery_code: &str,
        session_duration_minutes: u32,
    ) -> Result<Session, ClientError> {
        let body = wire::TotpCodeRequest {
            recovery_code: Some(recovery_code.to_owned()),
            session_duration_minutes: Some(session_duration_minutes.into()),
            ..Default::default()
        };
        self.login("totps/recover", body).await
    }

    /// The signed-in user's unused recovery codes.
    pub async fn recovery_codes(&self) -> Result<RecoveryCodesResponse, ClientError> {
        self.c
            .call(Method::POST, "totps/recovery_codes", None::<&()>)
            .await
    }
}
