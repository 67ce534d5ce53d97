//! HttpOnly cookie sessions (`--cookie-mode httponly`): the session token taken from Tessera's
//! own cookie when the Basic secret names none, the CSRF rule for a cookie-borne credential,
//! and answers that carry tokens turned into `Set-Cookie` headers with the tokens blanked.

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use cookie::{Cookie, SameSite};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, ErrorType, Result};
use crate::http::error::pending_kind;
use crate::model::project::{CookieMode, CookiePolicy};

/// The session token's cookie: the name Stytch's SDK and its backends use.
pub(super) const SESSION_COOKIE: &str = "stytch_session";
/// The session JWT's cookie, for the app's own backend to verify locally.
pub(super) const JWT_COOKIE: &str = "stytch_session_jwt";
/// The header both SDKs send on every call with the page's origin. A cross-site form or a
/// `no-cors` fetch cannot send it, and a CORS request that does is preflighted, which only an
/// authorized origin passes.
const PROOF_HEADER: &str = "x-sdk-parent-host";
/// The largest answer rewritten; session answers are a few kilobytes.
const MAX_ANSWER: usize = 1 << 20;

/// The error types (of the browser SDK's four final ones, those Tessera answers) after which a
/// cookie names no usable session: the cookies are cleared with the answer.
const FINAL: [ErrorType; 2] = [
    ErrorType::UnauthorizedCredentials,
    ErrorType::SessionNotFound,
];

/// The session token in the request's cookie, for a project in HttpOnly mode whose caller sent
/// no session in the Basic secret. A cookie is a credential the browser attaches by itself, so
/// it counts only on a request that shows it was made by script on the page: an `Origin` (which
/// the guard then checks against the project's authorized origins) and the SDK's
/// `X-SDK-Parent-Host` naming that same origin.
pub(crate) fn session_token(
    policy: &CookiePolicy,
    headers: &HeaderMap,
    origin: Option<&str>,
) -> Result<Option<String>> {
    if policy.mode != CookieMode::Httponly {
        return Ok(None);
    }
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let proof = headers.get(PROOF_HEADER).and_then(|v| v.to_str().ok());
    match (origin, proof) {
        (Some(o), Some(p)) if o == p => Ok(Some(token)),
        _ => Err(Error::with_message(
            ErrorType::CsrfCheckFailed,
            "A session cookie is accepted only from script on an authorized origin: send the \
             Origin and an X-SDK-Parent-Host header naming the same origin.",
        )),
    }
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(|c| c.ok())
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// What an answer of the frontend API becomes in HttpOnly mode:
///
/// * a success that carries `session_token` and `session_jwt` sets both as cookies expiring
///   with the session, and answers them as empty strings (which tells Stytch's SDK, and
///   Tessera's, that the server holds them);
/// * a successful logout, or a final error to a request whose session came from the cookie,
///   clears them.
pub(super) async fn hand_over(
    policy: &CookiePolicy,
    logout: bool,
    from_cookie: bool,
    mut res: Response,
) -> Response {
    if let Some(kind) = pending_kind(&res) {
        if from_cookie && FINAL.contains(&kind) {
            clear(res.headers_mut(), policy);
        }
        return res;
    }
    if !res.status().is_success() {
        return res;
    }
    if logout {
        clear(res.headers_mut(), policy);
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = to_bytes(body, MAX_ANSWER).await else {
        return internal();
    };
    let mentions = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if !mentions(b"\"session_jwt\"") {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let Ok(mut v) = serde_json::from_slice::<Value>(&bytes) else {
        return internal();
    };
    if let Some(data) = v.get_mut("data") {
        set(&mut parts.headers, policy, data);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(v.to_string()))
}

/// Moves the tokens of a session answer into cookies; the answer keeps empty strings.
fn set(headers: &mut HeaderMap, policy: &CookiePolicy, data: &mut Value) {
    let take = |v: &mut Value, key: &str| match v.get_mut(key) {
        Some(Value::String(s)) => std::mem::take(s),
        _ => String::new(),
    };
    let token = take(data, "session_token");
    let jwt = take(data, "session_jwt");
    let expires = data
        .pointer("/session/expires_at")
        .and_then(Value::as_str)
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok());
    // An answer without a live session (a factor attached to none) leaves the cookies.
    if let (false, Some(at)) = (token.is_empty(), expires) {
        put(headers, policy, (token, jwt), at);
    }
}

/// Sets the session's token and JWT cookies, expiring with the session (the hosted login
/// page's HttpOnly handback).
pub(crate) fn set_session_cookies(
    headers: &mut HeaderMap,
    policy: &CookiePolicy,
    tokens: (String, String),
    expires_at: crate::model::Timestamp,
) {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at.millis()) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    put(headers, policy, tokens, at);
}

fn put(
    headers: &mut HeaderMap,
    policy: &CookiePolicy,
    (token, jwt): (String, String),
    at: OffsetDateTime,
) {
    for (name, value) in [(SESSION_COOKIE, token), (JWT_COOKIE, jwt)] {
        let mut c = cookie(policy, name, value);
        c.set_expires(at);
        append(headers, c);
    }
}

/// Expires both cookies.
fn clear(headers: &mut HeaderMap, policy: &CookiePolicy) {
    for name in [SESSION_COOKIE, JWT_COOKIE] {
        let mut c = cookie(policy, name, String::new());
        c.make_removal();
        append(headers, c);
    }
}

fn cookie(policy: &CookiePolicy, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Lax)
        .path("/")
        .build();
    if let Some(d) = &policy.domain {
        c.set_domain(d.clone());
    }
    c
}

/// Tokens and JWTs are base64url (and dots): cookie-safe as they are, so no encoding.
fn append(headers: &mut HeaderMap, c: Cookie<'static>) {
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        headers.append(header::SET_COOKIE, v);
    }
}

fn internal() -> Response {
    use axum::response::IntoResponse;
    Error::new(ErrorType::InternalServerError).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(domain: Option<&str>) -> CookiePolicy {
        CookiePolicy {
            mode: CookieMode::Httponly,
            domain: domain.map(str::to_owned),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn a_cookie_counts_only_with_the_origin_proof() {
        let p = policy(None);
        let o = Some("https://app.example.com");
        let h = headers(&[
            ("cookie", "a=b; stytch_session=tok; other=1"),
            ("x-sdk-parent-host", "https://app.example.com"),
        ]);
        assert_eq!(session_token(&p, &h, o).unwrap().as_deref(), Some("tok"));
        let readable = CookiePolicy::default();
        assert_eq!(session_token(&readable, &h, o).unwrap(), None);
        let no_proof = headers(&[("cookie", "stytch_session=tok")]);
        let e = session_token(&p, &no_proof, o).unwrap_err();
        assert_eq!(e.kind(), ErrorType::CsrfCheckFailed);
        let e = session_token(&p, &h, None).unwrap_err();
        assert_eq!(e.kind(), ErrorType::CsrfCheckFailed);
        let other = headers(&[
            ("cookie", "stytch_session=tok"),
            ("x-sdk-parent-host", "https://evil.example.com"),
        ]);
        assert!(session_token(&p, &other, o).is_err());
        let none = headers(&[("x-sdk-parent-host", "https://app.example.com")]);
        assert_eq!(session_token(&p, &none, o).unwrap(), None);
    }

    #[tokio::test]
    async fn session_answers_become_cookies() {
        let body = serde_json::json!({"data": {
            "session_token": "tok", "session_jwt": "jwt",
            "session": {"expires_at": "2030-01-02T03:04:05Z"}, "user": {}
        }});
        let res = Response::builder()
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = hand_over(&policy(Some("example.com")), false, false, res).await;
        let cookies: Vec<_> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(cookies.len(), 2, "{cookies:?}");
        for (c, v) in cookies
            .iter()
            .zip(["stytch_session=tok", "stytch_session_jwt=jwt"])
        {
            assert!(c.starts_with(v), "{c}");
            for attr in [
                "HttpOnly",
                "SameSite=Lax",
                "Secure",
                "Path=/",
                "Domain=example.com",
                "Expires=Wed, 02 Jan 2030 03:04:05 GMT",
            ] {
                assert!(c.contains(attr), "{c} lacks {attr}");
            }
        }
        let text = to_bytes(res.into_body(), MAX_ANSWER).await.unwrap();
        let v: Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(v["data"]["session_token"], "");
        assert_eq!(v["data"]["session_jwt"], "");
    }
}
