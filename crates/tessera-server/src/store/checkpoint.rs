//! SQLite WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the
//! commit that crosses 1,000 WAL pages, so one request in every few thousand waits for it (tens
//! of milliseconds of copying and fsync: the p99 tail in BENCHMARKS.md). Tessera turns the
//! automatic checkpoint off on its writer connection and runs a PASSIVE checkpoint from this
//! thread every second instead: it never blocks readers or the writer, and the WAL is reused
//! from its start once a checkpoint has caught up.
//!
//! Under sustained writes a PASSIVE checkpoint catches up but the WAL never restarts: some
//! reader always still uses it, and it grows by every page written (~35 MB/s while minting
//! 1,200 sessions/s). So when the WAL passes [`WAL_LIMIT_BYTES`], the PASSIVE passes (repeated,
//! each copying what was written during the last, until under [`SMALL_REMAINDER`] frames are
//! left) are followed by one more on the writer's own connection: no write can start during it,
//! so it copies the last few frames and leaves the WAL fully copied back, which lets the next
//! write start the WAL over. Writes wait for that copy: on a large database under sustained
//! minting this costs ~8 % of the throughput and raises the p99
//! (BENCHMARKS.md), the price of a WAL that stays near 100 MB instead of growing by ~35 MB/s.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the WAL is checkpointed.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// PASSIVE checkpoints per interval at most.
const MAX_PASSES: usize = 4;

/// WAL frames (pages) left uncopied that end the passes: the catch-up copies no more than that.
const SMALL_REMAINDER: i64 = 256;

/// The WAL size past which it is made to start over rather than only copied back.
pub const WAL_LIMIT_BYTES: u64 = 64 << 20;

/// The size a WAL that starts over is cut back to, when it is larger (`journal_size_limit`).
/// Above [`WAL_LIMIT_BYTES`]: a file that keeps its size under sustained writes is reused in
/// place, where cutting it back to the limit every time measured slower (BENCHMARKS.md).
pub const WAL_KEEP_BYTES: u64 = 256 << 20;

/// Stops the checkpoint thread when dropped.
pub struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts checkpointing the database at `path` (opened with `vfs`) every
/// [`CHECKPOINT_INTERVAL`]; `writer` is the one-connection write pool, reached through `rt`.
pub(super) fn start(
    path: PathBuf,
    vfs: &'static str,
    writer: sqlx::SqlitePool,
    rt: tokio::runtime::Handle,
) -> Checkpointer {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let conn = match rusqlite::Connection::open_with_flags_and_vfs(
                &path,
                rusqlite::OpenFlags::default(),
                vfs,
            ) {
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
                // Passes until little is left: each copies what was written during the last.
                for _ in 0..MAX_PASSES {
                    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                        Ok(r.get::<_, i64>(1)? - r.get::<_, i64>(2)?)
                    }) {
                        Ok(left) if left > SMALL_REMAINDER => continue,
                        Ok(_) => break,
                        Err(e) => {
                            tracing::debug!(error = %e, "WAL checkpoint skipped");
                            break;
                        }
                    }
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
