//! Local verification of session JWTs: RS256 against the project's JWKS, which is fetched once,
//! cached, and fetched again (one request at a time, at most once per refetch interval) when a
//! JWT names a key the cache does not know, so a key rotation needs no restart.
//!
//! The per-call path decodes into stack buffers and parses the claims straight into the
//! resulting [`Session`]. The RSA signature check (ring) dominates the cost, so a JWT that
//! verified once is remembered by its SHA-256 digest until it expires: the same JWT presented
//! again (every request of a session within the JWT's 5 minutes) costs a hash and a lookup, and
//! allocates nothing but the returned copy. Time-based checks run on every call; new keys clear
//! the memory.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use tessera_proto::sessions::{AuthenticationFactor, Jwk, Session, SessionAttributes};

/// Encoding an RSA public key for the verifier.
mod der;

/// How far the local clock may be from the server's when checking `exp` and `nbf`.
pub const CLOCK_SKEW: Duration = Duration::from_secs(10);
/// The default shortest time between two JWKS fetches caused by unknown key ids: short enough
/// that JWTs of a rotated key are accepted within a second, long enough that forged key ids
/// cannot make a process fetch more than once a second.
pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(1);

/// Why a JWT was not accepted locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts, or the JSON inside is not a session JWT.
    #[error("malformed session JWT: {0}")]
    Malformed(&'static str),
    /// Not RS256.
    #[error("unsupported JWT algorithm (only RS256)")]
    UnsupportedAlgorithm,
    /// Signed by a key the project's JWKS does not have.
    #[error("the JWT's key is not in the project's JWKS")]
    UnknownKey,
    /// The signature does not verify.
    #[error("bad JWT signature")]
    BadSignature,
    /// Issued for another issuer.
    #[error("the JWT's issuer is not this project's")]
    WrongIssuer,
    /// Issued for another audience.
    #[error("the JWT's audience is not this project")]
    WrongAudience,
    /// Past its `exp`.
    #[error("the JWT has expired")]
    Expired,
    /// Before its `nbf`.
    #[error("the JWT is not valid yet")]
    NotYetValid,
    /// Issued longer ago than the caller's `max_token_age`.
    #[error("the JWT is older than the allowed token age")]
    TooOld,
    /// Its session was revoked (the revocation feed said so).
    #[error("the JWT's session was revoked")]
    Revoked,
    /// The verifier follows the revocation feed, and the feed has not answered recently (or
    /// not yet): only the API can tell whether the session still lives.
    #[error("the revocation feed is not current: the API must be asked")]
    RevocationsUnknown,
}

impl JwtError {
    /// Whether asking the API may still succeed: the JWT is genuine but stale, or the
    /// revocation feed cannot vouch for it now.
    pub fn is_stale(self) -> bool {
        matches!(
            self,
            JwtError::Expired | JwtError::TooOld | JwtError::RevocationsUnknown
        )
    }
}

/// A JWKS key, parsed once: verifying with a pre-parsed key skips the per-call key setup
/// (Montgomery constants) that ring's `RsaPublicKeyComponents` redoes on every signature.
struct PublicKey(ParsedPublicKey);

impl PublicKey {
    fn from_jwk(k: &Jwk) -> Option<Self> {
        let n = URL_SAFE_NO_PAD.decode(&k.n).ok()?;
        let e = URL_SAFE_NO_PAD.decode(&k.e).ok()?;
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der::rsa_public_key_der(&n, &e))
            .ok()
            .map(PublicKey)
    }
}

/// How long fetched keys are trusted before the JWKS is fetched again: a key the server no
/// longer publishes (retired after a rotation) stops verifying within this time.
pub const JWKS_MAX_AGE: Duration = Duration::from_secs(600);

/// A project's verification keys and the rules its JWTs must follow.
pub struct JwtVerifier {
    project_id: String,
    issuer: String,
    keys: RwLock<HashMap<String, Arc<PublicKey>>>,
    /// When the keys were last fetched; held across a fetch so that fetches are single-flight.
    fetched: tokio::sync::Mutex<Option<Instant>>,
    /// The same moment as milliseconds since `created` (0: never), read without the lock on
    /// every verification to tell when the keys are due to be fetched again.
    fetched_ms: std::sync::atomic::AtomicU64,
    created: Instant,
    refetch_interval: Duration,
    fetches: std::sync::atomic::AtomicU64,
    verified: RwLock<HashMap<[u8; 32], Verified>>,
    /// Sessions the revocation feed said ended, when subscribed.
    pub(crate) revoked: crate::revocations::RevokedSessions,
}

/// A JWT whose signature, issuer and audience were checked.
struct Verified {
    exp: i64,
    not_before: i64,
    iat: i64,
    session: Session,
}

/// The most verified JWTs remembered.
const MAX_VERIFIED: usize = 10_000;

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier for `project_id`'s JWTs with no keys yet.
    pub fn new(project_id: &str, refetch_interval: Duration) -> Self {
        JwtVerifier {
            project_id: project_id.to_owned(),
            issuer: format!("stytch.com/{project_id}"),
            keys: RwLock::default(),
            fetched: tokio::sync::Mutex::new(None),
            fetched_ms: Default::default(),
            created: Instant::now(),
            refetch_interval,
            fetches: Default::default(),
            verified: RwLock::default(),
            revoked: Default::default(),
        }
    }

    /// Replaces the known keys (RSA keys of a JWKS; others are ignored).
    pub fn set_keys(&self, jwks: &[Jwk]) {
        let keys = jwks
            .iter()
            .filter(|k| k.kty == "RSA")
            .filter_map(|k| Some((k.kid.clone(), Arc::new(PublicKey::from_jwk(k)?))))
            .collect();
        *self.keys.write().expect("jwks lock poisoned") = keys;
        self.verified.write().expect("jwt memory poisoned").clear();
    }

    /// How many times the JWKS was fetched.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Forgets which JWTs verified (the next call of each checks its signature again).
    pub fn forget_verified(&self) {
        self.verified.write().expect("jwt memory poisoned").clear();
    }

    /// Whether the keys were fetched more than `max_age` ago (`false` before the first fetch:
    /// an unknown key id fetches them then).
    pub fn keys_older_than(&self, max_age: Duration) -> bool {
        let at = self.fetched_ms.load(std::sync::atomic::Ordering::Relaxed);
        at != 0
            && self.created.elapsed().as_millis() as u64
                > at.saturating_add(max_age.as_millis() as u64)
    }

    /// Whether a key with this id is known.
    pub fn has_key(&self, kid: &str) -> bool {
        self.keys
            .read()
            .expect("jwks lock poisoned")
            .contains_key(kid)
    }

    /// Verifies `jwt` at `now` (seconds since the epoch) with the known keys. `max_token_age`
    /// bounds how long ago the JWT may have been issued.
    pub fn verify_at(
        &self,
        jwt: &str,
        max_token_age: Option<Duration>,
        now: i64,
    ) -> Result<Session, JwtError> {
        let digest = ring::digest::digest(&ring::digest::SHA256, jwt.as_bytes());
        let id: [u8; 32] = digest.as_ref().try_into().expect("SHA-256 is 32 bytes");
        if let Some(v) = self.verified.read().expect("jwt memory poisoned").get(&id) {
            check_times(v, max_token_age, now)?;
            self.revoked.check(&v.session.session_id)?;
            return Ok(v.session.clone());
        }
        let v = self.verify_signed(jwt)?;
        check_times(&v, max_token_age, now)?;
        self.revoked.check(&v.session.session_id)?;
        let session = v.session.clone();
        let mut memory = self.verified.write().expect("jwt memory poisoned");
        if memory.len() >= MAX_VERIFIED {
            memory.retain(|_, v| v.exp + CLOCK_SKEW.as_secs() as i64 > now);
            if memory.len() >= MAX_VERIFIED {
                memory.clear();
            }
        }
        memory.insert(id, v);
        Ok(session)
    }

    /// Signature, issuer and audience: what does not change with time.
    fn verify_signed(&self, jwt: &str) -> Result<Verified, JwtError> {
        let mut parts = jwt.splitn(3, '.');
        let (Some(header_b64), Some(payload_b64), Some(sig_b64)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed("not three parts"));
        };
        let mut header_buf = [0u8; 512];
        let header = decode(header_b64, &mut header_buf)?;
        let header: Header<'_> =
            serde_json::from_slice(header).map_err(|_| JwtError::Malformed("header"))?;
        if header.alg != "RS256" {
            return Err(JwtError::UnsupportedAlgorithm);
        }
        let key = self
            .keys
            .read()
            .expect("jwks lock poisoned")
            .get(&*header.kid)
            .cloned()
            .ok_or(JwtError::UnknownKey)?;
        let mut sig_buf = [0u8; 1024];
        let sig = decode(sig_b64, &mut sig_buf)?;
        let signed = &jwt.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
        key.0
            .verify_sig(signed, sig)
            .map_err(|_| JwtError::BadSignature)?;

        let mut payload_buf = [0u8; 4096];
        let heap;
        let payload = if payload_b64.len() / 4 * 3 + 3 <= payload_buf.len() {
            decode(payload_b64, &mut payload_buf)?
        } else {
            heap = URL_SAFE_NO_PAD
                .decode(payload_b64)
                .map_err(|_| JwtError::Malformed("base64"))?;
            &heap[..]
        };
        let claims = ClaimsSeed {
            project_id: &self.project_id,
        }
        .deserialize(&mut serde_json::Deserializer::from_slice(payload))
        .map_err(|_| JwtError::Malformed("claims"))?;
        if claims.iss != self.issuer {
            return Err(JwtError::WrongIssuer);
        }
        if !claims.aud_ok {
            return Err(JwtError::WrongAudience);
        }
        Ok(Verified {
            exp: claims.exp,
            not_before: claims.nbf.unwrap_or(claims.iat),
            iat: claims.iat,
            session: claims.session,
        })
    }

    /// [`verify_at`](Self::verify_at) now.
    pub fn verify(&self, jwt: &str, max_token_age: Option<Duration>) -> Result<Session, JwtError> {
        self.verify_at(jwt, max_token_age, unix_now())
    }

    /// Fetches the keys with `fetch` unless another caller just did: one fetch at a time, and
    /// none sooner than the refetch interval after the last (unless `kid` is still unknown and
    /// no fetch ever succeeded). Returns whether a fetch ran.
    pub(crate) async fn refresh<F, Fut, E>(&self, kid: Option<&str>, fetch: F) -> Result<bool, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Jwk>, E>>,
    {
        let mut fetched = self.fetched.lock().await;
        if let Some(kid) = kid
            && self.has_key(kid)
        {
            return Ok(false); // another caller fetched it meanwhile
        }
        if let Some(at) = *fetched
            && at.elapsed() < self.refetch_interval
        {
            return Ok(false);
        }
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let keys = fetch().await?;
        self.set_keys(&keys);
        *fetched = Some(Instant::now());
        let ms = (self.created.elapsed().as_millis() as u64).max(1);
        self.fetched_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
        Ok(true)
    }
}

fn check_times(v: &Verified, max_token_age: Option<Duration>, now: i64) -> Result<(), JwtError> {
    let skew = CLOCK_SKEW.as_secs() as i64;
    if now >= v.exp + skew {
        return Err(JwtError::Expired);
    }
    if now + skew < v.not_before {
        return Err(JwtError::NotYetValid);
    }
    if let Some(max) = max_token_age
        && now - v.iat > max.as_secs() as i64
    {
        return Err(JwtError::TooOld);
    }
    Ok(())
}

/// The key id a JWT names, when its header can be read.
pub fn kid_of(jwt: &str) -> Option<String> {
    let header_b64 = jwt.split('.').next()?;
    let mut buf = [0u8; 512];
    let header = decode(header_b64, &mut buf).ok()?;
    let header: Header<'_> = serde_json::from_slice(header).ok()?;
    Some(header.kid.into_owned())
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn decode<'b>(input: &str, buf: &'b mut [u8]) -> Result<&'b [u8], JwtError> {
    if input.len() / 4 * 3 + 3 > buf.len() {
        return Err(JwtError::Malformed("part too long"));
    }
    let n = URL_SAFE_NO_PAD
        .decode_slice(input, buf)
        .map_err(|_| JwtError::Malformed("base64"))?;
    Ok(&buf[..n])
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow)]
    kid: Cow<'a, str>,
}

/// A string borrowed from the input when it has no escapes (serde's `Cow<str>` always copies).
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// What the claims visitor produces: the checks' inputs and the session.
struct Checked<'de> {
    iss: Cow<'de, str>,
    aud_ok: bool,
    exp: i64,
    nbf: Option<i64>,
    iat: i64,
    session: Session,
}

/// The `https://stytch.com/session` claim.
#[derive(Deserialize)]
struct SessionClaim {
    id: String,
    started_at: String,
    last_accessed_at: String,
    expires_at: String,
    #[serde(default)]
    attributes: SessionAttributes,
    #[serde(default)]
    authentication_factors: Vec<AuthenticationFactor>,
    #[serde(default)]
    roles: Vec<String>,
}

/// Parses the claims in one pass: the audience is checked as it streams by (no list is built)
/// and every claim that is not registered or Stytch's becomes a custom claim.
struct ClaimsSeed<'p> {
    project_id: &'p str,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = Checked<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Checked<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = Checked<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("session JWT claims")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<'de>, A::Error> {
        let (mut iss, mut sub, mut exp, mut nbf, mut iat) = (None, None, None, None, None);
        let mut aud_ok = false;
        let mut session: Option<SessionClaim> = None;
        let mut custom = Map::new();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            match &*key.0 {
                "iss" => iss = Some(map.next_value::<Text<'de>>()?.0),
                "sub" => sub = Some(map.next_value::<String>()?),
                "exp" => exp = Some(map.next_value::<i64>()?),
                "nbf" => nbf = Some(map.next_value::<i64>()?),
                "iat" => iat = Some(map.next_value::<i64>()?),
                "aud" => {
                    aud_ok = map.next_value_seed(AudienceSeed {
                        project_id: self.project_id,
                    })?
                }
                "jti" => {
                    map.next_value::<IgnoredAny>()?;
                }
                "https://stytch.com/session" => session = Some(map.next_value()?),
                _ => {
                    let v: Value = map.next_value()?;
                    custom.insert(key.0.into_owned(), v);
                }
            }
        }
        let missing = |f| de::Error::missing_field(f);
        let s = session.ok_or_else(|| missing("https://stytch.com/session"))?;
        Ok(Checked {
            iss: iss.ok_or_else(|| missing("iss"))?,
            aud_ok,
            exp: exp.ok_or_else(|| missing("exp"))?,
            nbf,
            iat: iat.ok_or_else(|| missing("iat"))?,
            session: Session {
                session_id: s.id,
                user_id: sub.ok_or_else(|| missing("sub"))?,
                started_at: s.started_at,
                last_accessed_at: s.last_accessed_at,
                expires_at: s.expires_at,
                attributes: s.attributes,
                authentication_factors: s.authentication_factors,
                custom_claims: custom,
                roles: s.roles,
            },
        })
    }
}

/// `aud` as a string or a list of strings: whether it names the project.
struct AudienceSeed<'p> {
    project_id: &'p str,
}

impl<'de> DeserializeSeed<'de> for AudienceSeed<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AudienceSeed<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.project_id)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(a) = seq.next_element::<Text<'de>>()? {
            found |= a.0 == self.project_id;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {

    #[tokio::test]
    async fn keys_are_fetched_again_after_their_max_age_and_unpublished_ones_dropped() {
        let jwk = |kid: &str| Jwk {
            kty: "RSA".into(),
            key_use: "sig".into(),
            key_ops: vec![],
            alg: "RS256".into(),
            kid: kid.into(),
            x5c: vec![],
            x5t_s256: String::new(),
            // Any odd 2048-bit number parses as a modulus; nothing is verified with it.
            n: URL_SAFE_NO_PAD.encode([0xd5u8; 256]),
            e: "AQAB".into(),
        };
        let v = JwtVerifier::new("p", Duration::ZERO);
        assert!(!v.keys_older_than(Duration::ZERO), "never fetched: not due");
        v.refresh(None, || async { Ok::<_, ()>(vec![jwk("old"), jwk("new")]) })
            .await
            .unwrap();
        assert!(v.has_key("old"));
        assert!(!v.keys_older_than(JWKS_MAX_AGE));
        std::thread::sleep(Duration::from_millis(5));
        assert!(
            v.keys_older_than(Duration::from_millis(1)),
            "due after its max age"
        );
        v.refresh(None, || async { Ok::<_, ()>(vec![jwk("new")]) })
            .await
            .unwrap();
        assert!(!v.has_key("old"), "a key no longer published is dropped");
        assert!(v.has_key("new"));
    }
    use super::*;
}
