//! Rust client for Tessera's backend API (and Stytch's consumer API: the base URL is the only
//! difference).
//!
//! ```no_run
//! # async fn demo() -> Result<(), tessera_client::ClientError> {
//! let client = tessera_client::Client::new("http://127.0.0.1:4000", "project-test-…", "secret-test-…")?;
//! let created = client.users().create(&Default::default()).await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
pub use tessera_proto as proto;
use tessera_proto::ErrorResponse;

/// axum extractors that authenticate a request's session.
#[cfg(feature = "axum")]
pub mod axum;
/// The event store (`client.events()`) and webhook signature verification.
pub mod events;
/// The headless session client over the frontend API (`/sdk/v1`).
#[cfg(feature = "headless")]
pub mod headless;
/// Local verification of session JWTs against the project's JWKS.
pub mod jwt;
/// `/v1/webauthn`, `/v1/crypto_wallets`: the public-key factors.
mod keys;
/// `/v1/magic_links`.
mod magic_links;
/// `/v1/oauth`, `/v1/impersonation`.
mod oauth;
/// `/v1/otps`.
mod otps;
/// `/v1/passwords`.
mod passwords;
/// Following the revocation feed, so local JWT verification refuses revoked sessions.
pub mod revocations;
/// `/v1/sessions`.
mod sessions;
/// `/v1/totps`.
mod totps;
/// `/v1/users`.
mod users;

pub use events::{EventQuery, WebhookDelivery, WebhookError, verify_webhook};
pub use jwt::{JwtError, JwtVerifier};
pub use keys::{CryptoWallets, WebAuthn};
pub use magic_links::MagicLinks;
pub use oauth::{Impersonation, OAuth};
pub use otps::{OtpChannel, Otps};
pub use passwords::Passwords;
pub use revocations::RevocationFeed;
pub use sessions::{JwtSession, Sessions};
pub use totps::Totps;
pub use users::Users;

pub(crate) const NO_BODY: Option<&()> = None;

/// What can go wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with Stytch's error envelope.
    #[error("{} ({}): {}", .0.error_type, .0.status_code, .0.error_message)]
    Api(Box<ErrorResponse>),
    /// The request did not complete (connection, TLS, timeout).
    #[error("transport error: {0}")]
    Transport(#[from] reqwest::Error),
    /// The server answered something that is not the expected JSON.
    #[error("unexpected response (HTTP {status}): {message}")]
    Decode {
        /// HTTP status of the answer.
        status: u16,
        /// What failed to parse.
        message: String,
    },
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(String),
    /// A session JWT was refused by local verification.
    #[error("{0}")]
    Jwt(#[from] JwtError),
}

impl ClientError {
    /// The `error_type` when the server answered with an error envelope.
    pub fn error_type(&self) -> Option<&str> {
        match self {
            ClientError::Api(e) => Some(&e.error_type),
            _ => None,
        }
    }

    /// The HTTP status when the server answered.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            ClientError::Api(e) => Some(e.status_code),
            ClientError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An absolute http(s) base URL.
pub(crate) fn parse_base_url(s: &str) -> Result<url::Url, ClientError> {
    let base = url::Url::parse(s).map_err(|e| ClientError::InvalidBaseUrl(format!("{s}: {e}")))?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(ClientError::InvalidBaseUrl(s.to_owned()));
    }
    Ok(base)
}

/// A pooled HTTP client with a timeout, a user agent and extra trusted roots (PEM).
pub(crate) fn http_client(
    timeout: Duration,
    user_agent: &'static str,
    root_certificates: &[Vec<u8>],
) -> Result<reqwest::Client, ClientError> {
    let mut http = reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(user_agent);
    for pem in root_certificates {
        http = http.add_root_certificate(reqwest::Certificate::from_pem(pem)?);
    }
    Ok(http.build()?)
}

/// Options for [`Client::builder`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    project_id: String,
    secret: String,
    timeout: Duration,
    root_certificates: Vec<Vec<u8>>,
    jwks_refetch_interval: Duration,
}

impl ClientBuilder {
    /// The shortest time between two JWKS fetches caused by JWTs with unknown key ids
    /// (default [`jwt::DEFAULT_REFETCH_INTERVAL`]): forged key ids cannot make the client
    /// hammer the server.
    pub fn jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks_refetch_interval = interval;
        self
    }

    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trusts an extra root certificate (PEM), e.g. a self-signed development certificate.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.root_certificates.push(pem.to_vec());
        self
    }

    /// Builds the client. Connections are pooled and reused across calls and clones.
    pub fn build(self) -> Result<Client, ClientError> {
        let base = parse_base_url(&self.base_url)?;
        let http = http_client(
            self.timeout,
            concat!("tessera-client/", env!("CARGO_PKG_VERSION")),
            &self.root_certificates,
        )?;
        Ok(Client {
            http,
            base,
            jwt: std::sync::Arc::new(JwtVerifier::new(
                &self.project_id,
                self.jwks_refetch_interval,
            )),
            project_id: self.project_id,
            secret: self.secret,
        })
    }
}

/// A backend API client. Cheap to clone; clones share the connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: url::Url,
    project_id: String,
    secret: String,
    jwt: std::sync::Arc<JwtVerifier>,
}

impl Client {
    /// A client with default options.
    pub fn new(base_url: &str, project_id: &str, secret: &str) -> Result<Self, ClientError> {
        Self::builder(base_url, project_id, secret).build()
    }

    /// A client with options.
    pub fn builder(base_url: &str, project_id: &str, secret: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            project_id: project_id.to_owned(),
            secret: secret.to_owned(),
            timeout: Duration::from_secs(30),
            root_certificates: Vec::new(),
            jwks_refetch_interval: jwt::DEFAULT_REFETCH_INTERVAL,
        }
    }

    /// The project this client acts for.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The verifier of this project's session JWTs (its keys are fetched on first use).
    pub fn jwt_verifier(&self) -> &JwtVerifier {
        &self.jwt
    }

    /// The Users API.
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }

    /// The Sessions API.
    pub fn sessions(&self) -> Sessions<'_> {
        Sessions { client: self }
    }

    /// The event store (a Tessera extension).
    pub fn events(&self) -> events::Events<'_> {
        events::Events { client: self }
    }

    /// The Magic Links API.
    pub fn magic_links(&self) -> MagicLinks<'_> {
        MagicLinks { client: self }
    }

    /// The One-Time Passcodes API.
    pub fn otps(&self) -> Otps<'_> {
        Otps { client: self }
    }

    /// The Passwords API.
    pub fn passwords(&self) -> Passwords<'_> {
        Passwords { client: self }
    }

    /// The TOTP API.
    pub fn totps(&self) -> Totps<'_> {
        Totps { client: self }
    }

    /// The OAuth API.
    pub fn oauth(&self) -> OAuth<'_> {
        OAuth { client: self }
    }

    /// Impersonation.
    pub fn impersonation(&self) -> Impersonation<'_> {
        Impersonation { client: self }
    }

    /// The WebAuthn API (passkeys, security keys).
    pub fn webauthn(&self) -> WebAuthn<'_> {
        WebAuthn { client: self }
    }

    /// The crypto-wallet API.
    pub fn crypto_wallets(&self) -> CryptoWallets<'_> {
        CryptoWallets { client: self }
    }

    /// `/v1/…` at the root of the base URL's host, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear().extend(segments);
        }
        url
    }

    async fn call<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&Req>,
    ) -> Result<Resp, ClientError> {
        self.send(method, self.url(segments), body).await
    }

    async fn call_query<Resp: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Resp, ClientError> {
        let mut url = self.url(segments);
        url.query_pairs_mut().extend_pairs(query);
        self.send(method, url, NO_BODY).await
    }

    async fn send<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Req>,
    ) -> Result<Resp, ClientError> {
        let mut req = self
            .http
            .request(method, url)
            .basic_auth(&self.project_id, Some(&self.secret));
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        decode(status, &bytes)
    }
}

fn decode<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T, ClientError> {
    if status.is_client_error() || status.is_server_error() {
        return Err(match serde_json::from_slice::<ErrorResponse>(bytes) {
            Ok(e) => ClientError::Api(Box::new(e)),
            Err(e) => ClientError::Decode {
                status: status.as_u16(),
                message: format!("error body is not Stytch's envelope: {e}"),
            },
        });
    }
    serde_json::from_slice(bytes).map_err(|e| ClientError::Decode {
        status: status.as_u16(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rooted_and_encoded() {
        let c = Client::new("http://h:1/ignored/prefix/", "p", "s").unwrap();
        assert_eq!(
            c.url(&["v1", "users", "a b/c"]).as_str(),
            "http://h:1/v1/users/a%20b%2Fc"
        );
    }

    #[test]
    fn error_envelopes_decode_to_api_errors() {
        let body = br#"{"status_code":404,"request_id":"r","error_type":"user_not_found","error_message":"m","error_url":"u"}"#;
        let e = decode::<serde_json::Value>(StatusCode::NOT_FOUND, body).unwrap_err();
        assert_eq!(e.error_type(), Some("user_not_found"));
        assert_eq!(e.status_code(), Some(404));
        let e = decode::<serde_json::Value>(StatusCode::BAD_GATEWAY, b"<html>").unwrap_err();
        assert!(matches!(e, ClientError::Decode { status: 502, .. }));
    }

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(Client::new("ftp://x", "p", "s").is_err());
        assert!(Client::new("not a url", "p", "s").is_err());
    }
}
