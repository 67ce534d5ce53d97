use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorType};
use crate::model::ids::IdKind;
use crate::model::{Environment, Project};
use crate::service;
use crate::service::sessions::ClientAttributes;
use crate::state::AppState;

/// `request-id-<env>-<uuid>`, minted once per request by the error middleware.
#[derive(Debug, Clone)]
pub(crate) struct RequestId(String);

impl RequestId {
    pub(crate) fn new(env: Environment) -> Self {
        RequestId(IdKind::Request.mint(env))
    }

    /// The environment is read from the credential's prefix when there is one (test otherwise),
    /// so that even an error before authentication carries a plausible id.
    pub(crate) fn for_request(headers: &HeaderMap) -> Self {
        let env = basic_credentials(headers)
            .ok()
            .flatten()
            .and_then(|(user, _)| Environment::of_credential(&user))
            .unwrap_or(Environment::Test);
        RequestId::new(env)
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Error> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId::new(Environment::Test)))
    }
}

/// Decodes `Authorization: Basic base64(user:password)`. `Ok(None)` when there is no header.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || Error::new(ErrorType::InvalidAuthorizationHeader);
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (user, password) = decoded.split_once(':').ok_or_else(malformed)?;
    Ok(Some((user.to_owned(), password.to_owned())))
}

/// The project named by HTTP Basic `project_id:secret`. Every `/v1` handler takes one.
pub(crate) struct ProjectAuth(pub(crate) std::sync::Arc<Project>);

impl FromRequestParts<AppState> for ProjectAuth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Error> {
        let (project_id, secret) = basic_credentials(&parts.headers)?.ok_or_else(|| {
            Error::with_message(
                ErrorType::UnauthorizedCredentials,
                "Unauthorized credentials: send HTTP Basic auth with project_id:secret.",
            )
        })?;
        service::projects::authenticate(app.store(), &app.projects, &project_id, &secret)
            .await
            .map(ProjectAuth)
    }
}

/// A JSON body that answers bad input with Stytch's envelope. Unlike axum's `Json` it does not
/// insist on a `Content-Type` header (curl users forget it; the SDKs always send it).
pub(crate) struct Json<T>(pub(crate) T);

/// Like [`Json`], but an empty body reads as `T::default()` (the browser SDK posts logout and
/// refreshes with no body at all).
pub(crate) struct JsonOrEmpty<T>(pub(crate) T);

async fn read_json<S: Send + Sync, T: DeserializeOwned>(
    req: Request,
    state: &S,
    empty: Option<fn() -> T>,
) -> Result<T, Error> {
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::new(ErrorType::RequestTooLarge)
        } else {
            Error::with_message(ErrorType::BadRequest, "The request body could not be read.")
        }
    })?;
    parse_body(&bytes, empty)
}

/// The bytes of a request body as `T`: whitespace only is empty (`empty` gives the default
/// then, else an error), anything but a JSON object is refused, serde's errors are worded for
/// clients. The fuzz targets call it too.
pub(crate) fn parse_body<T: DeserializeOwned>(
    bytes: &[u8],
    empty: Option<fn() -> T>,
) -> Result<T, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return empty.map(|f| f()).ok_or_else(|| {
            Error::with_message(
                ErrorType::BadRequest,
                "The request body is empty: send a JSON object.",
            )
        });
    }
    // Every body is a JSON object; serde would also fill a struct from an array, by position.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::with_message(
            ErrorType::BadRequest,
            "The request body must be a JSON object.",
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            "The request body is not valid JSON"
        } else {
            "The request body does not match this endpoint"
        };
        Error::with_message(ErrorType::BadRequest, format!("{what}: {e}."))
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        read_json(req, state, None).await.map(Json)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for JsonOrEmpty<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        read_json(req, state, Some(T::default))
            .await
            .map(JsonOrEmpty)
    }
}

/// A path parameter that answers bad input with Stytch's envelope.
pub(crate) struct Path<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| Error::with_message(ErrorType::BadRequest, format!("Invalid path: {e}.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn basic_credentials_are_decoded_or_refused() {
        let ok = format!(
            "Basic {}",
            STANDARD.encode("project-test-1:secret-test-x:y")
        );
        assert_eq!(
            basic_credentials(&headers(&ok)).unwrap(),
            Some(("project-test-1".into(), "secret-test-x:y".into()))
        );
        assert_eq!(basic_credentials(&HeaderMap::new()).unwrap(), None);
        for bad in [
            "Bearer abc",
            "Basic !!!",
            "Basic",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            assert_eq!(
                basic_credentials(&headers(bad)).unwrap_err().kind(),
                ErrorType::InvalidAuthorizationHeader,
                "{bad}"
            );
        }
    }

    #[test]
    fn request_ids_follow_the_credential_environment() {
        let live = format!("Basic {}", STANDARD.encode("project-live-1:s"));
        assert!(
            RequestId::for_request(&headers(&live))
                .as_str()
                .starts_with("request-id-live-")
        );
        assert!(
            RequestId::for_request(&HeaderMap::new())
                .as_str()
                .starts_with("request-id-test-")
        );
    }
}

/// Query parameters that answer bad input with Stytch's envelope; unknown ones are ignored.
pub(crate) struct Query<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| Error::with_message(ErrorType::BadRequest, format!("Invalid query: {e}.")))
    }
}

/// The end user's IP address and user agent as this request shows them. `X-Forwarded-For` is
/// believed only when the peer is a configured trusted proxy; then the nearest address that is
/// not itself a trusted proxy is the client.
pub(crate) struct Client(pub(crate) ClientAttributes);

impl Client {
    /// Attributes given in a request body win over those of the connection.
    pub(crate) fn with(
        self,
        given: Option<&tessera_proto::common::Attributes>,
    ) -> ClientAttributes {
        let mut attrs = self.0;
        if let Some(g) = given {
            if let Some(ip) = g.ip_address.as_ref().filter(|s| !s.is_empty()) {
                attrs.ip_address = ip.clone();
            }
            if let Some(ua) = g.user_agent.as_ref().filter(|s| !s.is_empty()) {
                attrs.user_agent = ua.clone();
            }
        }
        attrs
    }
}

pub(crate) fn client_ip(
    peer: Option<IpAddr>,
    xff: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops = xff
        .unwrap_or_default()
        .split(',')
        .filter_map(|h| h.trim().parse::<IpAddr>().ok());
    let mut client = peer;
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        client = hop;
        if !trusted.contains(&hop) {
            break;
        }
    }
    Some(client)
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Error> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let xff = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip = client_ip(peer, xff, &app.trusted_proxies);
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(512)
            .collect();
        Ok(Client(ClientAttributes {
            ip_address: ip.map(|i| i.to_string()).unwrap_or_default(),
            user_agent,
        }))
    }
}

#[cfg(test)]
mod client_tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = ip("10.0.0.1");
        // An untrusted peer cannot spoof its address.
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), Some("1.2.3.4"), &[proxy]),
            Some(ip("203.0.113.9"))
        );
        // Through a trusted proxy, the rightmost untrusted hop is the client.
        assert_eq!(
            client_ip(Some(proxy), Some("1.2.3.4, 198.51.100.7"), &[proxy]),
            Some(ip("198.51.100.7"))
        );
        let proxy2 = ip("10.0.0.2");
        assert_eq!(
            client_ip(
                Some(proxy),
                Some("198.51.100.7, 10.0.0.2"),
                &[proxy, proxy2]
            ),
            Some(ip("198.51.100.7"))
        );
        // No header: the proxy itself.
        assert_eq!(client_ip(Some(proxy), None, &[proxy]), Some(proxy));
    }
}
