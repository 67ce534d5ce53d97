//! The functions on Tessera's hot paths: `cargo bench -p tessera-server --bench hot_paths`.
//! Figures and the machine they were taken on are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use tessera_server::crypto::{self, Digest256};
use tessera_server::jwt::{SigningKey, UnverifiedJwt};
use tessera_server::model::Timestamp;

fn claims() -> serde_json::Value {
    json!({
        "aud": ["project-test-1befd812-e9e6-49fe-bdc1-c8df2bfa702a"],
        "exp": 1721162633, "iat": 1721162333, "nbf": 1721162333,
        "iss": "stytch.com/project-test-1befd812-e9e6-49fe-bdc1-c8df2bfa702a",
        "sub": "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd",
        "https://stytch.com/session": {
            "id": "session-test-eb94233f-8800-4ebd-8645-51dc15f9d028",
            "started_at": "2021-08-28T00:41:58Z",
            "last_accessed_at": "2024-07-16T20:38:53Z",
            "expires_at": "2024-07-16T21:38:53Z",
            "attributes": {"user_agent": "", "ip_address": ""},
            "authentication_factors": [{
                "type": "magic_link", "delivery_method": "email",
                "last_authenticated_at": "2024-07-16T20:38:53Z",
                "email_factor": {"email_id": "email-test-23873e89-d4ed-4e92-b3b9-e5c7198fa286",
                                 "email_address": "sandbox@stytch.com"}
            }],
            "roles": ["stytch_user"]
        },
        "plan": "pro"
    })
}

fn tokens(c: &mut Criterion) {
    let mut g = c.benchmark_group("tokens");
    g.throughput(Throughput::Elements(1));
    g.bench_function("generate session token (33 random bytes, base64url)", |b| {
        b.iter(|| black_box(crypto::random_b64_nopad(33)))
    });
    let token = crypto::random_b64_nopad(33);
    g.bench_function("hash session token (SHA-256)", |b| {
        b.iter(|| black_box(Digest256::of(black_box(&token))))
    });
    let secret = format!("secret-test-{}", crypto::random_b64_padded(32));
    let stored = Digest256::of(&secret);
    g.bench_function(
        "verify project secret (SHA-256 + constant-time compare)",
        |b| b.iter(|| black_box(Digest256::of(black_box(&secret)).ct_eq(&stored.0))),
    );
    g.finish();
}

fn jwts(c: &mut Criterion) {
    let key = SigningKey::generate("jwk-test-bench".into(), Timestamp::now())
        .unwrap()
        .key;
    let claims = claims();
    let jwt = key.sign(&claims).unwrap();
    let mut g = c.benchmark_group("jwt");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign RS256 (parsed key)", |b| {
        b.iter(|| black_box(key.sign(black_box(&claims)).unwrap()))
    });
    g.bench_function("verify RS256 and decode claims", |b| {
        b.iter(|| {
            let parsed = UnverifiedJwt::parse(black_box(&jwt)).unwrap();
            black_box(parsed.verify_with::<serde_json::Value>(&key).unwrap())
        })
    });
    g.bench_function("fingerprint claims for JWT reuse", |b| {
        b.iter(|| {
            let bytes = serde_json::to_vec(black_box(&claims)).unwrap();
            black_box(tessera_server::service::sessions::cache::fingerprint(
                &bytes,
            ))
        })
    });
    g.finish();
}

fn envelope(c: &mut Criterion) {
    let mut body = claims();
    body["request_id"] = json!("request-id-test-b05c992f-ebdc-489d-a754-c7e70ba13141");
    body["status_code"] = json!(200);
    body["user"] = json!({
        "user_id": "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd", "status": "active",
        "created_at": "2021-08-28T00:41:58Z",
        "name": {"first_name": "", "middle_name": "", "last_name": ""},
        "emails": [{"email_id": "email-test-23873e89-d4ed-4e92-b3b9-e5c7198fa286", "email": "sandbox@stytch.com", "verified": true}],
        "phone_numbers": [], "webauthn_registrations": [], "providers": [], "totps": [],
        "crypto_wallets": [], "biometric_registrations": [], "password": null,
        "roles": ["stytch_user"], "trusted_metadata": {}, "untrusted_metadata": {},
        "external_id": null, "is_locked": false, "lock_created_at": null, "lock_expires_at": null
    });
    let bytes = serde_json::to_vec(&body).unwrap().len() as u64;
    let mut g = c.benchmark_group("envelope");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("serialize an authenticate response", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&body)).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, tokens, jwts, envelope);
criterion_main!(benches);
