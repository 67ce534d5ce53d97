use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera_proto::ErrorResponse;
use tessera_proto::sessions as wire;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Json, Path, ProjectAuth, Query, RequestId};
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::session::parse_duration_minutes;
use crate::service::factors::{Authenticated, MatchOptions};
use crate::service::sessions::{
    self, AuthenticatedSession, Issued, Locator, RevokeBy, SessionRequest,
};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authenticate))
        .routes(routes!(list))
        .routes(routes!(revoke))
        .routes(routes!(jwks))
}

/// The session parameters of a factor-authenticate request, checked before any secret is spent.
pub(crate) fn session_request(s: wire::SessionOptions) -> Result<SessionRequest> {
    SessionRequest::parse(
        s.session_token,
        s.session_jwt,
        s.session_duration_minutes,
        s.session_custom_claims,
    )
}

/// The attribute matching a factor-authenticate request asks for.
pub(crate) fn match_options(
    o: Option<tessera_proto::magic_links::AttributeOptions>,
) -> MatchOptions {
    let o = o.unwrap_or_default();
    MatchOptions {
        ip: o.ip_match_required,
        user_agent: o.user_agent_match_required,
    }
}

/// The wire answer of every factor-authenticate endpoint.
pub(crate) fn factor_response(
    request_id: RequestId,
    a: Authenticated,
    now: Timestamp,
) -> axum::Json<wire::FactorAuthenticateResponse> {
    let roles = a.user.effective_roles();
    let (session_token, session_jwt, session) = match a.issued {
        Some(Issued {
            session,
            token,
            jwt,
        }) => (token, jwt, Some(super::wire::session(&session, roles))),
        None => (String::new(), String::new(), None),
    };
    axum::Json(wire::FactorAuthenticateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: a.user.user_id.clone(),
        user: super::wire::user(a.user, now),
        method_id: a.method_id,
        session_token,
        session_jwt,
        session,
        reset_sessions: false,
    })
}

/// Authenticate a session by token or JWT (a JWT past its `exp` is accepted while its session
/// lives), optionally extending it and merging custom claims; returns a fresh JWT.
#[utoipa::path(post, path = "/v1/sessions/authenticate", tag = "sessions",
    request_body = wire::AuthenticateSessionRequest,
    responses((status = 200, body = wire::AuthenticateSessionResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::AuthenticateSessionRequest>,
) -> Result<Response> {
    let loc = Locator::from_pair(req.session_token, req.session_jwt)?
        .ok_or_else(|| Error::new(ErrorType::NoSessionArguments))?;
    let duration = req
        .session_duration_minutes
        .map(parse_duration_minutes)
        .transpose()?;
    let a = sessions::authenticate(
        &app.sessions,
        &project,
        loc,
        duration,
        req.session_custom_claims,
        Timestamp::now(),
    )
    .await?;
    Ok(authenticated(&request_id, &a, false))
}

/// The JSON answer to `sessions/authenticate`: the fields of
/// [`wire::AuthenticateSessionResponse`] (and, for the frontend API, `user_id`, as in
/// `tessera_proto::sdk::AuthenticateResponse`), in the same order, wrapped in `{"data": …}` for
/// the frontend API. Written in one buffer of the right size: the rendered parts are copied, not
/// re-serialized, and the JWT is copied without an escaping pass over its ~1 KB.
pub(crate) fn authenticated(
    request_id: &RequestId,
    a: &AuthenticatedSession,
    sdk: bool,
) -> Response {
    let r = &a.rendered;
    let size = r.session.get().len() + r.user.get().len() + r.jwt.jwt.len() + a.token.len() + 256;
    let mut body = Vec::with_capacity(size);
    if sdk {
        body.extend_from_slice(b"{\"data\":");
    }
    body.extend_from_slice(b"{\"request_id\":");
    minted_str(&mut body, request_id.as_str());
    body.extend_from_slice(b",\"status_code\":200");
    if sdk {
        body.extend_from_slice(b",\"user_id\":");
        json_str(&mut body, &r.basis.user_id);
    }
    body.extend_from_slice(b",\"session\":");
    body.extend_from_slice(r.session.get().as_bytes());
    body.extend_from_slice(b",\"session_token\":");
    json_str(&mut body, &a.token);
    body.extend_from_slice(b",\"session_jwt\":");
    minted_str(&mut body, &r.jwt.jwt);
    body.extend_from_slice(b",\"user\":");
    body.extend_from_slice(r.user.get().as_bytes());
    body.push(b'}');
    if sdk {
        body.push(b'}');
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Appends a string this server made (a request id, a JWT: base64url, `.`, `-`) as a JSON
/// string, without looking at each byte again.
fn minted_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    );
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Appends `s` as a JSON string: as it is when nothing in it needs escaping (ids, tokens and
/// JWTs never do), else through serde_json.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// The user (or external id).
    user_id: Option<String>,
}

/// List a user's active sessions.
#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", params(ListQuery),
    responses((status = 200, body = wire::GetSessionsResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn list(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<wire::GetSessionsResponse>> {
    let user_id = q
        .user_id
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::with_message(ErrorType::BadRequest, "user_id is required."))?;
    let (user, list) = sessions::list(&app.sessions, &project, &user_id, Timestamp::now()).await?;
    let roles = user.effective_roles();
    Ok(axum::Json(wire::GetSessionsResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        sessions: list
            .iter()
            .map(|s| super::wire::session(s, roles.clone()))
            .collect(),
    }))
}

/// Revoke a session by id, token or JWT; it fails everywhere at once.
#[utoipa::path(post, path = "/v1/sessions/revoke", tag = "sessions",
    request_body = wire::RevokeSessionRequest,
    responses((status = 200, body = wire::EmptyResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn revoke(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::RevokeSessionRequest>,
) -> Result<axum::Json<wire::EmptyResponse>> {
    let given = [&req.session_id, &req.session_token, &req.session_jwt]
        .iter()
        .filter(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
        .count();
    let by = match given {
        0 => return Err(Error::new(ErrorType::NoSessionRevokeArguments)),
        1 => match (
            req.session_id.filter(|s| !s.is_empty()),
            Locator::from_pair(req.session_token, req.session_jwt)?,
        ) {
            (Some(id), _) => RevokeBy::Id(id),
            (None, Some(loc)) => RevokeBy::Locator(loc),
            (None, None) => return Err(Error::new(ErrorType::NoSessionRevokeArguments)),
        },
        _ => return Err(Error::new(ErrorType::TooManySessionRevokeArguments)),
    };
    sessions::revoke(&app.sessions, &project, by, Timestamp::now()).await?;
    Ok(axum::Json(wire::EmptyResponse {
        request_id: request_id.into_string(),
        status_code: 200,
    }))
}

/// The public keys session JWTs are signed with. No credentials needed (the official SDKs
/// fetch it without); Basic credentials are accepted and ignored.
#[utoipa::path(get, path = "/v1/sessions/jwks/{project_id}", tag = "sessions",
    params(("project_id" = String, Path)),
    responses((status = 200, body = wire::JwksResponse), (status = "4XX", body = ErrorResponse)))]
async fn jwks(
    request_id: RequestId,
    State(app): State<AppState>,
    Path(project_id): Path<String>,
) -> Result<axum::Json<wire::JwksResponse>> {
    let keys = sessions::published_keys(&app.sessions, &project_id).await?;
    Ok(axum::Json(wire::JwksResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        keys: keys
            .iter()
            .map(|k| wire::Jwk {
                kty: "RSA".into(),
                key_use: "sig".into(),
                key_ops: vec!["verify".into()],
                alg: "RS256".into(),
                kid: k.kid.clone(),
                x5c: vec![],
                x5t_s256: String::new(),
                n: k.n.clone(),
                e: k.e.clone(),
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::json_str;

    #[test]
    fn strings_are_written_as_json() {
        for s in [
            "abc-DEF_123.xyz=",
            "",
            "a\"b",
            "back\\slash",
            "line\nbreak",
            "tab\t",
            "é ü",
        ] {
            let mut out = Vec::new();
            json_str(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
    }
}
