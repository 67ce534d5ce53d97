//! `/healthz` (alive) and `/readyz` (ready for traffic), for load balancers and orchestrators.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

#[derive(Serialize, ToSchema)]
struct Health {
    /// `ok`, `unavailable` (the database does not answer) or `draining` (shutting down).
    status: &'static str,
}

/// Liveness: 200 while the process serves requests, whatever the database does (restarting a
/// server does not bring a database back).
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = Health)))]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Readiness: 200 when the database answers; 503 when it does not, and from the moment the
/// server begins to shut down (so a load balancer sends it nothing new while it drains).
#[utoipa::path(get, path = "/readyz", tag = "meta",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(app): State<AppState>) -> (StatusCode, axum::Json<Health>) {
    let unavailable = |status| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(Health { status }),
        )
    };
    if !app.ready.load(Ordering::Relaxed) {
        return unavailable("draining");
    }
    match crate::service::database_ready(app.store()).await {
        Ok(()) => (StatusCode::OK, axum::Json(Health { status: "ok" })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            unavailable("unavailable")
        }
    }
}
