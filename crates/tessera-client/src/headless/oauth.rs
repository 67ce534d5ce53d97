//! `client.oauth()` and `client.impersonation()`: OAuth logins for apps without a web page of
//! their own (a CLI or a desktop app) through a loopback redirect (RFC 8252 §7.3), and
//! impersonation tokens.

use std::time::Duration;

use tessera_proto::oauth::ProviderValues;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A finished OAuth login.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthLogin {
    /// The session, now stored.
    pub session: Session,
    /// E.g. `Google`.
    pub provider_type: String,
    /// The provider's id of the user.
    pub provider_subject: String,
    /// The provider's tokens.
    pub provider_values: ProviderValues,
}

/// OAuth: `client.oauth()`.
pub struct OAuthApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl OAuthApi<'_> {
    /// The URL to open in a browser to log in with `provider`, landing on `redirect_url` (one
    /// of the project's redirect URLs; for loopback URLs any port). A PKCE pair is made and
    /// its verifier kept for [`authenticate`](Self::authenticate).
    pub fn start_url(&self, provider: &str, redirect_url: &str, scopes: &[&str]) -> url::Url {
        let challenge = self.c.new_pkce_challenge();
        let mut u = self.c.inner.base.clone();
        if let Ok(mut p) = u.path_segments_mut() {
            p.clear()
                .extend(["v1", "public", "oauth", provider, "start"]);
        }
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("public_token", &self.c.inner.public_token)
                .append_pair("login_redirect_url", redirect_url)
                .append_pair("signup_redirect_url", redirect_url)
                .append_pair("code_challenge", &challenge);
            if !scopes.is_empty() {
                q.append_pair("custom_scopes", &scopes.join(" "));
            }
        }
        u
    }

    /// Turns the token from the redirect URL into the client's session.
    pub async fn authenticate(
        &self,
        token: &str,
        session_duration_minutes: u32,
    ) -> Result<OAuthLogin, ClientError> {
        let body = serde_json::json!({
            "token": token,
            "code_verifier": self.c.pkce_verifier(),
            "session_duration_minutes": session_duration_minutes,
        });
        let v: serde_json::Value = self
            .c
            .call(Method::POST, "oauth/authenticate", Some(&body))
            .await?;
        let decode = |e: serde_json::Error| ClientError::Decode {
            status: 200,
            message: e.to_string(),
        };
        let r: wire::AuthenticateResponse = serde_json::from_value(v.clone()).map_err(decode)?;
        let o: tessera_proto::oauth::AuthenticateResponse =
            serde_json::from_value(v).map_err(decode)?;
        self.c.forget_pkce();
        self.c.apply(&r);
        Ok(OAuthLogin {
            session: r.session,
            provider_type: o.provider_type,
            provider_subject: o.provider_subject,
            provider_values: o.provider_values,
        })
    }

    /// Logs in with `provider` in the system browser: listens on a free loopback port, hands
    /// the start URL to `open` (say, to launch the browser), waits up to `timeout` for the
    /// browser to come back with the token, answers it a short page and authenticates.
    pub async fn login_via_loopback(
        &self,
        provider: &str,
        session_duration_minutes: u32,
        timeout: Duration,
        open: impl FnOnce(&url::Url),
    ) -> Result<OAuthLogin, ClientError> {
        let io = |e: std::io::Error| ClientError::Decode {
            status: 0,
            message: format!("loopback listener: {e}"),
        };
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(io)?;
        let port = listener.local_addr().map_err(io)?.port();
        let redirect = format!("http://127.0.0.1:{port}/callback");
        open(&self.start_url(provider, &redirect, &[]));
        let token = tokio::time::timeout(timeout, async {
            loop {
                let (mut stream, _) = listener.accept().await.map_err(io)?;
                let mut buf = vec![0u8; 8192];
                let n = stream.read(&mut buf).await.map_err(io)?;
                let head = String::from_utf8_lossy(&buf[..n]);
                let target = head
                    .lines()
                    .next()
                    .and_then(|l| l.split_whitespace().nth(1))
                    .unwrap_or("/");
                let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok();
                let token = url.as_ref().and_then(|u| {
                    u.query_pairs()
                        .find(|(k, _)| k == "token")
                        .map(|(_, v)| v.into_owned())
                });
                let page = if token.is_some() {
                    "Signed in. You can close this window."
                } else {
                    "Waiting for the sign-in to finish."
                };
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
                if let Some(t) = token {
                    return Ok::<_, ClientError>(t);
                }
            }
        })
        .await
        .map_err(|_| ClientError::Decode {
            status: 0,
            message: "the browser did not come back in time".into(),
        })??;
        self.authenticate(&token, session_duration_minutes).await
    }
}

/// Impersonation: `client.impersonation()`.
pub struct ImpersonationApi<'a> {
    pub(super) c: &'a HeadlessClient,
}

impl ImpersonationApi<'_> {
    /// Starts the 60-minute session an impersonation token grants.
    pub async fn authenticate(&self, impersonation_token: &str) -> Result<Session, ClientError> {
        let body = tessera_proto::oauth::ImpersonationAuthenticateRequest {
            impersonation_token: impersonation_token.to_owned(),
        };
        let r: wire::AuthenticateResponse = self
            .c
            .call(Method::POST, "impersonation/authenticate", Some(&body))
            .await?;
        self.c.apply(&r);
        Ok(r.session)
    }
}
