//! Local session-JWT verification, the per-request cost of an app protected by Tessera:
//! `cargo bench -p tessera-client --bench jwt_verify`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tessera_client::JwtVerifier;

#[path = "../tests/common/mod.rs"]
mod common;

fn verify(c: &mut Criterion) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let (jwk, jwt) = common::signed_jwt(now);
    let verifier = JwtVerifier::new(common::PROJECT_ID, Duration::from_secs(10));
    verifier.set_keys(&[jwk]);
    verifier.verify_at(&jwt, None, now).expect("valid");
    // First sight of a JWT: signature, claims, checks (the RSA signature dominates).
    c.bench_function("jwt_verify_local/first_sight", |b| {
        b.iter_batched(
            || verifier.forget_verified(),
            |()| {
                verifier
                    .verify_at(std::hint::black_box(&jwt), None, now)
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    // The same JWT again, as every further request of the session within the JWT's lifetime.
    c.bench_function("jwt_verify_local/again", |b| {
        b.iter(|| {
            verifier
                .verify_at(std::hint::black_box(&jwt), None, now)
                .unwrap()
        })
    });
}

criterion_group!(benches, verify);
criterion_main!(benches, raw);

fn ring_only(c: &mut Criterion) {
    use base64::Engine;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (jwk, jwt) = common::signed_jwt(1_800_000_000);
    let n = e.decode(&jwk.n).unwrap();
    let ee = e.decode(&jwk.e).unwrap();
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let sig = e.decode(sig).unwrap();
    c.bench_function("ring_rsa_verify_only", |b| {
        b.iter(|| {
            ring::signature::RsaPublicKeyComponents {
                n: &n[..],
                e: &ee[..],
            }
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &sig,
            )
            .unwrap()
        })
    });
}
criterion_group!(raw, ring_only);
