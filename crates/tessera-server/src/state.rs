use std::net::IpAddr;
use std::sync::Arc;

use crate::delivery::Delivery;
use crate::service::projects::ProjectCache;
use crate::service::sessions::SessionEngine;

/// What every handler can reach: one shared [`Shared`], so a clone (axum makes several per
/// request) is one reference count, not one per part. No globals. Handlers hand each service
/// the parts it uses, never this.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Shares `parts` between every handler.
    pub fn new(parts: Shared) -> Self {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    /// Sessions: the store, the signing keys and the hot path's caches.
    pub sessions: SessionEngine,
    /// Email and text senders.
    pub delivery: Delivery,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Verified project credentials.
    pub projects: ProjectCache,
    /// The password hashing pool and breach check.
    pub passwords: crate::service::passwords::Passwords,
    /// OAuth providers: the HTTP client and discovery cache.
    pub oauth: crate::service::oauth::Providers,
    /// Wakes the revocation feed's waiting readers.
    pub revocations: crate::service::sessions::revocations::RevocationSignal,
    /// Cleared when the server begins to shut down: `/readyz` then answers 503.
    pub ready: std::sync::atomic::AtomicBool,
    /// Where `/metrics` is served, if anywhere.
    pub metrics: crate::config::Metrics,
    /// The admin console is served (`--admin`).
    pub admin_console: bool,
}

impl Shared {
    /// The database.
    pub fn store(&self) -> &crate::store::Store {
        self.sessions.store()
    }
}
