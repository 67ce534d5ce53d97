use std::net::IpAddr;
use std::sync::Arc;

use crate::delivery::Delivery;
use crate::service::access::AccessLog;
use crate::service::cache::{JwtCache, ProjectCache, RenderCache, VerifiedJwts};
use crate::service::keys::KeyRing;
use crate::service::limits::Limiter;
use crate::service::presign::Presigner;
use crate::store::Store;

/// What every handler can reach: one shared [`Shared`], so a clone (axum makes several per
/// request) is one reference count, not one per part. No globals.
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
    /// The database.
    pub store: Store,
    /// This instance's cache of signing keys.
    pub keys: Arc<KeyRing>,
    /// Email and text senders.
    pub delivery: Arc<Delivery>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<IpAddr>>,
    /// Verified project credentials.
    pub projects: Arc<ProjectCache>,
    /// Recently minted session JWTs.
    pub jwts: Arc<JwtCache>,
    /// Rendered `sessions/authenticate` answers.
    pub rendered: Arc<RenderCache>,
    /// The background signer of JWTs coming due.
    pub presigner: Arc<Presigner>,
    /// Verified session JWTs.
    pub verified_jwts: Arc<VerifiedJwts>,
    /// Session access times waiting to be written.
    pub access: Arc<AccessLog>,
    /// Send limits of the frontend API.
    pub limiter: Arc<Limiter>,
}
