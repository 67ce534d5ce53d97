use axum::extract::State;
use tessera_proto::ErrorResponse;
use tessera_proto::magic_links as wire;
use tessera_proto::sessions::{EmptyResponse, FactorAuthenticateResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Client, Json, ProjectAuth, RequestId};
use super::sessions::{concluded, match_options, session_request};
use super::users::metadata;
use crate::error::Result;
use crate::model::Timestamp;
use crate::model::user::EmailAddress;
use crate::service::addresses;
use crate::service::factors::Channel;
use crate::service::magic_links::{self, AuthenticateInput, EmailLinkInput, InviteInput};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send))
        .routes(routes!(login_or_create))
        .routes(routes!(invite))
        .routes(routes!(revoke_invite))
        .routes(routes!(create_embeddable))
        .routes(routes!(authenticate))
}

fn link_input(req: &wire::EmailMagicLinkRequest, client: Client) -> Result<EmailLinkInput> {
    Channel::Email.check_locale(req.locale.as_deref())?;
    Ok(EmailLinkInput {
        email: Some(EmailAddress::parse(&req.email)?),
        login_url: req.login_magic_link_url.clone(),
        signup_url: req.signup_magic_link_url.clone(),
        login_minutes: req.login_expiration_minutes,
        signup_minutes: req.signup_expiration_minutes,
        code_challenge: req.code_challenge.clone().filter(|c| !c.is_empty()),
        attrs: client.with(req.attributes.as_ref()),
        locale: req.locale.clone(),
    })
}

/// Email a login link to a user's address (or attach a new address to a user or session).
#[utoipa::path(post, path = "/v1/magic_links/email/send", tag = "magic_links",
    request_body = wire::EmailMagicLinkRequest,
    responses((status = 200, body = wire::EmailMagicLinkResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn send(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::EmailMagicLinkRequest>,
) -> Result<axum::Json<wire::EmailMagicLinkResponse>> {
    let attach = addresses::attach_from(
        req.user_id.clone(),
        req.session_token.clone(),
        req.session_jwt.clone(),
    )?;
    let input = link_input(&req, client)?;
    let (user_id, email_id) = magic_links::send(
        (&app.sessions, &app.delivery),
        &project,
        input,
        attach,
        Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(wire::EmailMagicLinkResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
        email_id,
    }))
}

/// Email a login link, creating the user (and sending a signup link) when the address is new.
#[utoipa::path(post, path = "/v1/magic_links/email/login_or_create", tag = "magic_links",
    request_body = wire::EmailMagicLinkRequest,
    responses((status = 200, body = wire::LoginOrCreateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn login_or_create(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::EmailMagicLinkRequest>,
) -> Result<axum::Json<wire::LoginOrCreateResponse>> {
    let input = link_input(&req, client)?;
    let pending = req.create_user_as_pending.unwrap_or(false);
    let (user_id, email_id, user_created) = magic_links::login_or_create(
        (app.store(), &app.delivery),
        &project,
        input,
        pending,
        Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(wire::LoginOrCreateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
        email_id,
        user_created,
    }))
}

/// Invite a new user by email (created as pending).
#[utoipa::path(post, path = "/v1/magic_links/email/invite", tag = "magic_links",
    request_body = wire::InviteRequest,
    responses((status = 200, body = wire::EmailMagicLinkResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn invite(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::InviteRequest>,
) -> Result<axum::Json<wire::EmailMagicLinkResponse>> {
    Channel::Email.check_locale(req.locale.as_deref())?;
    let input = InviteInput {
        email: Some(EmailAddress::parse(&req.email)?),
        url: req.invite_magic_link_url,
        minutes: req.invite_expiration_minutes,
        name: super::users::name(req.name)?,
        trusted_metadata: metadata(req.trusted_metadata)?,
        untrusted_metadata: metadata(req.untrusted_metadata)?,
        attrs: client.with(req.attributes.as_ref()),
    };
    let (user_id, email_id) = magic_links::invite(
        (app.store(), &app.delivery),
        &project,
        input,
        Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(wire::EmailMagicLinkResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
        email_id,
    }))
}

/// Revoke a pending invite (the invited, never-active user is removed).
#[utoipa::path(post, path = "/v1/magic_links/email/revoke_invite", tag = "magic_links",
    request_body = wire::RevokeInviteRequest,
    responses((status = 200, body = EmptyResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn revoke_invite(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::RevokeInviteRequest>,
) -> Result<axum::Json<EmptyResponse>> {
    magic_links::revoke_invite(app.store(), &project, &EmailAddress::parse(&req.email)?).await?;
    Ok(axum::Json(EmptyResponse {
        request_id: request_id.into_string(),
        status_code: 200,
    }))
}

/// Create an embeddable magic-link token for a user (not emailed).
#[utoipa::path(post, path = "/v1/magic_links", tag = "magic_links",
    request_body = wire::CreateEmbeddableRequest,
    responses((status = 200, body = wire::CreateEmbeddableResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn create_embeddable(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::CreateEmbeddableRequest>,
) -> Result<axum::Json<wire::CreateEmbeddableResponse>> {
    let attrs = client.with(req.attributes.as_ref());
    let (user_id, token) = magic_links::create_embeddable(
        app.store(),
        &project,
        &req.user_id,
        req.expiration_minutes,
        attrs,
        Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(wire::CreateEmbeddableResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
        token,
    }))
}

/// Authenticate a magic-link token (once), creating or extending a session as asked.
#[utoipa::path(post, operation_id = "magic_links_authenticate", path = "/v1/magic_links/authenticate", tag = "magic_links",
    request_body = wire::AuthenticateMagicLinkRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::AuthenticateMagicLinkRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let input = AuthenticateInput {
        token: req.token,
        code_verifier: req.code_verifier.filter(|v| !v.is_empty()),
        options: match_options(req.options),
        attrs: client.with(req.attributes.as_ref()),
        session: session_request(req.session)?,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let a = magic_links::authenticate(&app.sessions, &project, input, now).await;
    let parts = (&app, &*project);
    concluded(parts, ("magic_link", a, &attrs), request_id, now).await
}
