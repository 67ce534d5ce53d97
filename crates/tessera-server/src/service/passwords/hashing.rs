//! Password hashing with argon2id at OWASP's parameters, on a bounded pool of its own threads
//! at a lower scheduling priority (nice 10), so that a storm of password logins queues here and
//! yields the CPU to session checks instead of starving them.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::legacy::Legacy;
use crate::error::{Error, ErrorType, Result};

/// OWASP's argon2id (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes.
pub const PASSES: u32 = 2;
/// Lanes.
pub const LANES: u32 = 1;
/// Hashes waiting per hashing thread before new ones are refused (429).
const QUEUE_PER_THREAD: usize = 256;
/// The hashing threads' priority: 25 of 100, nice 10 on Linux (about a tenth of a normal
/// thread's share of a busy core).
const PRIORITY: u8 = 25;
/// The prefix of a stored hash imported by `migrate` and not used since.
pub const LEGACY_PREFIX: &str = "legacy:";

/// The outcome of checking a password against a stored hash.
#[derive(Debug)]
pub struct Checked {
    /// The password is right.
    pub ok: bool,
    /// A fresh argon2id hash to store instead (the stored one is an import or has old
    /// parameters); only when `ok`.
    pub upgrade: Option<String>,
}

type Job = Box<dyn FnOnce() + Send>;

/// The bounded hashing pool: a queue of jobs and the threads that run them.
#[derive(Clone)]
pub struct Hasher {
    threads: usize,
    queue: SyncSender<Job>,
    params: Params,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("threads", &self.threads)
            .finish()
    }
}

fn worker(jobs: Arc<Mutex<Receiver<Job>>>) {
    let priority = PRIORITY
        .try_into()
        .map(thread_priority::ThreadPriority::Crossplatform);
    if let Ok(p) = priority
        && let Err(e) = thread_priority::set_current_thread_priority(p)
    {
        tracing::debug!(error = ?e, "the hashing thread keeps its priority");
    }
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            // Every sender is gone: the pool was dropped.
            Err(_) => return,
        }
    }
}

impl Hasher {
    /// A pool of `threads` hashing threads with the given argon2id parameters. The threads end
    /// when the last clone of the pool is dropped.
    pub fn new(threads: usize, params: Params) -> Self {
        let threads = threads.max(1);
        let (queue, jobs) = sync_channel::<Job>(threads * QUEUE_PER_THREAD);
        let jobs = Arc::new(Mutex::new(jobs));
        for i in 0..threads {
            let jobs = Arc::clone(&jobs);
            let spawned = std::thread::Builder::new()
                .name(format!("tessera-hash-{i}"))
                .spawn(move || worker(jobs));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "a password hashing thread could not start");
            }
        }
        Hasher {
            threads,
            queue,
            params,
        }
    }

    /// OWASP's parameters on all cores but one (one at least): the last core is left to
    /// everything else, session checks first.
    pub fn sized_to_cores() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores.saturating_sub(1), Self::owasp())
    }

    /// OWASP's argon2id parameters.
    pub fn owasp() -> Params {
        Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default()
    }

    /// Hashing threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Runs `f` on a hashing thread; a full queue refuses at once (429). A job whose caller
    /// has gone (the client hung up while it waited) is skipped, not computed.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if !tx.is_closed() {
                let _ = tx.send(f());
            }
        });
        self.queue.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Error::new(ErrorType::TooManyRequests),
            TrySendError::Disconnected(_) => {
                Error::Internal(anyhow::anyhow!("the hashing threads are gone"))
            }
        })?;
        rx.await
            .map_err(|_| Error::Internal(anyhow::anyhow!("a hashing thread failed")))
    }

    /// A new argon2id PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String> {
        let argon2 = self.argon2();
        self.run(move || hash_with(&argon2, &password)).await?
    }

    /// Checks `password` against `stored` (argon2id, or an import), in constant time for a
    /// given hash; a right password under an import or old parameters comes with its new hash.
    pub async fn check(&self, stored: String, password: String) -> Result<Checked> {
        let argon2 = self.argon2();
        let params = self.params.clone();
        self.run(move || {
            let (ok, stale) = match stored.strip_prefix(LEGACY_PREFIX) {
                Some(json) => (Legacy::from_stored(json)?.verify(&password), true),
                None => {
                    let parsed = PasswordHash::new(&stored).map_err(|_| {
                        Error::Internal(anyhow::anyhow!("a stored password hash is unreadable"))
                    })?;
                    let ok = argon2.verify_password(password.as_bytes(), &parsed).is_ok();
                    let current = Params::try_from(&parsed).ok();
                    let stale = parsed.algorithm != Algorithm::Argon2id.ident()
                        || current.as_ref().is_none_or(|p| {
                            (p.m_cost(), p.t_cost(), p.p_cost())
                                != (params.m_cost(), params.t_cost(), params.p_cost())
                        });
                    (ok, stale)
                }
            };
            let upgrade = if ok && stale {
                Some(hash_with(&argon2, &password)?)
            } else {
                None
            };
            Ok(Checked { ok, upgrade })
        })
        .await?
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(anyhow::anyhow!("argon2 failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Hasher {
        Hasher::new(1, Params::new(64, 1, 1, None).unwrap())
    }

    #[tokio::test]
    async fn hashes_check_and_old_parameters_upgrade() {
        let h = small();
        let stored = h.hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        let c = h
            .check(stored.clone(), "correct horse".into())
            .await
            .unwrap();
        assert!(c.ok && c.upgrade.is_none());
        let c = h.check(stored.clone(), "wrong".into()).await.unwrap();
        assert!(!c.ok && c.upgrade.is_none());
        // The same hash under new parameters: right, and upgraded to them.
        let newer = Hasher::new(1, Params::new(128, 1, 1, None).unwrap());
        let c = newer.check(stored, "correct horse".into()).await.unwrap();
        assert!(c.ok);
        assert!(
            c.upgrade
                .unwrap()
                .starts_with("$argon2id$v=19$m=128,t=1,p=1$")
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_and_abandoned_jobs_are_skipped() {
        let h = small();
        // Hold the one thread, fill the queue, and the next hash is refused at once.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = tokio::spawn({
            let h = h.clone();
            async move { h.run(move || hold.recv().ok()).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let queued: Vec<_> = (0..QUEUE_PER_THREAD)
            .map(|_| {
                let (h, computed) = (h.clone(), Arc::clone(&computed));
                tokio::spawn(async move {
                    h.run(move || computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
                        .await
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let e = h.hash("x".into()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorType::TooManyRequests);
        // The queued callers give up: their jobs are skipped, never computed.
        for q in &queued {
            q.abort();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        release.send(()).unwrap();
        busy.await.unwrap().unwrap();
        // Skipped jobs leave the queue at once.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        h.hash("y".into()).await.unwrap();
        assert_eq!(computed.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
