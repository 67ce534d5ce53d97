//! SQLite WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the
//! commit that crosses 1,000 WAL pages, so one request in every few thousand waits for it (tens
//! of milliseconds of copying and fsync: the p99 tail in BENCHMARKS.md). Tessera turns the
//! automatic checkpoint off on its writer connection and runs a PASSIVE checkpoint from this
//! thread every second instead: it never blocks readers or the writer, and the WAL is reused
//! from its start once a checkpoint has caught up.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the WAL is checkpointed.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Stops the checkpoint thread when dropped.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts checkpointing the database at `path` every [`CHECKPOINT_INTERVAL`].
pub(super) fn start(path: PathBuf) -> Checkpointer {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let conn = match rusqlite::Connection::open(&path) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoints: cannot open the database");
                    return;
                }
            };
            let _ = conn.busy_timeout(Duration::from_millis(100));
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(CHECKPOINT_INTERVAL);
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
            }
        })
        .expect("spawn the checkpoint thread");
    Checkpointer { stop }
}
