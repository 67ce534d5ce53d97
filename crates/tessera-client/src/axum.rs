//! axum integration: extractors that authenticate the request's Tessera (or Stytch) session.
//!
//! The session comes from `Authorization: Bearer <session JWT or token>`, else the
//! `stytch_session_jwt` cookie, else the `stytch_session` cookie (the browser SDK's names). A
//! JWT is verified locally (no round trip); a stale one, or an opaque token, is checked with the
//! API. Failures answer 401 in Stytch's error envelope.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use tessera_client::axum::{Authenticated, SessionAuth};
//!
//! async fn me(Authenticated(session): Authenticated) -> String {
//!     format!("hello {}", session.user_id)
//! }
//!
//! # fn demo(client: tessera_client::Client) {
//! let app: Router = Router::new()
//!     .route("/me", get(me))
//!     .with_state(SessionAuth::new(client));
//! # }
//! ```

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ::axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use ::axum::http::request::Parts;
use ::axum::http::{HeaderMap, StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use tessera_proto::ErrorResponse;
use tessera_proto::sessions::{AuthenticateSessionRequest, Session};

use crate::{Client, ClientError, RevocationFeed};

/// The browser SDK's cookie holding the session JWT.
pub const JWT_COOKIE: &str = "stytch_session_jwt";
/// The browser SDK's cookie holding the opaque session token.
pub const TOKEN_COOKIE: &str = "stytch_session";

/// What the extractors need: a backend client and how old a JWT may be before the API is
/// asked instead. By default the client follows the server's revocation feed (from the first
/// request on), so a revoked session's JWT is refused within about a second, and any other
/// unexpired JWT is accepted locally; while the feed cannot be reached, JWTs are checked with
/// the API (see [`crate::revocations`]).
#[derive(Debug, Clone)]
pub struct SessionAuth {
    client: Client,
    max_token_age: Option<Duration>,
    feed: Option<Arc<OnceLock<RevocationFeed>>>,
}

impl SessionAuth {
    /// Authenticates with `client`'s project.
    pub fn new(client: Client) -> Self {
        SessionAuth {
            client,
            max_token_age: None,
            feed: Some(Arc::default()),
        }
    }

    /// Does not follow the revocation feed: a revocation then reaches this process when the
    /// JWT expires (within 5 minutes), or after [`max_token_age`](Self::max_token_age), and
    /// JWTs keep verifying locally while the server is unreachable.
    pub fn without_revocation_feed(mut self) -> Self {
        self.feed = None;
        self
    }

    /// JWTs issued longer ago than `age` are checked with the API (which sees revocations at
    /// once) instead of locally.
    pub fn max_token_age(mut self, age: Duration) -> Self {
        self.max_token_age = Some(age);
        self
    }

    /// The session the request carries, if any and valid.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Session, SessionRejection> {
        if let Some(feed) = &self.feed {
            feed.get_or_init(|| self.client.subscribe_revocations());
        }
        let creds = Credentials::from_headers(headers);
        let mut last = SessionRejection::missing();
        if let Some(jwt) = &creds.jwt {
            match self
                .client
                .sessions()
                .authenticate_jwt(jwt, self.max_token_age)
                .await
            {
                Ok(s) => return Ok(s.session),
                Err(e) => last = SessionRejection::from(e),
            }
        }
        if let Some(token) = &creds.token {
            let r = self
                .client
                .sessions()
                .authenticate(&AuthenticateSessionRequest {
                    session_token: Some(token.clone()),
                    ..Default::default()
                })
                .await;
            match r {
                Ok(r) => return Ok(r.session),
                Err(e) => last = SessionRejection::from(e),
            }
        }
        Err(last)
    }
}

/// Where a request carries its session.
#[derive(Debug, Default, PartialEq)]
struct Credentials {
    jwt: Option<String>,
    token: Option<String>,
}

impl Credentials {
    fn from_headers(headers: &HeaderMap) -> Self {
        let mut c = Credentials::default();
        if let Some(bearer) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            if bearer.matches('.').count() == 2 {
                c.jwt = Some(bearer.to_owned());
            } else {
                c.token = Some(bearer.to_owned());
            }
            return c;
        }
        for value in headers.get_all(header::COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            for pair in value.split(';') {
                let Some((name, v)) = pair.trim().split_once('=') else {
                    continue;
                };
                if v.is_empty() {
                    continue;
                }
                match name {
                    JWT_COOKIE if c.jwt.is_none() => c.jwt = Some(v.to_owned()),
                    TOKEN_COOKIE if c.token.is_none() => c.token = Some(v.to_owned()),
                    _ => {}
                }
            }
        }
        c
    }
}

/// Why a request was refused: a 401 (or a 503 when Tessera could not be asked) in Stytch's
/// error envelope.
#[derive(Debug)]
pub struct SessionRejection {
    status: StatusCode,
    error_type: &'static str,
    message: String,
}

impl SessionRejection {
    fn missing() -> Self {
        SessionRejection {
            status: StatusCode::UNAUTHORIZED,
            error_type: "unauthorized_credentials",
            message: "No session: send Authorization: Bearer <session JWT>, or the \
                      stytch_session_jwt / stytch_session cookie."
                .into(),
        }
    }

    /// The error type sent to the caller.
    pub fn error_type(&self) -> &str {
        self.error_type
    }
}

impl From<ClientError> for SessionRejection {
    fn from(e: ClientError) -> Self {
        match &e {
            ClientError::Api(api) if api.status_code < 500 => SessionRejection {
                status: StatusCode::UNAUTHORIZED,
                error_type: if api.error_type == "session_not_found" {
                    "session_not_found"
                } else {
                    "unauthorized_credentials"
                },
                message: api.error_message.clone(),
            },
            ClientError::Jwt(j) => SessionRejection {
                status: StatusCode::UNAUTHORIZED,
                error_type: "unauthorized_credentials",
                message: j.to_string(),
            },
            _ => SessionRejection {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error_type: "session_service_unavailable",
                message: format!("The session could not be checked: {e}"),
            },
        }
    }
}

impl IntoResponse for SessionRejection {
    fn into_response(self) -> Response {
        let code = self.status.as_u16();
        let body = ErrorResponse {
            status_code: code,
            request_id: String::new(),
            error_type: self.error_type.to_owned(),
            error_message: self.message,
            error_url: format!(
                "https://stytch.com/docs/api/errors/{code}#{}",
                self.error_type
            ),
            error_details: None,
        };
        (self.status, ::axum::Json(body)).into_response()
    }
}

/// A request with a valid session; anything else is refused with 401.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Session);

impl<S> FromRequestParts<S> for Authenticated
where
    SessionAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<Authenticated>() {
            return Ok(a.clone());
        }
        let auth = SessionAuth::from_ref(state);
        let session = auth.authenticate(&parts.headers).await?;
        let a = Authenticated(session);
        parts.extensions.insert(a.clone());
        Ok(a)
    }
}

/// `Option<Authenticated>`: `None` when the request carries no valid session (a network
/// failure still answers 503).
impl<S> OptionalFromRequestParts<S> for Authenticated
where
    SessionAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = SessionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <Authenticated as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(a) => Ok(Some(a)),
            Err(r) if r.status == StatusCode::UNAUTHORIZED => Ok(None),
            Err(r) => Err(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn credentials_come_from_bearer_then_cookies() {
        let c = Credentials::from_headers(&headers(&[(header::AUTHORIZATION, "Bearer a.b.c")]));
        assert_eq!(c.jwt.as_deref(), Some("a.b.c"));
        let c = Credentials::from_headers(&headers(&[(header::AUTHORIZATION, "Bearer tok")]));
        assert_eq!(c.token.as_deref(), Some("tok"));
        let c = Credentials::from_headers(&headers(&[(
            header::COOKIE,
            "theme=dark; stytch_session_jwt=x.y.z; stytch_session=t0k",
        )]));
        assert_eq!(
            c,
            Credentials {
                jwt: Some("x.y.z".into()),
                token: Some("t0k".into())
            }
        );
        assert_eq!(
            Credentials::from_headers(&headers(&[(header::COOKIE, "stytch_session=")])),
            Credentials::default()
        );
    }
}
