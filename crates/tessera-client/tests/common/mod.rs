//! A signed session JWT and its JWKS, made with the server's own signing code.
#![allow(dead_code)]

use serde_json::json;
use tessera_client::proto::sessions::Jwk;
use tessera_server::jwt::SigningKey;
use tessera_server::model::Timestamp;

pub(crate) const PROJECT_ID: &str = "project-test-00000000-0000-4000-8000-000000000000";

/// A key, its JWKS entry, and a JWT issued at `iat` by it, in the layout Tessera mints.
pub(crate) fn signed_jwt(iat: i64) -> (Jwk, String) {
    let key = SigningKey::generate("jwk-test-bench".into(), Timestamp::now())
        .unwrap()
        .key;
    let claims = json!({
        "aud": [PROJECT_ID],
        "exp": iat + 300,
        "iat": iat,
        "iss": format!("stytch.com/{PROJECT_ID}"),
        "nbf": iat,
        "sub": "user-test-11111111-1111-4111-8111-111111111111",
        "https://stytch.com/session": {
            "id": "session-test-22222222-2222-4222-8222-222222222222",
            "started_at": "2026-11-23T10:00:00Z",
            "last_accessed_at": "2026-11-23T10:00:00Z",
            "expires_at": "2026-11-24T10:00:00Z",
            "attributes": {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0"},
            "authentication_factors": [{
                "type": "magic_link",
                "delivery_method": "email",
                "last_authenticated_at": "2026-11-23T10:00:00Z",
                "email_factor": {
                    "email_id": "email-test-33333333-3333-4333-8333-333333333333",
                    "email_address": "ada@example.com"
                }
            }],
            "roles": ["stytch_user"]
        },
        "plan": "pro"
    });
    let jwt = key.sign(&claims).unwrap();
    let jwk = Jwk {
        kty: "RSA".into(),
        key_use: "sig".into(),
        key_ops: vec!["verify".into()],
        alg: "RS256".into(),
        kid: key.kid.clone(),
        x5c: vec![],
        x5t_s256: String::new(),
        n: key.n.clone(),
        e: key.e.clone(),
    };
    (jwk, jwt)
}
