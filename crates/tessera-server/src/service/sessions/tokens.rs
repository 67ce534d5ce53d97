//! Session JWTs: minting (reusing a recent one while nothing in it changed) and verifying.

use std::cmp::Ordering;
use std::sync::Arc;

use super::SessionEngine;
use super::cache::{MintedJwt, VerifiedJwt, fingerprint};
use super::claims::{self, Claims, JWT_LIFETIME_SECONDS, SessionClaim, issuer};
use crate::crypto::Digest256;
use crate::error::{Error, ErrorType, Result};
use crate::jwt::UnverifiedJwt;
use crate::model::session::Session;
use crate::model::{Project, Timestamp};

/// A 5-minute JWT for `session` (never past the session's own expiry). A JWT minted for the
/// same claim content is handed out again instead of signing a new one while it is
/// [reusable](MintedJwt::reusable): at most 120 s old (its reuse window, then the grace while its
/// successor is signed in the background), so `iat` inside a JWT is at most that stale, and
/// `last_accessed_at` at most that plus the write-behind bound (3 minutes in all). After an
/// extension the current JWT, stating the earlier end, is handed out until its successor is
/// signed in the background (normally milliseconds, at most the same 120 s); a JWT never states
/// a later end than the session's, so after a shortening one is signed before answering.
pub async fn mint_jwt(
    engine: &SessionEngine,
    project: &Project,
    s: &Session,
    roles: Vec<String>,
    now: Timestamp,
) -> Result<String> {
    Ok(mint(engine, project, s, roles, now).await?.jwt.to_string())
}

/// [`mint_jwt`], with when the JWT may be handed out again.
pub(super) async fn mint(
    engine: &SessionEngine,
    project: &Project,
    s: &Session,
    roles: Vec<String>,
    now: Timestamp,
) -> Result<Arc<MintedJwt>> {
    let now_s = now.millis().div_euclid(1000);
    let mut claims = Claims {
        aud: vec![project.project_id.clone()],
        exp: 0,
        iat: 0,
        iss: issuer(&project.project_id),
        nbf: 0,
        sub: s.user_id.clone(),
        session: SessionClaim {
            id: s.session_id.clone(),
            started_at: s.started_at.to_rfc3339(),
            last_accessed_at: s.last_accessed_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            attributes: tessera_proto::sessions::SessionAttributes {
                ip_address: s.ip_address.clone(),
                user_agent: s.user_agent.clone(),
            },
            authentication_factors: s.factors.iter().map(claims::factor).collect(),
            roles,
        },
        custom: s.custom_claims.clone(),
    };
    // `last_accessed_at` is left out of the comparison: a write-behind that only records the
    // access does not cost a new signature. A reused JWT's `last_accessed_at` is then at most
    // the reuse window behind the stored one, itself at most the write-behind bound behind.
    // So is `expires_at`, compared apart below: a JWT stating an earlier end than the
    // session's (an extension) is handed out while its successor is signed in the background.
    let last_accessed = std::mem::take(&mut claims.session.last_accessed_at);
    let expires = std::mem::take(&mut claims.session.expires_at);
    let content = serde_json::to_vec(&claims).map_err(anyhow::Error::from)?;
    let fp = fingerprint(&content);
    claims.session.last_accessed_at = last_accessed;
    claims.session.expires_at = expires;
    let key = engine
        .keys
        .signing_key(&engine.store, &project.project_id)
        .await?;
    let times = (s.last_accessed_at.millis(), s.expires_at.millis());
    if let Some(minted) = engine
        .jwts
        .get(&project.project_id, &s.session_id, &key.kid, fp, now_s)
    {
        // A JWT never states a later end than the session's: after a shortening, sign now.
        match minted.session_expires_at.cmp(&times.1) {
            Ordering::Equal => {
                engine
                    .presigner
                    .refresh_if_due(&project.project_id, &minted, &key, times, now_s);
                return Ok(minted);
            }
            Ordering::Less => {
                engine
                    .presigner
                    .refresh_now(&project.project_id, &minted, &key, times);
                return Ok(minted);
            }
            Ordering::Greater => {}
        }
    }
    claims.iat = now_s;
    claims.nbf = now_s;
    claims.exp = (now_s + JWT_LIFETIME_SECONDS)
        .min(s.expires_at.millis().div_euclid(1000))
        .max(now_s + 1);
    let (iat, exp) = (claims.iat, claims.exp);
    // ~0.85 ms of CPU: off the async workers, so requests queued behind it are not stalled.
    let signer = Arc::clone(&key);
    // At most one signature per core at a time: more only time-slice the same cores, and
    // each extra blocking thread keeps its own allocator heap.
    let _permit = signing_slots()
        .acquire()
        .await
        .map_err(anyhow::Error::from)?;
    let jwt = tokio::task::spawn_blocking(move || signer.sign(&claims))
        .await
        .map_err(anyhow::Error::from)??;
    let minted = Arc::new(MintedJwt::new(
        &key.kid,
        (iat, exp),
        Arc::from(jwt),
        fp,
        times.1,
    ));
    engine
        .jwts
        .put(&project.project_id, &s.session_id, Arc::clone(&minted));
    Ok(minted)
}

/// Slots for inline signatures, one per core.
fn signing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

/// Verifies a JWT's signature against the project's published keys, and its audience and
/// issuer. Expiry is not checked: a JWT past `exp` still names its session.
pub async fn verify_jwt(engine: &SessionEngine, project: &Project, jwt: &str) -> Result<Claims> {
    let bad = || Error::new(ErrorType::UnableToParseSessionJwt);
    let parsed = UnverifiedJwt::parse(jwt).ok_or_else(bad)?;
    let key = engine
        .keys
        .verification_key(&engine.store, &project.project_id, &parsed.kid)
        .await?
        .ok_or_else(bad)?;
    let claims: Claims = parsed.verify_with(&key).ok_or_else(bad)?;
    if !claims.aud.iter().any(|a| a == &project.project_id)
        || claims.iss != issuer(&project.project_id)
    {
        return Err(bad());
    }
    Ok(claims)
}

/// The session id and user a JWT names, verified as [`verify_jwt`] does. A JWT verified
/// before is recognised by the SHA-256 of its text, provided the key that verified it is still
/// published.
pub(super) async fn jwt_session(
    engine: &SessionEngine,
    project: &Project,
    jwt: &str,
) -> Result<VerifiedJwt> {
    let digest = Digest256::of(jwt);
    if let Some(v) = engine.verified.get(&project.project_id, &digest)
        && engine
            .keys
            .verification_key(&engine.store, &project.project_id, &v.kid)
            .await?
            .is_some()
    {
        return Ok(v);
    }
    let kid = UnverifiedJwt::parse(jwt)
        .map(|p| p.kid)
        .ok_or_else(|| Error::new(ErrorType::UnableToParseSessionJwt))?;
    let claims = verify_jwt(engine, project, jwt).await?;
    let v = VerifiedJwt {
        project_id: project.project_id.clone(),
        kid: kid.to_string(),
        session_id: claims.session.id,
        sub: claims.sub,
    };
    engine.verified.put(&digest, v.clone());
    Ok(v)
}
