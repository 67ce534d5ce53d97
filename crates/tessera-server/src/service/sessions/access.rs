//! Session access times written behind. An authenticate that changes nothing but the access
//! time records it here and answers at once; the times of every session accessed meanwhile are
//! written together every [`FLUSH_INTERVAL`], in one transaction. One commit per interval
//! instead of one per session: on SQLite each commit makes every reader drop its page cache and
//! its map of the file, and on PostgreSQL each update is a statement of its own.
//!
//! What the database holds is then at most the touch bound plus one interval behind the last
//! access (and an answer is never behind its own request). Writes that decide something (an
//! extension, claims, a new factor) are not written behind.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Duration;

use crate::store::{Store, StoreResult};

/// How often recorded accesses are written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);

/// Accesses recorded and not yet written, by `(project_id, session_id)`.
#[derive(Default)]
pub struct AccessLog {
    pending: Mutex<HashMap<(String, String), i64>>,
    stop: tokio::sync::Notify,
}

impl AccessLog {
    /// Records that the session was accessed at `at_ms` (the latest time wins).
    pub fn record(&self, project_id: &str, session_id: &str, at_ms: i64) {
        let mut pending = self.pending.lock();
        let at = pending
            .entry((project_id.to_owned(), session_id.to_owned()))
            .or_insert(at_ms);
        *at = (*at).max(at_ms);
    }

    /// Writes every access recorded so far. On failure they are kept for the next flush
    /// (unless newer ones for the same session arrived meanwhile).
    pub async fn flush(&self, store: &Store) -> StoreResult<()> {
        let taken = std::mem::take(&mut *self.pending.lock());
        if taken.is_empty() {
            return Ok(());
        }
        let mut batch: Vec<(String, String, i64)> =
            taken.into_iter().map(|((p, s), at)| (p, s, at)).collect();
        // A fixed order: concurrent flushes from several instances lock rows alike.
        batch.sort_unstable();
        if let Err(e) = store.record_accesses(&batch).await {
            let mut pending = self.pending.lock();
            for (p, s, at) in batch {
                let slot = pending.entry((p, s)).or_insert(at);
                *slot = (*slot).max(at);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Flushes every [`FLUSH_INTERVAL`] until [`AccessLog::stop`], then once more.
    pub async fn run(&self, store: Store) {
        let mut tick = tokio::time::interval(FLUSH_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stopping = tokio::select! {
                _ = tick.tick() => false,
                _ = self.stop.notified() => true,
            };
            if let Err(e) = self.flush(&store).await {
                tracing::warn!(error = %e, "writing session access times failed");
            }
            if stopping {
                return;
            }
        }
    }

    /// Makes [`AccessLog::run`] write what is pending and return.
    pub fn stop(&self) {
        self.stop.notify_one();
    }

    /// How many sessions have an access waiting to be written.
    pub fn len(&self) -> usize {
        self.pending.lock().len()
    }

    /// Whether nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
