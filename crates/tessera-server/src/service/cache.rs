//! Per-instance caches on the hot path. Each has a bound on how stale it can be, and none of
//! them can keep a revoked session alive: session validity is always read from the database.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::crypto::Digest256;
use crate::model::Project;

/// How long a verified `project_id:secret` pair is trusted without asking the database.
pub const PROJECT_TTL: Duration = Duration::from_secs(10);
/// How long a minted JWT is handed out again while nothing in its claims changed.
pub const JWT_REUSE_SECONDS: i64 = 60;
const MAX_ENTRIES: usize = 20_000;

/// `(project_id, secret digest)`.
type Credentials = (String, [u8; 32]);

/// Verified project credentials: saves a database read on every `/v1` call. Also the projects
/// named by public tokens and the set of all authorized origins, for the frontend API.
#[derive(Default)]
pub struct ProjectCache {
    map: Mutex<HashMap<Credentials, (Arc<Project>, Instant)>>,
    public: Mutex<HashMap<String, (Arc<Project>, Instant)>>,
    origins: Mutex<Option<(Arc<HashSet<String>>, Instant)>>,
}

impl ProjectCache {
    /// The project with this public token, if it was read under [`PROJECT_TTL`] ago.
    pub fn by_public_token(&self, token: &str) -> Option<Arc<Project>> {
        let map = self.public.lock().expect("project cache poisoned");
        map.get(token)
            .filter(|(_, at)| at.elapsed() < PROJECT_TTL)
            .map(|(p, _)| Arc::clone(p))
    }

    /// Remembers the project of a public token.
    pub fn put_public(&self, project: Arc<Project>) {
        let mut map = self.public.lock().expect("project cache poisoned");
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, at)| at.elapsed() < PROJECT_TTL);
        }
        map.insert(project.public_token.clone(), (project, Instant::now()));
    }

    /// Every project's authorized origins, if read under [`PROJECT_TTL`] ago.
    pub fn origins(&self) -> Option<Arc<HashSet<String>>> {
        let o = self.origins.lock().expect("project cache poisoned");
        o.as_ref()
            .filter(|(_, at)| at.elapsed() < PROJECT_TTL)
            .map(|(set, _)| Arc::clone(set))
    }

    /// Whether the remembered origins were read more than `age` ago (or never).
    pub fn origins_older_than(&self, age: Duration) -> bool {
        let o = self.origins.lock().expect("project cache poisoned");
        o.as_ref().is_none_or(|(_, at)| at.elapsed() > age)
    }

    /// Remembers every project's authorized origins.
    pub fn put_origins(&self, set: Arc<HashSet<String>>) {
        *self.origins.lock().expect("project cache poisoned") = Some((set, Instant::now()));
    }

    /// The project these credentials were verified for, if that was under [`PROJECT_TTL`] ago.
    pub fn get(&self, project_id: &str, secret: &Digest256) -> Option<Arc<Project>> {
        let map = self.map.lock().expect("project cache poisoned");
        map.get(&(project_id.to_owned(), secret.0))
            .filter(|(_, at)| at.elapsed() < PROJECT_TTL)
            .map(|(p, _)| Arc::clone(p))
    }

    /// Remembers verified credentials.
    pub fn put(&self, secret: &Digest256, project: Arc<Project>) {
        let mut map = self.map.lock().expect("project cache poisoned");
        if map.len() >= MAX_ENTRIES {
            map.retain(|_, (_, at)| at.elapsed() < PROJECT_TTL);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(
            (project.project_id.clone(), secret.0),
            (project, Instant::now()),
        );
    }
}

struct MintedJwt {
    kid: Arc<str>,
    fingerprint: u64,
    iat: i64,
    exp: i64,
    jwt: Arc<str>,
}

/// The last JWT minted for each session, handed out again for up to [`JWT_REUSE_SECONDS`] when
/// its claims (everything but the times) are unchanged: an RS256 signature costs ~0.7 ms of
/// CPU, far more than the rest of `sessions/authenticate`.
#[derive(Default)]
pub struct JwtCache {
    map: Mutex<HashMap<(String, String), MintedJwt>>,
}

/// A stable hash of the claim content.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl JwtCache {
    /// A JWT with this claim content, signed by the current key `kid`, minted less than
    /// [`JWT_REUSE_SECONDS`] before `now_s` and still valid for longer than the reuse window.
    pub fn get(
        &self,
        project_id: &str,
        session_id: &str,
        kid: &str,
        fp: u64,
        now_s: i64,
    ) -> Option<Arc<str>> {
        let map = self.map.lock().expect("jwt cache poisoned");
        map.get(&(project_id.to_owned(), session_id.to_owned()))
            .filter(|m| {
                m.fingerprint == fp
                    && &*m.kid == kid
                    && now_s - m.iat < JWT_REUSE_SECONDS
                    && now_s >= m.iat
                    && m.exp - now_s > JWT_REUSE_SECONDS
            })
            .map(|m| Arc::clone(&m.jwt))
    }

    /// Remembers a freshly minted JWT.
    #[allow(clippy::too_many_arguments)]
    pub fn put(
        &self,
        project_id: &str,
        session_id: &str,
        kid: &str,
        fp: u64,
        iat: i64,
        exp: i64,
        jwt: Arc<str>,
    ) {
        let mut map = self.map.lock().expect("jwt cache poisoned");
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            (project_id.to_owned(), session_id.to_owned()),
            MintedJwt {
                kid: Arc::from(kid),
                fingerprint: fp,
                iat,
                exp,
                jwt,
            },
        );
    }

    /// Forgets a session's JWT (revocation).
    pub fn forget(&self, project_id: &str, session_id: &str) {
        self.map
            .lock()
            .expect("jwt cache poisoned")
            .remove(&(project_id.to_owned(), session_id.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwts_are_reused_only_while_fresh_and_unchanged() {
        let c = JwtCache::default();
        c.put("p", "s", "k1", 7, 1000, 1300, Arc::from("jwt"));
        assert!(c.get("p", "s", "k1", 7, 1000).is_some());
        assert!(c.get("p", "s", "k1", 7, 1059).is_some());
        assert!(
            c.get("p", "s", "k1", 7, 1060).is_none(),
            "older than the reuse window"
        );
        assert!(c.get("p", "s", "k1", 8, 1001).is_none(), "claims changed");
        assert!(
            c.get("p", "s", "k2", 7, 1001).is_none(),
            "the signing key was rotated"
        );
        assert!(c.get("q", "s", "k1", 7, 1001).is_none(), "another project");
        c.put("p", "t", "k1", 7, 1000, 1030, Arc::from("short"));
        assert!(
            c.get("p", "t", "k1", 7, 1001).is_none(),
            "too close to its exp to hand out"
        );
        c.forget("p", "s");
        assert!(c.get("p", "s", "k1", 7, 1001).is_none());
    }
}
