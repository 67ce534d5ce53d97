//! `/sdk/v1/oauth/authenticate`, `/sdk/v1/oauth/attach`, `/sdk/v1/impersonation/authenticate`
//! and `DELETE /sdk/v1/users/oauth/{id}`: the browser's side of OAuth and impersonation.

use axum::extract::State;
use tessera_proto::oauth as wire;
use tessera_proto::sdk as sdk_wire;

use super::Data;
use super::extract::Caller;
use super::factors::{concluded, session_request};
use crate::error::Result;
use crate::http::extract::{Client, Json, Path, RequestId};
use crate::http::oauth::{logged, oauth_response};
use crate::model::Timestamp;
use crate::service::oauth::login::{self, AttachTarget};
use crate::service::{impersonation, limits, notify};
use crate::state::AppState;

/// `POST /oauth/authenticate` body.
#[derive(Debug, serde::Deserialize)]
pub(super) struct AuthenticateBody {
    token: String,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    session_duration_minutes: Option<i64>,
}

/// `POST /oauth/authenticate`: the token from the redirect URL becomes the browser's session.
pub(super) async fn authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<AuthenticateBody>,
) -> Result<Data<wire::AuthenticateResponse>> {
    let now = Timestamp::now();
    let ip = &client.0.ip_address;
    limits::check_authenticate(app.store(), &caller.project, ip, now).await?;
    let session = session_request(&app, &caller, req.session_duration_minutes).await?;
    let input = login::AuthenticateInput {
        token: req.token,
        code_verifier: req.code_verifier.filter(|v| !v.is_empty()),
        session,
        attrs: client.0,
    };
    let attrs = input.attrs.clone();
    let outcome = login::authenticate(&app.sessions, &caller.project, input, now).await;
    let o = logged(&app, &caller.project, outcome, &attrs).await?;
    Ok(Data(oauth_response(request_id, o, now, true)))
}

/// `POST /oauth/attach` body.
#[derive(Debug, serde::Deserialize)]
pub(super) struct AttachBody {
    provider: String,
}

/// `POST /oauth/attach`: a token that links the next flow with `provider` to this session's user.
pub(super) async fn attach(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Json(req): Json<AttachBody>,
) -> Result<Data<wire::AttachResponse>> {
    let target = AttachTarget::Session(caller.session()?);
    let now = Timestamp::now();
    let token = login::attach(&app.sessions, &caller.project, &req.provider, target, now).await?;
    Ok(Data(wire::AttachResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        oauth_attach_token: token,
    }))
}

/// `POST /impersonation/authenticate`.
pub(super) async fn impersonation_authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    client: Client,
    Json(req): Json<wire::ImpersonationAuthenticateRequest>,
) -> Result<Data<sdk_wire::AuthenticateResponse>> {
    let now = Timestamp::now();
    let ip = &client.0.ip_address;
    limits::check_authenticate(app.store(), &caller.project, ip, now).await?;
    let attrs = client.0;
    let token = &req.impersonation_token;
    let a = impersonation::authenticate(&app.sessions, &caller.project, token, &attrs, now).await;
    concluded(&app, &caller, ("impersonation", a, attrs), request_id, now).await
}

/// `DELETE /users/oauth/{id}`: the session's own registration, with a recent factor.
pub(super) async fn delete(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Data<sdk_wire::DeleteFactorResponse>> {
    let now = Timestamp::now();
    let loc = caller.session()?;
    let user = login::delete_own(&app.sessions, &caller.project, &loc, &id, now).await?;
    let notice = notify::Notice::FactorRemoved("A sign-in provider account");
    notify::tell(&app.delivery, &caller.project, &user, notice, None).await;
    Ok(Data(sdk_wire::DeleteFactorResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        user: crate::http::wire::user(user, now),
    }))
}
