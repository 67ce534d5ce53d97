//! A circuit breaker for database outages (held by `error::render_errors`, the one middleware
//! every request passes): once a request found the database unreachable, the
//! next ones answer 503 `database_unavailable` at once instead of each waiting out the
//! connection timeout, while one request every [`PROBE_EVERY`] goes through to see whether it
//! is back; the first answer from a working database closes the breaker.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use crate::error::ErrorType;

/// How often a request is let through to the database while the breaker is open.
pub(crate) const PROBE_EVERY: Duration = Duration::from_millis(250);

/// The breaker's state: whether it is open, and when the last probe went through (in
/// milliseconds since `epoch` plus one).
pub(crate) struct Breaker {
    epoch: Instant,
    open: AtomicBool,
    last_probe: AtomicU64,
}

impl Breaker {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Breaker {
            epoch: Instant::now(),
            open: AtomicBool::new(false),
            last_probe: AtomicU64::new(0),
        })
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }

    /// Whether this request may go to the database: always while closed; while open, one
    /// request per [`PROBE_EVERY`].
    pub(crate) fn admits(&self) -> bool {
        if !self.open.load(Ordering::Relaxed) {
            return true;
        }
        let now = self.now();
        let last = self.last_probe.load(Ordering::Relaxed);
        now.saturating_sub(last) >= PROBE_EVERY.as_millis() as u64
            && self
                .last_probe
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    /// Opens the breaker on an answer that found the database unreachable (its pending error
    /// is `kind`); closes it on any other answer that is not a server error.
    pub(crate) fn record(&self, status: StatusCode, kind: Option<ErrorType>) {
        if kind == Some(ErrorType::DatabaseUnavailable) {
            if !self.open.load(Ordering::Relaxed) {
                self.last_probe.store(self.now(), Ordering::Relaxed);
                self.open.store(true, Ordering::Relaxed);
            }
        } else if !status.is_server_error() && self.open.load(Ordering::Relaxed) {
            self.open.store(false, Ordering::Relaxed);
        }
    }
}

/// Paths that never need the database (or check it themselves) pass whatever the state.
pub(crate) fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/openapi.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_breaker_admits_one_probe_per_interval() {
        let b = Breaker::new();
        assert!(b.admits() && b.admits(), "closed: everything passes");
        b.record(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(ErrorType::DatabaseUnavailable),
        );
        assert!(!b.admits(), "open: nothing passes until the probe is due");
        std::thread::sleep(PROBE_EVERY + Duration::from_millis(10));
        assert!(b.admits(), "the probe passes");
        assert!(!b.admits(), "only one");
        b.record(StatusCode::OK, None);
        assert!(b.admits() && b.admits(), "closed again by an answer");
    }
}
