//! The frontend API, `/sdk/v1`: what Stytch's browser SDKs (and Tessera's own headless
//! clients) call with a public token. Successes are wrapped in `{"data": …}`; errors are the
//! usual flat envelope. Every route passes through [`cors::guard`].

use axum::Router;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Serialize;

use crate::error::{Error, ErrorType};
use crate::state::AppState;

/// HttpOnly cookie sessions: tokens in cookies, the CSRF rule.
pub(crate) mod cookies;
pub(crate) use cookies::set_session_cookies;
/// CORS and the per-project origin check.
mod cors;
/// Passwords and authenticator apps (TOTP): the public endpoints, limited like the others.
mod credentials;
/// The signed-in user's devices (sessions) and logging out the others.
mod devices;
/// The caller: project from the public token, session from the Basic secret.
mod extract;
/// Magic links and passcodes: sends and authenticate.
mod factors;
/// WebAuthn and crypto wallets: the public-key factors.
mod keys;
/// OAuth authenticate and attach, impersonation, deleting a provider registration.
mod oauth;
/// Bootstrap, session refresh and revoke, telemetry.
mod sessions;
/// The signed-in user: read, update, delete factors.
mod users;

/// A success answer: `{"data": T}`.
pub(crate) struct Data<T>(pub(crate) T);

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        axum::Json(tessera_proto::sdk::Data { data: self.0 }).into_response()
    }
}

/// Every `/sdk/v1` route, to be nested under that prefix.
pub(crate) fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/projects/bootstrap/{public_token}",
            get(sessions::bootstrap),
        )
        .route("/sessions/authenticate", post(sessions::authenticate))
        .route("/sessions/revoke", post(sessions::revoke))
        .route("/sessions", get(devices::list))
        .route("/sessions/revoke_others", post(devices::revoke_others))
        .route("/events", post(sessions::events))
        .route("/users/me", get(users::me).put(users::update_me))
        .route("/users/emails/{id}", delete(users::delete_email))
        .route("/users/phone_numbers/{id}", delete(users::delete_phone))
        .route("/users/totps/{id}", delete(credentials::totp_delete))
        .route("/users/oauth/{id}", delete(oauth::delete))
        .route("/oauth/authenticate", post(oauth::authenticate))
        .route("/oauth/attach", post(oauth::attach))
        .route(
            "/impersonation/authenticate",
            post(oauth::impersonation_authenticate),
        )
        .route(
            "/users/webauthn_registrations/{id}",
            delete(keys::webauthn_delete),
        )
        .route("/users/crypto_wallets/{id}", delete(keys::wallet_delete))
        .route("/users/{kind}/{id}", delete(users::delete_other))
        .route("/webauthn/register/start", post(keys::register_start))
        .route("/webauthn/register", post(keys::register))
        .route(
            "/webauthn/authenticate/start/{which}",
            post(keys::authenticate_start),
        )
        .route("/webauthn/authenticate", post(keys::authenticate))
        .route("/webauthn/update/{id}", axum::routing::put(keys::update))
        .route(
            "/crypto_wallets/authenticate/start/{which}",
            post(keys::wallet_start),
        )
        .route(
            "/crypto_wallets/authenticate",
            post(keys::wallet_authenticate),
        )
        .route("/users/search", post(credentials::user_search))
        .route("/passwords", post(credentials::create))
        .route("/passwords/authenticate", post(credentials::authenticate))
        .route(
            "/passwords/strength_check",
            post(credentials::strength_check),
        )
        .route(
            "/passwords/email/reset/start",
            post(credentials::reset_start),
        )
        .route("/passwords/email/reset", post(credentials::reset_by_email))
        .route(
            "/passwords/existing_password/reset",
            post(credentials::reset_existing),
        )
        .route(
            "/passwords/session/reset",
            post(credentials::reset_by_session),
        )
        .route("/totps", post(credentials::totp_create))
        .route("/totps/authenticate", post(credentials::totp_authenticate))
        .route("/totps/recover", post(credentials::totp_recover))
        .route(
            "/totps/recovery_codes",
            post(credentials::totp_recovery_codes),
        )
        .route(
            "/magic_links/email/login_or_create",
            post(factors::magic_link_login_or_create),
        )
        .route(
            "/magic_links/email/send/{which}",
            post(factors::magic_link_send),
        )
        .route(
            "/magic_links/authenticate",
            post(factors::magic_link_authenticate),
        )
        .route(
            "/otps/{channel}/login_or_create",
            post(factors::otp_login_or_create),
        )
        .route("/otps/{channel}/send/{which}", post(factors::otp_send))
        .route("/otps/authenticate", post(factors::otp_authenticate))
        .fallback(|| async { Error::new(ErrorType::RouteNotFound) })
        .method_not_allowed_fallback(|| async { Error::new(ErrorType::MethodNotAllowed) })
        .layer(middleware::from_fn_with_state(state, cors::guard))
}
