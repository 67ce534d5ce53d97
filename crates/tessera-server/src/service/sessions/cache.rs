//! Per-instance caches on the hot path. Each has a bound on how stale it can be, and none of
//! them can keep a revoked session alive: session validity is always read from the database.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use quick_cache::sync::Cache;
use serde_json::value::RawValue;

use crate::crypto::Digest256;
use crate::store::sessions::SessionBasis;

/// How long a minted JWT is handed out again while nothing in its claims changed, before a new
/// one is signed (at most; see [`MintedJwt::refresh_at`]). With [`JWT_GRACE_SECONDS`], a JWT
/// handed out is at most 120 s old, so it has at least 180 s left: the browser SDK's refresh
/// interval.
pub const JWT_REUSE_SECONDS: i64 = 100;
const MAX_ENTRIES: usize = 20_000;

/// How long past its refresh point a JWT may still be handed out while a new one is signed in
/// the background.
pub const JWT_GRACE_SECONDS: i64 = 20;

/// A minted JWT and when it may be handed out again.
#[derive(Debug)]
pub struct MintedJwt {
    /// The key that signed it.
    pub kid: Arc<str>,
    /// Issued at (seconds).
    pub iat: i64,
    /// From then on (seconds) a new JWT is signed in the background: a random moment between
    /// half and all of [`JWT_REUSE_SECONDS`] after `iat`, so JWTs signed together come due at
    /// different times.
    pub refresh_at: i64,
    /// Handed out again until then (seconds): [`JWT_GRACE_SECONDS`] after `refresh_at`. Past it,
    /// the request that needs a JWT signs one itself.
    pub reuse_until: i64,
    /// Expiry (seconds).
    pub exp: i64,
    /// The JWT.
    pub jwt: Arc<str>,
    /// The [`fingerprint`] of its claims as JSON with the times zeroed and the session's
    /// `last_accessed_at` and `expires_at` empty. The claims themselves are read back from `jwt`
    /// when the next one is signed, so nothing but the JWT is kept per session.
    pub fingerprint: u64,
    /// The session's `expires_at` (ms) its claims state. After an extension it is handed out
    /// until its successor, signed in the background, states the new one.
    pub session_expires_at: i64,
    /// Whether the next one was asked for.
    refresh_asked: AtomicBool,
}

impl MintedJwt {
    /// A JWT minted at `iat` for up to `exp`, stating a session that ends at
    /// `session_expires_at`, reusable for a random part of the window.
    pub fn new(
        kid: &str,
        (iat, exp): (i64, i64),
        jwt: Arc<str>,
        fingerprint: u64,
        session_expires_at: i64,
    ) -> Self {
        let window = rand::Rng::gen_range(
            &mut rand::thread_rng(),
            JWT_REUSE_SECONDS / 2..=JWT_REUSE_SECONDS,
        );
        MintedJwt {
            kid: Arc::from(kid),
            iat,
            refresh_at: iat + window,
            reuse_until: iat + window + JWT_GRACE_SECONDS,
            exp,
            jwt,
            fingerprint,
            session_expires_at,
            refresh_asked: AtomicBool::new(false),
        }
    }

    /// Whether it may be handed out at `now_s` while `kid` is the current signing key: signed
    /// by it, before `reuse_until`, and valid for longer than [`JWT_REUSE_SECONDS`] (a session
    /// about to end gets JWTs minted for what is left of it).
    pub fn reusable(&self, kid: &str, now_s: i64) -> bool {
        &*self.kid == kid
            && now_s >= self.iat
            && now_s < self.reuse_until
            && self.exp - now_s > JWT_REUSE_SECONDS
    }

    /// `true` once, at the first call at or past `refresh_at`: the caller asks for the next JWT.
    pub fn take_refresh(&self, now_s: i64) -> bool {
        now_s >= self.refresh_at && !self.refresh_asked.swap(true, Ordering::Relaxed)
    }

    /// `true` unless the next one was already asked for: the caller asks for it now (the
    /// session was extended).
    pub fn take_refresh_now(&self) -> bool {
        !self.refresh_asked.swap(true, Ordering::Relaxed)
    }

    /// Lets a later call ask again (the request could not be queued).
    pub fn release_refresh(&self) {
        self.refresh_asked.store(false, Ordering::Relaxed);
    }
}

/// The last JWT minted for each session, handed out again (see [`MintedJwt::reusable`]) when
/// its claims (everything but the times) are unchanged: an RS256 signature costs ~0.7 ms of
/// CPU, far more than the rest of `sessions/authenticate`. Bounded (S3-FIFO eviction).
pub struct JwtCache {
    map: Cache<SessionOf, (u64, Arc<MintedJwt>)>,
}

impl Default for JwtCache {
    fn default() -> Self {
        JwtCache {
            map: Cache::new(MAX_ENTRIES),
        }
    }
}

/// `(project_id, session_id)`.
type SessionOf = (String, String);

/// A stable hash of the claim content.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

fn session_of(project_id: &str, session_id: &str) -> SessionOf {
    (project_id.to_owned(), session_id.to_owned())
}

impl JwtCache {
    /// A JWT with this claim content that is [reusable](MintedJwt::reusable) at `now_s`.
    pub fn get(
        &self,
        project_id: &str,
        session_id: &str,
        kid: &str,
        fp: u64,
        now_s: i64,
    ) -> Option<Arc<MintedJwt>> {
        self.map
            .get(&session_of(project_id, session_id))
            .filter(|(f, m)| *f == fp && m.reusable(kid, now_s))
            .map(|(_, m)| m)
    }

    /// Remembers a freshly minted JWT for claims with fingerprint `fp`.
    pub fn put(&self, project_id: &str, session_id: &str, minted: Arc<MintedJwt>) {
        self.map.insert(
            session_of(project_id, session_id),
            (minted.fingerprint, minted),
        );
    }

    /// Puts `new` in place of `old`, if `old` is still the session's JWT. A race with a `put`
    /// can only leave an entry whose fingerprint or key no longer matches: [`JwtCache::get`]
    /// then misses, it never answers wrongly.
    pub fn replace(
        &self,
        project_id: &str,
        session_id: &str,
        old: &Arc<MintedJwt>,
        new: Arc<MintedJwt>,
    ) {
        let key = session_of(project_id, session_id);
        if self
            .map
            .peek(&key)
            .is_some_and(|(_, m)| Arc::ptr_eq(&m, old))
        {
            self.map.insert(key, (new.fingerprint, new));
        }
    }

    /// Forgets a session's JWT (revocation).
    pub fn forget(&self, project_id: &str, session_id: &str) {
        self.map.remove(&session_of(project_id, session_id));
    }
}

/// An answer to `sessions/authenticate` rendered once for a [`SessionBasis`]: the session and
/// the user as JSON, and the JWT that goes with them.
#[derive(Debug)]
pub struct Rendered {
    /// The project.
    pub project_id: String,
    /// What it was rendered from.
    pub basis: SessionBasis,
    /// The `last_accessed_at` it shows (ms): the basis's, or a later one written behind.
    pub accessed_at: i64,
    /// The wire `session` object.
    pub session: Box<RawValue>,
    /// The wire `user` object.
    pub user: Box<RawValue>,
    /// The session JWT.
    pub jwt: Arc<MintedJwt>,
}

/// Rendered answers by session id. An entry is used only when a fresh read of the session's
/// basis equals the one it was rendered from and its JWT is still reusable, so it is never
/// staler than the database: a revoked session fails the read, and a changed session or user
/// changes the basis. What it saves is reading the whole user, building and serializing the
/// answer, and claim fingerprinting. Bounded (S3-FIFO eviction).
pub struct RenderCache {
    map: Cache<String, Arc<Rendered>>,
}

impl Default for RenderCache {
    fn default() -> Self {
        RenderCache {
            map: Cache::new(MAX_ENTRIES),
        }
    }
}

impl RenderCache {
    /// The answer rendered from exactly `basis`, if its JWT is reusable at `now_s` under the
    /// current signing key `kid`.
    pub fn get(
        &self,
        project_id: &str,
        basis: &SessionBasis,
        kid: &str,
        now_s: i64,
    ) -> Option<Arc<Rendered>> {
        self.map.get(basis.session_id.as_str()).filter(|r| {
            r.project_id == project_id && r.basis == *basis && r.jwt.reusable(kid, now_s)
        })
    }

    /// Remembers a rendered answer.
    pub fn put(&self, r: Arc<Rendered>) {
        self.map.insert(r.basis.session_id.clone(), r);
    }

    /// Puts `new` in the answer of `session_id` if that answer still carries `old` (a race
    /// with a `put` leaves an entry whose basis no longer matches: a miss, never a wrong
    /// answer).
    pub fn replace_jwt(&self, session_id: &str, old: &Arc<MintedJwt>, new: Arc<MintedJwt>) {
        if let Some(r) = self.map.peek(session_id)
            && Arc::ptr_eq(&r.jwt, old)
        {
            self.map.insert(
                session_id.to_owned(),
                Arc::new(Rendered {
                    project_id: r.project_id.clone(),
                    basis: r.basis.clone(),
                    accessed_at: r.accessed_at,
                    session: r.session.clone(),
                    user: r.user.clone(),
                    jwt: new,
                }),
            );
        }
    }

    /// Forgets a session's answer (revocation).
    pub fn forget(&self, session_id: &str) {
        self.map.remove(session_id);
    }
}

/// What a verified JWT said, remembered by the digest of its text.
#[derive(Debug, Clone)]
pub struct VerifiedJwt {
    /// The project whose key verified it.
    pub project_id: String,
    /// That key.
    pub kid: String,
    /// The session claim's id.
    pub session_id: String,
    /// The user.
    pub sub: String,
}

/// JWTs whose signature, audience and issuer were verified, by SHA-256 of their text: the same
/// JWT is presented many times in its life, and its RS256 verification (~40 µs) is the largest
/// cost of authenticating by JWT. The key that verified it is still looked up on every use, so a
/// key that is no longer published stops its JWTs at once. Bounded (S3-FIFO eviction).
pub struct VerifiedJwts {
    map: Cache<[u8; 32], VerifiedJwt>,
}

impl Default for VerifiedJwts {
    fn default() -> Self {
        VerifiedJwts {
            map: Cache::new(MAX_ENTRIES),
        }
    }
}

impl VerifiedJwts {
    /// What this exact JWT text was verified to say for `project_id`.
    pub fn get(&self, project_id: &str, digest: &Digest256) -> Option<VerifiedJwt> {
        self.map
            .get(&digest.0)
            .filter(|v| v.project_id == project_id)
    }

    /// Remembers a verified JWT.
    pub fn put(&self, digest: &Digest256, v: VerifiedJwt) {
        self.map.insert(digest.0, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(v: u8) -> u64 {
        fingerprint(&[v])
    }

    #[test]
    fn jwts_are_reused_only_while_fresh_and_unchanged() {
        let c = JwtCache::default();
        let m = Arc::new(MintedJwt::new(
            "k1",
            (1000, 1300),
            Arc::from("jwt"),
            content(7),
            1_300_000,
        ));
        let fp = m.fingerprint;
        assert_eq!(fp, fingerprint(&[7]));
        assert!((1050..=1100).contains(&m.refresh_at));
        assert_eq!(m.reuse_until, m.refresh_at + JWT_GRACE_SECONDS);
        c.put("p", "s", Arc::clone(&m));
        assert!(c.get("p", "s", "k1", fp, 1000).is_some());
        assert!(!m.take_refresh(m.refresh_at - 1), "not yet due");
        assert!(m.take_refresh(m.refresh_at), "due: asked once");
        assert!(!m.take_refresh(m.refresh_at + 1), "and only once");
        m.release_refresh();
        assert!(m.take_refresh(m.refresh_at + 1), "unless released");
        m.release_refresh();
        assert!(m.take_refresh_now(), "asked early after an extension");
        assert!(!m.take_refresh_now(), "once");
        assert!(
            c.get("p", "s", "k1", fp, m.reuse_until - 1).is_some(),
            "in the grace"
        );
        assert!(
            c.get("p", "s", "k1", fp, m.reuse_until).is_none(),
            "past the reuse window"
        );
        assert!(
            c.get("p", "s", "k1", fp + 1, 1001).is_none(),
            "claims changed"
        );
        assert!(
            c.get("p", "s", "k2", fp, 1001).is_none(),
            "the signing key was rotated"
        );
        assert!(c.get("q", "s", "k1", fp, 1001).is_none(), "another project");
        c.put(
            "p",
            "t",
            Arc::new(MintedJwt::new(
                "k1",
                (1000, 1100),
                Arc::from("short"),
                content(7),
                1_100_000,
            )),
        );
        assert!(
            c.get("p", "t", "k1", fp, 1001).is_none(),
            "too close to its exp to hand out"
        );
        c.forget("p", "s");
        assert!(c.get("p", "s", "k1", fp, 1001).is_none());
    }
}
