//! Prometheus metrics at `/metrics`, off unless `--metrics-listen` (a listener of its own) or
//! `--metrics-token` (a bearer token on the main listener) is set: request counts and latency
//! per route and status here; logins, sessions, limits, webhooks and caches where they happen
//! (through the `metrics` macros, which cost nothing while no recorder is installed).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;

use crate::error::{Error, ErrorType};
use crate::state::AppState;

/// Latency buckets, in seconds: 100 µs to 10 s.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (the `metrics` crates keep one per process;
/// several servers in one test process share it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("the buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// Folds the histograms' recorded samples into their buckets every 5 s until the task is
/// dropped: the exporter keeps each sample until then, so without it memory would grow with
/// every request between scrapes.
pub async fn upkeep() {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        handle().run_upkeep();
    }
}

/// Counts each routed request and times it, by route template (never the path: ids stay
/// out of labels), method and status.
pub(crate) async fn track(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = matched.map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("tessera_http_requests_total", "route" => route.clone(),
        "method" => method.clone(), "status" => status)
    .increment(1);
    metrics::histogram!("tessera_http_request_duration_seconds", "route" => route,
        "method" => method)
    .record(start.elapsed().as_secs_f64());
    res
}

/// The scrape: the text format, after the gauges are brought up to date.
async fn scrape(app: &AppState) -> Response {
    gauges(app).await;
    let h = handle();
    h.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        h.render(),
    )
        .into_response()
}

/// `/metrics` on the main listener: for a bearer of `--metrics-token` only; anyone else finds
/// no such route.
pub(crate) async fn guarded(State(app): State<AppState>, req: Request) -> Response {
    let Some(token) = app.metrics.token.as_deref() else {
        return Error::new(ErrorType::RouteNotFound).into_response();
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        return (StatusCode::UNAUTHORIZED, "metrics need the bearer token").into_response();
    }
    scrape(&app).await
}

/// Serves `/metrics` alone on `--metrics-listen` until the task is dropped.
pub async fn serve_own(listener: tokio::net::TcpListener, app: AppState) {
    let router = axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(app): State<AppState>| async move { scrape(&app).await }),
        )
        .with_state(app);
    if let Err(e) = axum::serve(listener, router).await {
        tracing::warn!(error = %e, "the metrics listener stopped");
    }
}

/// Gauges read at scrape time: live sessions (counted at most every 10 s), the database pool,
/// the write-behind queue.
async fn gauges(app: &AppState) {
    static LAST_COUNT: parking_lot::Mutex<Option<Instant>> = parking_lot::Mutex::new(None);
    let due = {
        let mut last = LAST_COUNT.lock();
        let due = last.is_none_or(|t| t.elapsed() >= Duration::from_secs(10));
        if due {
            *last = Some(Instant::now());
        }
        due
    };
    if due {
        match app
            .store()
            .count_live_sessions(crate::model::Timestamp::now())
            .await
        {
            Ok(n) => metrics::gauge!("tessera_sessions_active").set(n as f64),
            Err(e) => tracing::debug!(error = %e, "live sessions not counted"),
        }
    }
    let (size, idle) = app.store().pool_sizes();
    metrics::gauge!("tessera_db_pool_connections").set(size as f64);
    metrics::gauge!("tessera_db_pool_idle").set(idle as f64);
    metrics::gauge!("tessera_access_writes_pending").set(app.sessions.access_log().len() as f64);
}
