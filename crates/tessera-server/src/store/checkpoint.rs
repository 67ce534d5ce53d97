//! SQLite WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the
//! commit that crosses 1,000 WAL pages, so one request in every few thousand waits for it (tens
//! of milliseconds of copying and fsync: the p99 tail in BENCHMARKS.md). Tessera turns the
//! automatic checkpoint off on its writer connection and runs a PASSIVE checkpoint from this
//! thread every second instead: it never blocks readers or the writer, and the WAL is reused
//! from its start once a checkpoint has caught up.
//!
//! Under sustained writes a PASSIVE checkpoint catches up but the WAL never restarts: some
//! reader always still uses it, and it grows by every page written (~35 MB/s while minting
//! 1,200 sessions/s). So when the WAL passes [`WAL_LIMIT_BYTES`], the checkpoint that follows
//! the PASSIVE one is followed by a second one on the writer's own connection: no write can
//! then start during it, so it copies the few frames written since the first one and leaves the
//! WAL fully copied back, which lets the next write start the WAL over (cut back to the limit).
//! Writes wait only for that short copy.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the WAL is checkpointed.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// The WAL size past which it is emptied rather than only copied back.
pub const WAL_LIMIT_BYTES: u64 = 64 << 20;

/// Stops the checkpoint thread when dropped.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts checkpointing the database at `path` every [`CHECKPOINT_INTERVAL`]; `writer` is the
/// one-connection write pool, reached through `rt`.
pub(super) fn start(
    path: PathBuf,
    writer: sqlx::SqlitePool,
    rt: tokio::runtime::Handle,
) -> Checkpointer {
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
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(CHECKPOINT_INTERVAL);
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
                let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                if size > WAL_LIMIT_BYTES
                    && let Err(e) =
                        rt.block_on(sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&writer))
                {
                    tracing::debug!(error = %e, "WAL catch-up checkpoint skipped");
                }
            }
        })
        .expect("spawn the checkpoint thread");
    Checkpointer { stop }
}
