//! Password hashing with argon2id at OWASP's parameters, on a bounded pool of blocking threads
//! so that a storm of password logins queues here instead of starving session checks.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

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

/// The bounded hashing pool.
#[derive(Clone, Debug)]
pub struct Hasher {
    threads: usize,
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    params: Params,
}

impl Hasher {
    /// A pool of `threads` hashing threads with the given argon2id parameters.
    pub fn new(threads: usize, params: Params) -> Self {
        let threads = threads.max(1);
        Hasher {
            threads,
            permits: Arc::new(Semaphore::new(threads)),
            waiting: Arc::new(AtomicUsize::new(0)),
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

    /// Runs `f` on a blocking thread once a hashing slot is free.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.threads * QUEUE_PER_THREAD {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::new(ErrorType::TooManyRequests));
        }
        let waiting = Waiting(&self.waiting);
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Internal(anyhow::anyhow!("the hashing pool is closed")))?;
        drop(waiting);
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("a hashing thread failed: {e}")))
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
    async fn a_full_queue_refuses() {
        let h = Hasher::new(1, Params::new(64, 1, 1, None).unwrap());
        h.waiting.store(QUEUE_PER_THREAD, Ordering::Relaxed);
        let e = h.hash("x".into()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorType::TooManyRequests);
    }
}
