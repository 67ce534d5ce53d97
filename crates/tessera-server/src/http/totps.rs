use axum::extract::State;
use tessera_proto::ErrorResponse;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::totps as wire;
use tessera_proto::users::UserFactorResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Client, Json, Path, ProjectAuth, RequestId};
use super::sessions::{concluded, session_request};
use crate::error::Result;
use crate::model::Timestamp;
use crate::service::factors::Authenticated;
use crate::service::sessions::ClientAttributes;
use crate::service::totps::{self, AuthenticateInput};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(authenticate))
        .routes(routes!(recovery_codes))
        .routes(routes!(recover))
        .routes(routes!(delete_totp))
}

/// Logs, notifies and answers a TOTP or recovery-code login (with its `totp_id`).
pub(crate) async fn finish(
    app: &AppState,
    project: &crate::model::Project,
    (a, attrs, what): (Result<Authenticated>, ClientAttributes, &str),
    request_id: RequestId,
    now: Timestamp,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let totp_id = a.as_ref().ok().map(|a| a.method_id.clone());
    let parts = (app, project);
    let mut r = concluded(parts, (what, a, &attrs), request_id, now).await?;
    r.0.totp_id = totp_id;
    Ok(r)
}

/// Start enrolling an authenticator app: the secret, its QR code and ten recovery codes.
#[utoipa::path(post, operation_id = "totps_create", path = "/v1/totps", tag = "totps",
    request_body = wire::CreateRequest,
    responses((status = 200, body = wire::CreateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn create(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::CreateRequest>,
) -> Result<axum::Json<wire::CreateResponse>> {
    let now = Timestamp::now();
    let c = totps::create(
        &app.sessions,
        &project,
        &req.user_id,
        req.expiration_minutes,
        now,
    )
    .await?;
    Ok(axum::Json(wire::CreateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        totp_id: c.totp_id,
        secret: c.secret,
        qr_code: c.qr_code,
        recovery_codes: c.recovery_codes,
        user_id: c.user.user_id.clone(),
        user: super::wire::user(c.user, now),
    }))
}

/// Authenticate a code from the authenticator app (each code works once).
#[utoipa::path(post, operation_id = "totps_authenticate", path = "/v1/totps/authenticate", tag = "totps",
    request_body = wire::AuthenticateRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::AuthenticateRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let input = AuthenticateInput {
        user_id: req.user_id,
        code: req.totp_code,
        session: session_request(req.session)?,
        attrs: client.0,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = totps::authenticate(&app.sessions, &project, input, now).await;
    finish(&app, &project, (a, attrs, "totp"), request_id, now).await
}

/// The user's registrations with their unused recovery codes.
#[utoipa::path(post, path = "/v1/totps/recovery_codes", tag = "totps",
    request_body = wire::RecoveryCodesRequest,
    responses((status = 200, body = wire::RecoveryCodesResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn recovery_codes(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::RecoveryCodesRequest>,
) -> Result<axum::Json<wire::RecoveryCodesResponse>> {
    let (user, list) = totps::recovery_codes(&app.sessions, &project, &req.user_id).await?;
    Ok(axum::Json(codes_response(request_id, user.user_id, list)))
}

/// The wire form of a user's recovery codes.
pub(crate) fn codes_response(
    request_id: RequestId,
    user_id: String,
    list: Vec<totps::RecoveryCodes>,
) -> wire::RecoveryCodesResponse {
    wire::RecoveryCodesResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
        totps: list
            .into_iter()
            .map(|r| wire::TotpRecoveryCodes {
                totp_id: r.totp_id,
                verified: r.verified,
                recovery_codes: r.codes,
            })
            .collect(),
    }
}

/// Log in with a recovery code (each works once).
#[utoipa::path(post, path = "/v1/totps/recover", tag = "totps",
    request_body = wire::RecoverRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn recover(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::RecoverRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let input = AuthenticateInput {
        user_id: req.user_id,
        code: req.recovery_code,
        session: session_request(req.session)?,
        attrs: client.0,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = totps::recover(&app.sessions, &project, input, now).await;
    finish(&app, &project, (a, attrs, "recovery_code"), request_id, now).await
}

/// Delete an authenticator-app registration.
#[utoipa::path(delete, path = "/v1/users/totps/{totp_id}", tag = "users",
    params(("totp_id" = String, Path)),
    responses((status = 200, body = UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_totp(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(totp_id): Path<String>,
) -> Result<axum::Json<UserFactorResponse>> {
    let user = totps::delete(&app.sessions, &project, &totp_id).await?;
    Ok(super::users::factor_response(request_id, user))
}
