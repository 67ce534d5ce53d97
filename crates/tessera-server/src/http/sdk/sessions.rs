use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use tessera_proto::sdk as wire;

use super::Data;
use super::extract::Caller;
use crate::error::{Error, ErrorType, Result};
use crate::http::extract::{JsonOrEmpty, Path, RequestId};
use crate::model::event::EndReason;
use crate::model::project::StrengthPolicy;
use crate::model::session::parse_duration_minutes;
use crate::model::user::User;
use crate::model::{Project, Timestamp};
use crate::service;
use crate::service::sessions::{self, Issued, RevokeBy};
use crate::state::AppState;

/// The answer of every call that creates, refreshes or extends a session.
pub(super) fn authenticated(
    request_id: RequestId,
    issued: Issued,
    user: User,
    method_id: Option<String>,
    now: Timestamp,
) -> Data<wire::AuthenticateResponse> {
    let roles = user.effective_roles();
    Data(wire::AuthenticateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        session: crate::http::wire::session(&issued.session, roles),
        session_token: issued.token,
        session_jwt: issued.jwt,
        user: crate::http::wire::user(user, now),
        method_id,
        webauthn_registration_id: None,
    })
}

/// What the browser SDK needs before anything else: a clean, console-quiet start.
pub(super) async fn bootstrap(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Option<Caller>,
    Path(public_token): Path<String>,
) -> Result<Data<wire::Bootstrap>> {
    let project: std::sync::Arc<Project> = match caller {
        Some(c) if c.project.public_token == public_token => c.project,
        Some(_) => {
            return Err(Error::with_message(
                ErrorType::UnauthorizedCredentials,
                "The public token in the path and in the Authorization header differ.",
            ));
        }
        None => {
            service::projects::by_public_token(app.store(), &app.projects, &public_token).await?
        }
    };
    Ok(Data(wire::Bootstrap {
        request_id: request_id.into_string(),
        status_code: 200,
        project_name: project.name.clone(),
        vertical: "CONSUMER".into(),
        disable_sdk_watermark: true,
        cname_domain: None,
        email_domains: vec![app.delivery.sender_domain()],
        captcha_settings: json!({ "enabled": false }),
        pkce_required_for_email_magic_links: true,
        pkce_required_for_password_resets: false,
        pkce_required_for_oauth: true,
        pkce_required_for_sso: false,
        slug_pattern: None,
        create_organization_enabled: false,
        password_config: match project.policy.passwords {
            p if p.strength == StrengthPolicy::Luds => Some(serde_json::json!({
                "luds_complexity": p.luds_complexity,
                "luds_minimum_count": p.luds_min_length,
            })),
            _ => None,
        },
        dfp_protected_auth_enabled: false,
        dfp_protected_auth_mode: None,
        siwe_required_for_crypto_wallets: project.policy.identity.siwe_required,
        rbac_policy: json!({ "roles": [], "resources": [], "scopes": [] }),
        oauth_providers: service::oauth::config::list(app.store(), &project.project_id)
            .await?
            .into_iter()
            .map(|l| wire::BootstrapOauthProvider {
                provider: l.provider,
                provider_type: l.provider_type,
            })
            .collect(),
    }))
}

/// The session in the Basic secret: `{}` checks it and returns a fresh JWT without extending
/// it (the SDK's 3-minute refresh); `session_duration_minutes` extends it.
pub(super) async fn authenticate(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
    JsonOrEmpty(req): JsonOrEmpty<wire::SessionAuthenticateRequest>,
) -> Result<Response> {
    let loc = caller.session()?;
    let duration = req
        .session_duration_minutes
        .map(parse_duration_minutes)
        .transpose()?;
    let a = sessions::authenticate(
        &app.sessions,
        &caller.project,
        loc,
        (duration, None),
        crate::model::event::Actor::User,
        Timestamp::now(),
    )
    .await?;
    Ok(crate::http::sessions::authenticated(&request_id, &a, true))
}

/// Logs out: revokes the session in the Basic secret (the SDK posts no body).
pub(super) async fn revoke(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Data<wire::Empty>> {
    let loc = caller.session()?;
    sessions::revoke(
        &app.sessions,
        &caller.project,
        (RevokeBy::Locator(loc), EndReason::Logout),
        Timestamp::now(),
    )
    .await?;
    Ok(Data(wire::Empty {
        request_id: request_id.into_string(),
        status_code: 200,
    }))
}

/// The SDK's telemetry: accepted and dropped, unread.
pub(super) async fn events() -> StatusCode {
    StatusCode::NO_CONTENT
}
