//! The `jwt_client` target: `tessera_client`'s local verification of session JWTs.
//!
//! Shared by `fuzz_targets/jwt_client.rs` and the stable replay in
//! `crates/tessera-server/tests/api/fuzz_corpus.rs` (`#[path]`): tessera-client is only a
//! dev-dependency of the server, so this cannot live in `tessera_server::fuzzing`. The input
//! is a JWT to verify; or, when it starts with `{`, a claims payload signed here first with
//! the verifier's key (so the claims parser sees what only a signature lets through); or, when
//! it starts with `[`, a JWKS key list the verifier takes, then checks a genuine JWT with.

use std::sync::OnceLock;
use std::time::Duration;

use serde_json::value::RawValue;
use tessera_client::JwtVerifier;
use tessera_client::jwt::kid_of;
use tessera_client::proto::sessions::Jwk;
use tessera_server::jwt::SigningKey;
use tessera_server::model::Timestamp;

const PROJECT_ID: &str = "project-test-00000000-0000-4000-8000-000000000000";
const KID: &str = "jwk-test-fuzz";
/// "Now" for the time checks: 2027-01-15T08:00:00Z, when the genuine JWT is fresh.
const NOW: i64 = 1_800_000_000;

/// A verifier that knows the key, the key, and a JWT it signed that verifies at [`NOW`].
struct Fixture {
    key: SigningKey,
    verifier: JwtVerifier,
    genuine: String,
}

/// Generated once per process (`None` if key generation failed).
fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let key = SigningKey::generate(KID.into(), Timestamp::from_millis(0))
                .ok()?
                .key;
            let verifier = JwtVerifier::new(PROJECT_ID, Duration::from_secs(1));
            verifier.set_keys(&[jwk(&key)]);
            let genuine = key.sign(&genuine_claims()).ok()?;
            Some(Fixture {
                key,
                verifier,
                genuine,
            })
        })
        .as_ref()
}

fn jwk(key: &SigningKey) -> Jwk {
    Jwk {
        kty: "RSA".into(),
        key_use: "sig".into(),
        key_ops: vec!["verify".into()],
        alg: "RS256".into(),
        kid: key.kid.clone(),
        x5c: vec![],
        x5t_s256: String::new(),
        n: key.n.clone(),
        e: key.e.clone(),
    }
}

/// Claims as the server writes them, valid from [`NOW`] for five minutes.
fn genuine_claims() -> serde_json::Value {
    serde_json::json!({
        "aud": [PROJECT_ID],
        "exp": NOW + 300,
        "iat": NOW,
        "iss": format!("stytch.com/{PROJECT_ID}"),
        "nbf": NOW,
        "sub": "user-test-00000000-0000-4000-8000-000000000001",
        "https://stytch.com/session": {
            "id": "session-test-00000000-0000-4000-8000-000000000002",
            "started_at": "2027-01-15T07:00:00Z",
            "last_accessed_at": "2027-01-15T08:00:00Z",
            "expires_at": "2027-01-16T08:00:00Z",
            "attributes": { "ip_address": "203.0.113.9", "user_agent": "fuzz" },
            "authentication_factors": [],
            "roles": ["stytch_user"]
        },
        "plan": "pro"
    })
}

/// Verifies `jwt` as a caller would: without and with a token age limit (the second call
/// finds a JWT that verified in the verifier's memory).
fn verify(verifier: &JwtVerifier, jwt: &str) {
    for max_age in [None, Some(Duration::from_secs(60))] {
        let _ = verifier.verify_at(jwt, max_age, NOW);
    }
    let _ = kid_of(jwt);
}

/// The target's body: any bytes, never a panic.
pub(crate) fn run(data: &[u8]) {
    let Some(f) = fixture() else {
        return;
    };
    let text = String::from_utf8_lossy(data);
    match text.as_bytes().first() {
        Some(b'{') => {
            let payload = serde_json::from_str::<&RawValue>(&text).ok();
            match payload.and_then(|p| f.key.sign(&p).ok()) {
                Some(jwt) => verify(&f.verifier, &jwt),
                None => verify(&f.verifier, &text),
            }
        }
        Some(b'[') => {
            let Ok(keys) = serde_json::from_str::<Vec<Jwk>>(&text) else {
                return;
            };
            let verifier = JwtVerifier::new(PROJECT_ID, Duration::from_secs(1));
            verifier.set_keys(&keys);
            verifier.has_key(KID);
            verify(&verifier, &f.genuine);
        }
        _ => verify(&f.verifier, &text),
    }
}
