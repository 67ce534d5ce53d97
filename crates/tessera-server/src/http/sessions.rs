use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tessera_proto::ErrorResponse;
use tessera_proto::sessions as wire;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Json, Path, ProjectAuth, Query, RequestId};
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::session::parse_duration_minutes;
use crate::service::magic_links::{Authenticated, MatchOptions};
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
        }) => (token, jwt, Some(crate::wire::session(&session, roles))),
        None => (String::new(), String::new(), None),
    };
    axum::Json(wire::FactorAuthenticateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: a.user.user_id.clone(),
        user: crate::wire::user(a.user, now),
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
        &app,
        &project,
        loc,
        duration,
        req.session_custom_claims,
        Timestamp::now(),
    )
    .await?;
    Ok(authenticated(&request_id, &a, false))
}

/// An authenticate answer made of its rendered parts: the fields of
/// [`wire::AuthenticateSessionResponse`] (and, for the frontend API, `user_id`, as in
/// `tessera_proto::sdk::AuthenticateResponse`), in the same order.
#[derive(Serialize)]
struct Answer<'a> {
    request_id: &'a str,
    status_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    session: &'a RawValue,
    session_token: &'a str,
    session_jwt: &'a str,
    user: &'a RawValue,
}

/// The JSON answer to `sessions/authenticate`; wrapped in `{"data": …}` for the frontend API.
/// Written in one buffer of the right size: the rendered parts are copied, not re-serialized.
pub(crate) fn authenticated(
    request_id: &RequestId,
    a: &AuthenticatedSession,
    sdk: bool,
) -> Response {
    let r = &a.rendered;
    let answer = Answer {
        request_id: request_id.as_str(),
        status_code: 200,
        user_id: sdk.then_some(r.basis.user_id.as_str()),
        session: &r.session,
        session_token: &a.token,
        session_jwt: &r.jwt.jwt,
        user: &r.user,
    };
    let size = r.session.get().len() + r.user.get().len() + r.jwt.jwt.len() + a.token.len() + 256;
    let mut body = Vec::with_capacity(size);
    let written = if sdk {
        serde_json::to_writer(&mut body, &tessera_proto::sdk::Data { data: answer })
    } else {
        serde_json::to_writer(&mut body, &answer)
    };
    match written {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => Error::Internal(e.into()).into_response(),
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
    let (user, list) = sessions::list(&app, &project, &user_id, Timestamp::now()).await?;
    let roles = user.effective_roles();
    Ok(axum::Json(wire::GetSessionsResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        sessions: list
            .iter()
            .map(|s| crate::wire::session(s, roles.clone()))
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
    sessions::revoke(&app, &project, by, Timestamp::now()).await?;
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
    app.store
        .project(&project_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::ProjectNotFound))?;
    let keys = app.keys.published(&app.store, &project_id).await?;
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
