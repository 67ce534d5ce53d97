//! The revocation feed's subscriber: a background task long-polls `GET
//! /v1/sessions/revocations` and tells the client's JWT verifier which sessions ended, so
//! [`Sessions::authenticate_jwt_local`](crate::Sessions::authenticate_jwt_local) refuses a
//! revoked session's JWT within a second or two of the revocation, on whichever server instance
//! it happened, instead of when the JWT expires.
//!
//! While subscribed, the verifier fails closed: until the first answer arrives, and whenever no
//! answer has come for [`STALE_AFTER`] (the server is unreachable), local verification answers
//! [`JwtError::RevocationsUnknown`](crate::JwtError::RevocationsUnknown), which
//! [`Sessions::authenticate_jwt`](crate::Sessions::authenticate_jwt) and the axum extractor
//! turn into a call to the API.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Client;
use crate::jwt::JwtError;

/// How long the server holds a poll open when there is no revocation.
pub const POLL_WAIT: Duration = Duration::from_secs(10);
/// How long after the last answer the feed counts as current. An answer comes at least every
/// [`POLL_WAIT`] while the server is reachable.
pub const STALE_AFTER: Duration = Duration::from_secs(15);
/// How long a revocation is remembered: longer than any JWT of the session can live (5 minutes,
/// plus the clock skew verifiers allow).
const REMEMBER: Duration = Duration::from_secs(6 * 60);
/// The most revocations remembered before the oldest are dropped.
const MAX_REMEMBERED: usize = 1_000_000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What the verifier knows of revocations.
#[derive(Debug, Default)]
pub(crate) struct RevokedSessions {
    /// Session id → when to forget it (epoch milliseconds).
    sessions: RwLock<HashMap<String, i64>>,
    /// Whether a feed task keeps this current.
    subscribed: AtomicBool,
    /// Until when (epoch milliseconds) the last answer vouches for what is known.
    current_until: AtomicI64,
}

impl RevokedSessions {
    /// Whether `session_id` may be accepted locally.
    pub(crate) fn check(&self, session_id: &str) -> Result<(), JwtError> {
        if !self.subscribed.load(Ordering::Relaxed) {
            return Ok(());
        }
        if self.current_until.load(Ordering::Relaxed) < now_ms() {
            return Err(JwtError::RevocationsUnknown);
        }
        let sessions = self.sessions.read().expect("revocations lock poisoned");
        if sessions.is_empty() || !sessions.contains_key(session_id) {
            return Ok(());
        }
        Err(JwtError::Revoked)
    }

    fn learn(&self, ids: impl IntoIterator<Item = String>) {
        let now = now_ms();
        let forget_at = now + REMEMBER.as_millis() as i64;
        let mut sessions = self.sessions.write().expect("revocations lock poisoned");
        for id in ids {
            sessions.insert(id, forget_at);
        }
        if sessions.len() > MAX_REMEMBERED / 2 {
            sessions.retain(|_, at| *at > now);
        }
        while sessions.len() > MAX_REMEMBERED {
            // Still too many live ones: forget an arbitrary one rather than grow without bound.
            let Some(k) = sessions.keys().next().cloned() else {
                break;
            };
            sessions.remove(&k);
        }
    }

    fn vouch(&self) {
        self.current_until
            .store(now_ms() + STALE_AFTER.as_millis() as i64, Ordering::Relaxed);
    }
}

/// A running subscription. Dropping it stops the task; the verifier then stops checking
/// revocations (and stops failing closed).
#[derive(Debug)]
pub struct RevocationFeed {
    task: tokio::task::AbortHandle,
    client: Client,
}

impl Drop for RevocationFeed {
    fn drop(&mut self) {
        self.task.abort();
        self.client
            .jwt
            .revoked
            .subscribed
            .store(false, Ordering::Relaxed);
    }
}

impl RevocationFeed {
    /// Whether the feed has answered recently enough for local verification to rely on it.
    pub fn is_current(&self) -> bool {
        self.client
            .jwt
            .revoked
            .current_until
            .load(Ordering::Relaxed)
            >= now_ms()
    }

    /// Waits until the feed is current (its first answer), up to `timeout`. Returns whether it
    /// is.
    pub async fn wait_current(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.is_current() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

impl Client {
    /// Subscribes this client's JWT verifier (and every clone's) to the server's revocation
    /// feed. Needs a Tokio runtime. See the module documentation.
    pub fn subscribe_revocations(&self) -> RevocationFeed {
        let revoked = &self.jwt.revoked;
        revoked.current_until.store(0, Ordering::Relaxed);
        revoked.subscribed.store(true, Ordering::Relaxed);
        let client = self.clone();
        let task = tokio::spawn(async move { follow(client).await }).abort_handle();
        RevocationFeed {
            task,
            client: self.clone(),
        }
    }
}

/// Long-polls the feed for ever, resuming from its cursor after an error.
async fn follow(client: Client) {
    let mut cursor: Option<String> = None;
    let mut pause = Duration::from_millis(100);
    loop {
        let wait = if cursor.is_some() {
            POLL_WAIT
        } else {
            Duration::ZERO
        };
        match client.sessions().revocations(cursor.as_deref(), wait).await {
            Ok(page) => {
                let revoked = &client.jwt.revoked;
                revoked.learn(page.revocations.into_iter().map(|r| r.session_id));
                if !page.has_more {
                    revoked.vouch();
                }
                cursor = Some(page.cursor);
                pause = Duration::from_millis(100);
            }
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}
