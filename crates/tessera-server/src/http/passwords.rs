use axum::extract::State;
use tessera_proto::ErrorResponse;
use tessera_proto::passwords as wire;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::users::UserFactorResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Client, Json, Path, ProjectAuth, RequestId};
use super::sessions::{concluded, match_options, session_request};
use super::users::{metadata, name};
use crate::error::Result;
use crate::model::Timestamp;
use crate::model::user::EmailAddress;
use crate::service::factors::Authenticated;
use crate::service::passwords::legacy::Legacy;
use crate::service::passwords::reset::{self, EmailResetInput, ExistingInput, SessionResetInput};
use crate::service::passwords::{self, AuthenticateInput, CreateInput, MigrateInput};
use crate::service::sessions::Locator;
use crate::service::users;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(authenticate))
        .routes(routes!(strength_check))
        .routes(routes!(migrate))
        .routes(routes!(email_reset_start))
        .routes(routes!(email_reset))
        .routes(routes!(existing_password_reset))
        .routes(routes!(session_reset))
        .routes(routes!(delete_password))
}

/// Logs, notifies and answers a password login: the common shape with the email's id.
pub(crate) async fn finish(
    app: &AppState,
    project: &crate::model::Project,
    (a, attrs): (
        Result<Authenticated>,
        crate::service::sessions::ClientAttributes,
    ),
    request_id: RequestId,
    now: Timestamp,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let email_id = a.as_ref().ok().map(|a| a.method_id.clone());
    let parts = (app, project);
    let mut r = concluded(parts, ("password", a, &attrs), request_id, now).await?;
    r.0.email_id = email_id.filter(|id| !id.is_empty());
    Ok(r)
}

/// Create a user with an email and a password (the password must pass the project's policy).
#[utoipa::path(post, operation_id = "passwords_create", path = "/v1/passwords", tag = "passwords",
    request_body = wire::CreateRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn create(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::CreateRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let input = CreateInput {
        email: EmailAddress::parse(&req.email)?,
        password: req.password,
        user: users::NewUser {
            name: name(req.name)?,
            trusted_metadata: metadata(req.trusted_metadata.map(serde_json::Value::Object))?,
            untrusted_metadata: metadata(req.untrusted_metadata.map(serde_json::Value::Object))?,
            ..Default::default()
        },
        session: session_request(req.session)?,
        attrs: client.0,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = passwords::create((&app.sessions, &app.passwords), &project, input, now).await;
    finish(&app, &project, (a, attrs), request_id, now).await
}

/// Log in with an email and password.
#[utoipa::path(post, operation_id = "passwords_authenticate", path = "/v1/passwords/authenticate", tag = "passwords",
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
        email: EmailAddress::parse(&req.email)?,
        password: req.password,
        session: session_request(req.session)?,
        attrs: client.0,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = passwords::authenticate((&app.sessions, &app.passwords), &project, input, now).await;
    finish(&app, &project, (a, attrs), request_id, now).await
}

/// The strength report of a password under the project's policy.
pub(crate) async fn strength(
    app: &AppState,
    project: &crate::model::Project,
    request_id: RequestId,
    req: wire::StrengthCheckRequest,
) -> Result<wire::StrengthCheckResponse> {
    let email = req.email.as_deref().map(EmailAddress::parse).transpose()?;
    let email = email.as_ref().map(|e| e.as_str());
    let r = passwords::strength_check(&app.passwords, project, &req.password, email).await?;
    Ok(wire::StrengthCheckResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        valid_password: r.valid,
        score: r.score,
        breached_password: r.breached,
        strength_policy: r.policy.into(),
        breach_detection_on_create: r.breach_on_create,
        feedback: r.feedback,
    })
}

/// Judge a password under the project's policy (zxcvbn or LUDS), with feedback.
#[utoipa::path(post, path = "/v1/passwords/strength_check", tag = "passwords",
    request_body = wire::StrengthCheckRequest,
    responses((status = 200, body = wire::StrengthCheckResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn strength_check(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::StrengthCheckRequest>,
) -> Result<axum::Json<wire::StrengthCheckResponse>> {
    Ok(axum::Json(strength(&app, &project, request_id, req).await?))
}

/// Import a password hash from another system (upgraded to argon2id at the first login).
#[utoipa::path(post, operation_id = "passwords_migrate", path = "/v1/passwords/migrate", tag = "passwords",
    request_body = wire::MigrateRequest,
    responses((status = 200, body = wire::MigrateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn migrate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::MigrateRequest>,
) -> Result<axum::Json<wire::MigrateResponse>> {
    let input = MigrateInput {
        email: EmailAddress::parse(&req.email)?,
        hash: Legacy::from_request(&req)?,
        user: users::NewUser {
            name: name(req.name)?,
            trusted_metadata: metadata(req.trusted_metadata.map(serde_json::Value::Object))?,
            untrusted_metadata: metadata(req.untrusted_metadata.map(serde_json::Value::Object))?,
            ..Default::default()
        },
        set_email_verified: req.set_email_verified.unwrap_or(false),
    };
    let now = Timestamp::now();
    let m = passwords::migrate(app.store(), &project, input, now).await?;
    Ok(axum::Json(wire::MigrateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: m.user.user_id.clone(),
        email_id: m.email_id,
        user_created: m.created,
        user: super::wire::user(m.user, now),
    }))
}

/// The parts of a reset start both APIs share.
pub(crate) fn start_input(
    req: wire::ResetStartRequest,
    attrs: crate::service::sessions::ClientAttributes,
) -> Result<reset::StartInput> {
    Ok(reset::StartInput {
        email: EmailAddress::parse(&req.email)?,
        redirect_url: req.reset_password_redirect_url,
        minutes: req.reset_password_expiration_minutes,
        code_challenge: req.code_challenge.filter(|c| !c.is_empty()),
        attrs,
    })
}

/// Email a single-use password-reset link.
#[utoipa::path(post, path = "/v1/passwords/email/reset/start", tag = "passwords",
    request_body = wire::ResetStartRequest,
    responses((status = 200, body = wire::ResetStartResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn email_reset_start(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::ResetStartRequest>,
) -> Result<axum::Json<wire::ResetStartResponse>> {
    let attrs = client.with(req.attributes.as_ref());
    let input = start_input(req, attrs)?;
    let s = reset::start(
        (&app.sessions, &app.delivery),
        &project,
        input,
        Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(wire::ResetStartResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: s.user_id,
        email_id: s.email_id,
    }))
}

/// Set a new password with the token of a reset link; the other sessions are revoked.
#[utoipa::path(post, path = "/v1/passwords/email/reset", tag = "passwords",
    request_body = wire::EmailResetRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn email_reset(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::EmailResetRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let input = EmailResetInput {
        token: req.token,
        password: req.password,
        code_verifier: req.code_verifier.filter(|v| !v.is_empty()),
        options: match_options(req.options),
        attrs: client.with(req.attributes.as_ref()),
        session: session_request(req.session)?,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = reset::by_email((&app.sessions, &app.passwords), &project, input, now).await;
    finish(&app, &project, (a, attrs), request_id, now).await
}

/// Change a password with the current one; the other sessions are revoked.
#[utoipa::path(post, path = "/v1/passwords/existing_password/reset", tag = "passwords",
    request_body = wire::ExistingResetRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn existing_password_reset(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::ExistingResetRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let input = ExistingInput {
        email: EmailAddress::parse(&req.email)?,
        existing: req.existing_password,
        new: req.new_password,
        session: session_request(req.session)?,
        attrs: client.0,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = reset::with_existing((&app.sessions, &app.passwords), &project, input, now).await;
    finish(&app, &project, (a, attrs), request_id, now).await
}

/// Set a new password from a session with a recent password or email factor.
#[utoipa::path(post, path = "/v1/passwords/session/reset", tag = "passwords",
    request_body = wire::SessionResetRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn session_reset(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::SessionResetRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let s = req.session;
    let session = Locator::from_pair(s.session_token, s.session_jwt)?
        .ok_or_else(|| crate::error::Error::new(crate::error::ErrorType::NoSessionArguments))?;
    let input = SessionResetInput {
        session,
        duration_minutes: s.session_duration_minutes,
        password: req.password,
        attrs: client.0,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = reset::by_session((&app.sessions, &app.passwords), &project, input, now).await;
    finish(&app, &project, (a, attrs), request_id, now).await
}

/// Delete a user's password.
#[utoipa::path(delete, path = "/v1/users/passwords/{password_id}", tag = "users",
    params(("password_id" = String, Path)),
    responses((status = 200, body = UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_password(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(password_id): Path<String>,
) -> Result<axum::Json<UserFactorResponse>> {
    let user = passwords::delete(app.store(), &project, &password_id).await?;
    Ok(super::users::factor_response(request_id, user))
}
