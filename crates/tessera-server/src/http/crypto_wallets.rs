//! `/v1/crypto_wallets/*` and `DELETE /v1/users/crypto_wallets/{id}`: wallet logins through the
//! backend API.

use axum::extract::State;
use tessera_proto::ErrorResponse;
use tessera_proto::crypto_wallets as wire;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::users::UserFactorResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Client, Json, Path, ProjectAuth, RequestId};
use super::sessions::{concluded, session_request};
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::service::crypto_wallets::{self, Attach, Siwe, StartInput};
use crate::service::limits;
use crate::service::sessions::Locator;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authenticate_start))
        .routes(routes!(authenticate))
        .routes(routes!(delete_wallet))
}

/// The service's Sign-In with Ethereum parameters from the wire's; `domain` falls back to
/// `fallback_domain` (the frontend API's caller origin).
pub(crate) fn siwe(p: wire::SiweParams, fallback_domain: Option<String>) -> Siwe {
    Siwe {
        domain: p.domain.or(fallback_domain).unwrap_or_default(),
        uri: p.uri,
        chain_id: p.chain_id,
        statement: p.statement,
        issued_at: p.issued_at,
        not_before: p.not_before,
        request_id: p.message_request_id,
        resources: p.resources.unwrap_or_default(),
    }
}

/// The challenge for a wallet: a new wallet gets a user; with a user or session, the wallet is
/// attached to it once it signs.
#[utoipa::path(post, operation_id = "crypto_wallets_authenticate_start", path = "/v1/crypto_wallets/authenticate/start", tag = "crypto_wallets",
    request_body = wire::AuthenticateStartRequest,
    responses((status = 200, body = wire::AuthenticateStartResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate_start(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::AuthenticateStartRequest>,
) -> Result<axum::Json<wire::AuthenticateStartResponse>> {
    let attach = match (req.user_id, req.session_token, req.session_jwt) {
        (None, None, None) => Attach::Nobody,
        (Some(u), None, None) => Attach::User(u),
        (None, Some(t), None) => Attach::Session(Locator::Token(t)),
        (None, None, Some(j)) => Attach::Session(Locator::Jwt(j)),
        _ => return Err(Error::new(ErrorType::TooManyUserSelectionArguments)),
    };
    let input = StartInput {
        wallet_type: req.crypto_wallet_type,
        address: req.crypto_wallet_address,
        attach,
        siwe: req.siwe_params.map(|p| siwe(p, None)),
    };
    let s = crypto_wallets::start(&app.sessions, &project, input, Timestamp::now()).await?;
    Ok(axum::Json(wire::AuthenticateStartResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: s.user_id,
        challenge: s.challenge,
        user_created: s.user_created,
    }))
}

/// Check the wallet's signature of its challenge: log in, or add the factor to a session.
#[utoipa::path(post, operation_id = "crypto_wallets_authenticate", path = "/v1/crypto_wallets/authenticate", tag = "crypto_wallets",
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
    limits::check_authenticate(app.store(), &project, &client.0.ip_address, now).await?;
    let session = session_request(req.session)?;
    let a = crypto_wallets::authenticate(
        &app.sessions,
        &project,
        (
            &req.crypto_wallet_type,
            &req.crypto_wallet_address,
            &req.signature,
        ),
        session,
        &client.0,
        now,
    )
    .await;
    let parts = (&app, &*project);
    concluded(parts, ("crypto_wallet", a, &client.0), request_id, now).await
}

/// Delete a wallet from its user.
#[utoipa::path(delete, path = "/v1/users/crypto_wallets/{crypto_wallet_id}", tag = "users",
    params(("crypto_wallet_id" = String, Path)),
    responses((status = 200, body = UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_wallet(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<UserFactorResponse>> {
    let user = crypto_wallets::delete(app.store(), &project, &id).await?;
    Ok(super::users::factor_response(request_id, user))
}
