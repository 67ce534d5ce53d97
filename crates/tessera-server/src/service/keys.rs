use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::Result;
use crate::jwt::SigningKey;
use crate::model::event::{Actor, EventDraft};
use crate::model::ids::IdKind;
use crate::model::{Environment, Timestamp};
use crate::sealing::MasterKey;
use crate::service::master_key::key_context;
use crate::store::Store;
use crate::store::keys::StoredKey;

/// How long a retired key stays published and accepted: the 5-minute JWT lifetime, plus the
/// time other instances may keep signing with it before they reload (the cache lifetime), plus
/// margin.
pub const RETIRED_KEY_GRACE_MINUTES: i64 = 10;
/// How long an instance trusts its cached view of a project's keys by default.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
/// How often an unknown `kid` may trigger a reload, per project.
const UNKNOWN_KID_RELOAD: Duration = Duration::from_secs(1);

struct Cached {
    loaded: Instant,
    /// Newest first; `[0]` is the current signing key when `current` is true.
    keys: Vec<Arc<SigningKey>>,
}

/// Per-instance cache of every project's signing keys. Keys live in the database, so a
/// rotation by `tessera keys rotate` reaches every instance within the cache lifetime, and at
/// once for verification (an unknown `kid` triggers a reload).
pub struct KeyRing {
    cache: Mutex<HashMap<String, Arc<Cached>>>,
    ttl: Duration,
    master: Arc<MasterKey>,
}

/// Generates a key for `project_id` (on a blocking thread: RSA key generation takes ~0.1 s of
/// CPU), its private key sealed under `master`, ready to store.
pub async fn generate(
    master: &MasterKey,
    project_id: &str,
    env: Environment,
    now: Timestamp,
) -> anyhow::Result<StoredKey> {
    let g = tokio::task::spawn_blocking(move || SigningKey::generate(IdKind::Jwk.mint(env), now))
        .await??;
    Ok(StoredKey {
        private_key: master.seal(&key_context(project_id, &g.key.kid), &g.pkcs8_der),
        kid: g.key.kid.clone(),
        n: g.key.n.clone(),
        e: g.key.e.clone(),
        created_at: now.millis(),
        retired_at: None,
    })
}

/// A stored key, opened with `master`: a key it cannot open is an error naming the key, never
/// skipped.
fn open(master: &MasterKey, project_id: &str, k: StoredKey) -> anyhow::Result<SigningKey> {
    let der = master
        .open(&key_context(project_id, &k.kid), &k.private_key)
        .map_err(|e| anyhow::anyhow!("signing key {} of {project_id}: {e}", k.kid))?;
    SigningKey::from_parts(
        k.kid,
        &der,
        &URL_SAFE_NO_PAD.decode(&k.n)?,
        &URL_SAFE_NO_PAD.decode(&k.e)?,
        Timestamp::from_millis(k.created_at),
        k.retired_at.map(Timestamp::from_millis),
    )
}

impl KeyRing {
    /// A cache trusting what it loaded for `ttl`, opening keys with `master`.
    pub fn new(ttl: Duration, master: Arc<MasterKey>) -> Self {
        KeyRing {
            cache: Mutex::new(HashMap::new()),
            ttl,
            master,
        }
    }

    async fn load(&self, store: &Store, project_id: &str) -> Result<Arc<Cached>> {
        let since = Timestamp::now().plus_minutes(-RETIRED_KEY_GRACE_MINUTES);
        let keys = store.signing_keys(project_id, since).await?;
        let keys = keys
            .into_iter()
            .map(|k| open(&self.master, project_id, k).map(Arc::new))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let cached = Arc::new(Cached {
            loaded: Instant::now(),
            keys,
        });
        self.cache
            .lock()
            .insert(project_id.to_owned(), Arc::clone(&cached));
        Ok(cached)
    }

    fn cached(&self, project_id: &str) -> Option<Arc<Cached>> {
        self.cache.lock().get(project_id).cloned()
    }

    async fn fresh(&self, store: &Store, project_id: &str) -> Result<Arc<Cached>> {
        match self.cached(project_id) {
            Some(c) if c.loaded.elapsed() < self.ttl => Ok(c),
            _ => self.load(store, project_id).await,
        }
    }

    /// The key new JWTs are signed with.
    pub async fn signing_key(&self, store: &Store, project_id: &str) -> Result<Arc<SigningKey>> {
        let cached = self.fresh(store, project_id).await?;
        cached
            .keys
            .iter()
            .find(|k| k.retired_at.is_none())
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("project {project_id} has no signing key").into())
    }

    /// The published key with this `kid`, reloading once if it is not known yet.
    pub async fn verification_key(
        &self,
        store: &Store,
        project_id: &str,
        kid: &str,
    ) -> Result<Option<Arc<SigningKey>>> {
        let cached = self.fresh(store, project_id).await?;
        if let Some(k) = cached.keys.iter().find(|k| k.kid == kid) {
            return Ok(Some(Arc::clone(k)));
        }
        if cached.loaded.elapsed() < UNKNOWN_KID_RELOAD.min(self.ttl) {
            return Ok(None);
        }
        let reloaded = self.load(store, project_id).await?;
        Ok(reloaded.keys.iter().find(|k| k.kid == kid).cloned())
    }

    /// Every key a live JWT may carry: the current one and those retired within the grace.
    pub async fn published(&self, store: &Store, project_id: &str) -> Result<Vec<Arc<SigningKey>>> {
        Ok(self.fresh(store, project_id).await?.keys.clone())
    }

    /// Forgets every project's keys (after a rotation through this instance).
    pub fn invalidate_all(&self) {
        self.cache.lock().clear();
    }

    /// Forgets one project's keys, so the next use loads them again.
    pub fn invalidate(&self, project_id: &str) {
        self.cache.lock().remove(project_id);
    }
}

/// Makes a new key current for `project_id`; the old one keeps verifying for
/// [`RETIRED_KEY_GRACE_MINUTES`]. Returns the new `kid`.
pub async fn rotate(
    store: &Store,
    master: &MasterKey,
    project_id: &str,
    env: Environment,
) -> anyhow::Result<String> {
    let now = Timestamp::now();
    let k = generate(master, project_id, env, now).await?;
    store.rotate_signing_key(project_id, &k, now).await?;
    store.notify_change(project_id).await?;
    crate::service::security_log::credential_changed(project_id, "key_rotated", &k.kid);
    let e = EventDraft::new("project.key_rotated", Actor::Admin).with("kid", k.kid.as_str());
    crate::service::events::record(store, project_id, e).await;
    Ok(k.kid)
}
