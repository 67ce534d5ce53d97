//! HTTP: the only module that imports axum. Handlers translate between the wire (`tessera-proto`)
//! and services; errors become Stytch's envelope in `error.rs` and nowhere else.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::middleware;
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{Error, ErrorType};
use crate::state::AppState;

/// The admin console (`--admin`).
mod admin;
/// Shedding requests while the database is unreachable.
pub(crate) mod breaker;
/// Crypto wallets: challenges and signatures, deleting a wallet.
pub(crate) mod crypto_wallets;
/// The error envelope middleware and the status table.
pub(crate) mod error;
/// `/v1/events` and session timelines.
mod events;
/// Extractors: project auth, request id, JSON and path with envelope rejections.
pub(crate) mod extract;
/// The hosted login page (`/login`): server-rendered forms for email links and codes.
mod hosted;
/// `/v1/magic_links`.
mod magic_links;
/// Health and the OpenAPI document.
mod meta;
/// Prometheus metrics: request counts and latencies, `/metrics`.
pub mod metrics;
/// `/v1/oauth`, its public start and callback, impersonation and session import.
mod oauth;
/// `/v1/otps`.
mod otps;
/// `/v1/passwords`.
mod passwords;
/// `GET /v1/sessions/revocations`: the revocation feed.
mod revocations;
/// The frontend API, `/sdk/v1`.
pub(crate) mod sdk;
/// The plain-HTTP accept loop.
pub(crate) mod serve;
/// `/v1/sessions`.
mod sessions;
/// `/v1/totps`.
mod totps;
/// `/v1/users`.
mod users;
/// WebAuthn: registration and login ceremonies, rename, credentials, delete.
mod webauthn;
/// Domain types to the wire types of answers.
pub(crate) mod wire;

/// Renders the answer of `sessions/authenticate` for the session engine's cache.
pub struct WireRender;

impl crate::service::sessions::Render for WireRender {
    fn session(
        &self,
        s: &crate::model::session::Session,
        roles: Vec<String>,
    ) -> serde_json::Result<Box<serde_json::value::RawValue>> {
        serde_json::value::to_raw_value(&wire::session(s, roles))
    }

    fn user(
        &self,
        u: crate::model::user::User,
        now: crate::model::Timestamp,
    ) -> serde_json::Result<Box<serde_json::value::RawValue>> {
        serde_json::value::to_raw_value(&wire::user(u, now))
    }
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The longest a request may take, body read included; past it the handler is dropped (a
/// transaction in flight rolls back) and the client gets `request_timeout`.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Marks an answer as not to be stored by any cache.
async fn no_store(mut res: axum::response::Response) -> axum::response::Response {
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    res
}

/// Bounds every request by [`REQUEST_TIMEOUT`].
async fn request_timeout(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(res) => res,
        Err(_) => Error::new(ErrorType::RequestTimeout).into_response(),
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera",
        description = "Self-hosted consumer authentication, wire-compatible with Stytch's Consumer API."
    ),
    modifiers(&SecurityAddon)
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "project_secret",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// Every route with its OpenAPI description; the document is generated from the same list.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(users::router())
        .merge(sessions::router())
        .merge(revocations::router())
        .merge(events::router())
        .merge(magic_links::router())
        .merge(otps::router())
        .merge(passwords::router())
        .merge(totps::router())
        .merge(oauth::router())
        .merge(webauthn::router())
        .merge(crypto_wallets::router())
        .merge(meta::router())
        .split_for_parts()
}

/// The OpenAPI document of every implemented route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole application: routes, fallbacks and the layers every request passes through.
pub fn router(state: AppState) -> Router {
    let (routes, openapi) = api();
    let openapi = Arc::new(openapi);
    let mut routes = routes
        .nest("/sdk/v1", sdk::router(state.clone()))
        .merge(oauth::browser_routes())
        .merge(hosted::routes())
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = Arc::clone(&openapi);
                async move { axum::Json(doc).into_response() }
            }),
        );
    if state.admin_console {
        routes = routes.merge(admin::routes());
    }
    // Without metrics, requests pass no metrics layer at all.
    if state.metrics.enabled() {
        routes = routes
            .route("/metrics", axum::routing::get(metrics::guarded))
            .route_layer(middleware::from_fn(metrics::track));
    }
    routes
        .fallback(|| async { Error::new(ErrorType::RouteNotFound) })
        .method_not_allowed_fallback(|| async { Error::new(ErrorType::MethodNotAllowed) })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(request_timeout))
        .layer(CatchPanicLayer::custom(|_| {
            Error::Internal(anyhow::anyhow!("a handler panicked")).into_response()
        }))
        // Only the method and path are logged: queries, headers and bodies may carry secrets.
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                // Fields are only evaluated when the span is enabled.
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    path = %req.uri().path(),
                    request_id = %req
                        .extensions()
                        .get::<extract::RequestId>()
                        .map_or("", |r| r.as_str()),
                )
            }),
        )
        .layer(middleware::from_fn_with_state(
            breaker::Breaker::new(),
            error::render_errors,
        ))
        // Answers carry tokens, JWTs and user data: no cache may keep them.
        .layer(middleware::map_response(no_store))
        .with_state(state)
}
