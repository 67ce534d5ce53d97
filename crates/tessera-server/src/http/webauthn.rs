//! `/v1/webauthn/*` and `DELETE /v1/users/webauthn_registrations/{id}`: passkeys and security
//! keys through the backend API.

use axum::extract::State;
use tessera_proto::ErrorResponse;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::users::UserFactorResponse;
use tessera_proto::webauthn as wire;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Client, Json, Path, ProjectAuth, RequestId};
use super::sessions::{concluded, session_request};
use crate::error::Result;
use crate::model::Timestamp;
use crate::service::webauthn::{self, RegisterStart};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_start))
        .routes(routes!(register))
        .routes(routes!(authenticate_start))
        .routes(routes!(authenticate))
        .routes(routes!(update))
        .routes(routes!(credentials))
        .routes(routes!(delete_registration))
}

/// Creation options for a new credential of the user.
#[utoipa::path(post, path = "/v1/webauthn/register/start", tag = "webauthn",
    request_body = wire::RegisterStartRequest,
    responses((status = 200, body = wire::RegisterStartResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn register_start(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::RegisterStartRequest>,
) -> Result<axum::Json<wire::RegisterStartResponse>> {
    let user_id = req.user_id.clone();
    let input = RegisterStart {
        user_id: req.user_id,
        domain: req.domain,
        user_agent: req.user_agent.unwrap_or_default(),
        authenticator_type: req.authenticator_type,
        passkey: req.return_passkey_credential_options.unwrap_or(false),
        overrides: (
            req.override_id,
            req.override_name,
            req.override_display_name,
        ),
    };
    let options = webauthn::register_start(app.store(), &project, input, Timestamp::now()).await?;
    Ok(axum::Json(wire::RegisterStartResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
        public_key_credential_creation_options: options,
    }))
}

/// Verify the authenticator's attestation and store the credential.
#[utoipa::path(post, path = "/v1/webauthn/register", tag = "webauthn",
    request_body = wire::RegisterRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn register(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::RegisterRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let now = Timestamp::now();
    let session = session_request(req.session)?;
    let a = webauthn::register(
        &app.sessions,
        &project,
        (&req.user_id, &req.public_key_credential),
        session,
        &client.0,
        now,
    )
    .await;
    finish(&app, &project, (a, client), request_id, now).await
}

/// Logs, notifies and answers a WebAuthn registration or login (with its registration id).
async fn finish(
    app: &AppState,
    project: &crate::model::Project,
    (a, client): (Result<crate::service::factors::Authenticated>, Client),
    request_id: RequestId,
    now: Timestamp,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let id = a.as_ref().ok().map(|a| a.method_id.clone());
    let parts = (app, project);
    let mut r = concluded(parts, ("webauthn", a, &client.0), request_id, now).await?;
    r.0.webauthn_registration_id = id;
    Ok(r)
}

/// Request options: for the user's credentials on the domain, or (no user) any passkey.
#[utoipa::path(post, operation_id = "webauthn_authenticate_start", path = "/v1/webauthn/authenticate/start", tag = "webauthn",
    request_body = wire::AuthenticateStartRequest,
    responses((status = 200, body = wire::AuthenticateStartResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate_start(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::AuthenticateStartRequest>,
) -> Result<axum::Json<wire::AuthenticateStartResponse>> {
    let user_id = req.user_id.filter(|u| !u.is_empty());
    let options = webauthn::authenticate_start(
        app.store(),
        &project,
        (&req.domain, user_id.as_deref()),
        Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(wire::AuthenticateStartResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user_id.unwrap_or_default(),
        public_key_credential_request_options: options,
    }))
}

/// Verify an assertion: log in, or step up a session.
#[utoipa::path(post, operation_id = "webauthn_authenticate", path = "/v1/webauthn/authenticate", tag = "webauthn",
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
    let now = Timestamp::now();
    let session = session_request(req.session)?;
    let a = webauthn::authenticate(
        &app.sessions,
        &project,
        (&req.public_key_credential, None),
        session,
        &client.0,
        now,
    )
    .await;
    finish(&app, &project, (a, client), request_id, now).await
}

/// Rename a registration.
#[utoipa::path(put, path = "/v1/webauthn/{webauthn_registration_id}", tag = "webauthn",
    params(("webauthn_registration_id" = String, Path)),
    request_body = wire::UpdateRequest,
    responses((status = 200, body = wire::UpdateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn update(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(id): Path<String>,
    Json(req): Json<wire::UpdateRequest>,
) -> Result<axum::Json<wire::UpdateResponse>> {
    let r = webauthn::rename(app.store(), &project, &id, &req.name).await?;
    Ok(axum::Json(update_response(request_id, r)))
}

/// The answer to a rename.
pub(crate) fn update_response(
    request_id: RequestId,
    r: crate::model::user::WebauthnRegistration,
) -> wire::UpdateResponse {
    wire::UpdateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        webauthn_registration: super::wire::webauthn_registration(r),
    }
}

/// A user's credentials for a relying-party id, with their public keys.
#[utoipa::path(get, path = "/v1/webauthn/credentials/{user_id}/{domain}", tag = "webauthn",
    params(("user_id" = String, Path), ("domain" = String, Path)),
    responses((status = 200, body = wire::CredentialsResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn credentials(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path((user_id, domain)): Path<(String, String)>,
) -> Result<axum::Json<wire::CredentialsResponse>> {
    let list = webauthn::credentials(app.store(), &project, &user_id, &domain).await?;
    Ok(axum::Json(wire::CredentialsResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        credentials: list
            .into_iter()
            .map(|c| wire::Credential {
                credential_id: c.credential_id,
                webauthn_registration_id: c.registration_id,
                credential_type: "public-key".into(),
                public_key: c.public_key,
            })
            .collect(),
    }))
}

/// Delete a WebAuthn registration: its credential no longer logs in.
#[utoipa::path(delete, operation_id = "webauthn_delete_registration", path = "/v1/users/webauthn_registrations/{webauthn_registration_id}",
    tag = "users",
    params(("webauthn_registration_id" = String, Path)),
    responses((status = 200, body = UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_registration(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<UserFactorResponse>> {
    let user = webauthn::delete(app.store(), &project, &id).await?;
    Ok(super::users::factor_response(request_id, user))
}
