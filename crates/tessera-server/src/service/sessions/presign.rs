//! Session JWTs re-signed ahead of need. A JWT in use is handed out again for a while (see
//! [`MintedJwt`]); once it passes its refresh point, the request that notices asks for the
//! next one here and still gets the current one. One thread signs these in turn, so requests
//! never wait for a signature while a reusable JWT exists, and a burst of JWTs coming due
//! (after a restart, say) costs at most one core instead of stalling every worker.

use std::sync::Arc;
use std::sync::mpsc::{self, SyncSender, TrySendError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::cache::{JwtCache, MintedJwt, RenderCache};
use super::claims::{Claims, JWT_LIFETIME_SECONDS, SessionClaim};
use crate::jwt::SigningKey;
use crate::model::Timestamp;

/// Requests waiting for the signer at most; more are dropped (and asked again later).
const QUEUE: usize = 16_384;

/// One JWT to sign again.
struct Job {
    project_id: String,
    old: Arc<MintedJwt>,
    key: Arc<SigningKey>,
    /// The session's current `last_accessed_at` and `expires_at` (ms), for the new claims.
    last_accessed_at: i64,
    expires_at: i64,
}

/// The queue of the signing thread.
pub struct Presigner {
    tx: SyncSender<Job>,
}

impl Presigner {
    /// Starts the signing thread; it ends when the presigner is dropped.
    pub fn start(jwts: Arc<JwtCache>, rendered: Arc<RenderCache>) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        std::thread::Builder::new()
            .name("jwt-presign".into())
            .spawn(move || {
                for job in rx {
                    sign(&jwts, &rendered, job);
                }
            })?;
        Ok(Presigner { tx })
    }

    /// Asks for the successor of `old`, signed by `key`, if `old` is due and nobody asked yet.
    pub fn refresh_if_due(
        &self,
        project_id: &str,
        old: &Arc<MintedJwt>,
        key: &Arc<SigningKey>,
        times: (i64, i64),
        now_s: i64,
    ) {
        if old.take_refresh(now_s) {
            self.ask(project_id, old, key, times);
        }
    }

    /// Asks for the successor of `old` at once, unless somebody already did: the session was
    /// extended, and the successor states the new `expires_at`.
    pub fn refresh_now(
        &self,
        project_id: &str,
        old: &Arc<MintedJwt>,
        key: &Arc<SigningKey>,
        times: (i64, i64),
    ) {
        if old.take_refresh_now() {
            self.ask(project_id, old, key, times);
        }
    }

    fn ask(
        &self,
        project_id: &str,
        old: &Arc<MintedJwt>,
        key: &Arc<SigningKey>,
        (last_accessed_at, expires_at): (i64, i64),
    ) {
        let job = Job {
            project_id: project_id.to_owned(),
            old: Arc::clone(old),
            key: Arc::clone(key),
            last_accessed_at,
            expires_at,
        };
        if let Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) =
            self.tx.try_send(job)
        {
            job.old.release_refresh();
        }
    }
}

/// The claims of a JWT this instance signed, read back from its payload.
fn claims_of(jwt: &str) -> Option<Claims> {
    let payload = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn sign(jwts: &JwtCache, rendered: &RenderCache, job: Job) {
    let now_s = Timestamp::now().millis().div_euclid(1000);
    let Some(mut claims) = claims_of(&job.old.jwt) else {
        tracing::warn!("unreadable JWT kept for re-signing");
        return;
    };
    let session_id = claims.session.id.clone();
    claims.iat = now_s;
    claims.nbf = now_s;
    claims.exp = (now_s + JWT_LIFETIME_SECONDS)
        .min(job.expires_at.div_euclid(1000))
        .max(now_s + 1);
    claims.session = SessionClaim {
        last_accessed_at: Timestamp::from_millis(job.last_accessed_at).to_rfc3339(),
        expires_at: Timestamp::from_millis(job.expires_at).to_rfc3339(),
        ..claims.session
    };
    let jwt = match job.key.sign(&claims) {
        Ok(jwt) => jwt,
        Err(e) => {
            tracing::warn!(error = %e, "background JWT signing failed");
            job.old.release_refresh();
            return;
        }
    };
    let (iat, exp) = (claims.iat, claims.exp);
    let new = Arc::new(MintedJwt::new(
        &job.key.kid,
        (iat, exp),
        Arc::from(jwt),
        job.old.fingerprint,
        job.expires_at,
    ));
    jwts.replace(&job.project_id, &session_id, &job.old, Arc::clone(&new));
    rendered.replace_jwt(&session_id, &job.old, new);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::UnverifiedJwt;

    #[test]
    fn a_due_jwt_is_signed_again_in_the_background_once() {
        let key = Arc::new(
            SigningKey::generate("jwk-test-1".into(), Timestamp::now())
                .unwrap()
                .key,
        );
        let jwts = Arc::new(JwtCache::default());
        let rendered = Arc::new(RenderCache::default());
        let presigner = Presigner::start(Arc::clone(&jwts), Arc::clone(&rendered)).unwrap();
        let now_s = Timestamp::now().millis().div_euclid(1000);
        let iat = now_s - 100;
        let claims: Claims = serde_json::from_value(serde_json::json!({
            "aud": ["p"], "exp": iat + 300, "iat": iat, "iss": "stytch.com/p", "nbf": iat,
            "sub": "u", "plan": "pro",
            "https://stytch.com/session": {
                "id": "s", "started_at": "", "last_accessed_at": "", "expires_at": "",
                "attributes": {"ip_address": "", "user_agent": ""},
                "authentication_factors": [], "roles": []
            }
        }))
        .unwrap();
        let old = Arc::new(MintedJwt::new(
            &key.kid,
            (iat, iat + 300),
            Arc::from(key.sign(&claims).unwrap()),
            42,
            (iat + 3_600) * 1000,
        ));
        let fp = old.fingerprint;
        jwts.put("p", "s", Arc::clone(&old));
        let accessed = Timestamp::now().millis();
        let expires = accessed + 3_600_000;
        presigner.refresh_if_due("p", &old, &key, (accessed, expires), now_s);
        // Asked once only: a second call while the first is pending queues nothing.
        presigner.refresh_if_due("p", &old, &key, (accessed, expires), now_s);
        let new = (0..200)
            .find_map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                jwts.get("p", "s", &key.kid, fp, now_s)
                    .filter(|m| !Arc::ptr_eq(m, &old))
            })
            .expect("a new JWT within 2 s");
        assert!(new.iat >= now_s && new.exp == new.iat + JWT_LIFETIME_SECONDS);
        let claims: Claims = UnverifiedJwt::parse(&new.jwt)
            .unwrap()
            .verify_with(&key)
            .expect("signed by the key");
        assert_eq!(claims.iat, new.iat);
        assert_eq!(claims.custom["plan"], "pro", "same content");
        assert_eq!(
            claims.session.last_accessed_at,
            Timestamp::from_millis(accessed).to_rfc3339(),
            "with the session's current access time"
        );
        assert_eq!(new.fingerprint, fp);
    }
}
