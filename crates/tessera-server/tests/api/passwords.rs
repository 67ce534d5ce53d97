//! Passwords end to end on both backends: sign-up under the strength policy and a real Pwned
//! Passwords range server, login, lockout, imports of hashes made by independent libraries
//! (Python's bcrypt, hashlib, argon2-cffi, passlib), the three resets (the email one through a
//! real SMTP conversation), and the reset forced by an email login.

use std::sync::Arc;

use sha1::{Digest, Sha1};
use tessera_client::Client;
use tessera_client::proto::passwords::*;
use tessera_client::proto::sessions::SessionOptions;
use tessera_server::config::Config;
use tessera_server::model::project::{PolicyChange, StrengthPolicy};
use tessera_server::service::projects::{self, NewProject};

use crate::harness::{Backend, TestApp, api_error, fresh_database, spawn_with};

/// Passwords of the test breach corpus (the range server serves their SHA-1 suffixes).
pub(crate) const BREACHED: [&str; 2] = ["Tr0ub4dor&3-breached", "correct-horse-battery-staple-9"];
const STRONG: &str = "vapor-Glacier-83-tundra-quill";

macro_rules! with_breach_server {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = super::spawn(crate::harness::Backend::Sqlite).await;
                super::$name(&app).await;
            }
            #[tokio::test]
            async fn postgres() {
                let app = super::spawn(crate::harness::Backend::Postgres).await;
                super::$name(&app).await;
            }
        }
    )*};
}

with_breach_server!(
    sign_up_log_in_and_refusals,
    wrong_passwords_lock_the_password,
    strength_checks_explain,
    hashes_from_other_systems_log_in_and_upgrade,
    email_reset_by_link_revokes_other_sessions,
    existing_and_session_resets,
    an_email_login_forces_a_reset,
    a_breached_password_found_at_login_must_be_reset,
    a_reset_link_raced_by_50_requests_works_once,
);

/// A Pwned Passwords range server over [`BREACHED`], as `GET /range/<5 hex>` answers.
async fn breach_server() -> String {
    use axum::extract::Path;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/range/{prefix}",
        axum::routing::get(|Path(prefix): Path<String>| async move {
            let mut lines = vec!["0000000000000000000000000000000000A:0".to_owned()];
            for p in BREACHED {
                let hex: String = Sha1::digest(p.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect();
                if hex[..5] == prefix.to_uppercase() {
                    lines.push(format!("{}:42", &hex[5..]));
                }
            }
            lines.join("\r\n")
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A server whose breach check asks a range server over [`BREACHED`].
pub(crate) async fn spawn(backend: Backend) -> TestApp {
    let (database, dir) = fresh_database(backend);
    let mut config = Config::for_tests(database);
    config.pwned_passwords_url = Some(breach_server().await);
    spawn_with(config, dir).await
}

fn session(minutes: Option<i64>) -> SessionOptions {
    SessionOptions {
        session_duration_minutes: minutes,
        ..Default::default()
    }
}

async fn sign_up(
    client: &Client,
    email: &str,
    password: &str,
) -> tessera_client::proto::sessions::FactorAuthenticateResponse {
    client
        .passwords()
        .create(&CreateRequest {
            email: email.into(),
            password: password.into(),
            session: session(Some(60)),
            ..Default::default()
        })
        .await
        .unwrap()
}

fn login_req(email: &str, password: &str) -> AuthenticateRequest {
    AuthenticateRequest {
        email: email.into(),
        password: password.into(),
        session: session(Some(60)),
    }
}

async fn sign_up_log_in_and_refusals(app: &TestApp) {
    let pw = app.client.passwords();
    // Weak and breached passwords are refused, with the reason.
    for bad in ["password123", BREACHED[0]] {
        let r = pw
            .create(&CreateRequest {
                email: "ada@example.com".into(),
                password: bad.into(),
                ..Default::default()
            })
            .await;
        let e = r.unwrap_err();
        assert_eq!(e.error_type(), Some("weak_password"), "{bad}");
        assert_eq!(e.status_code(), Some(400));
    }
    let created = sign_up(&app.client, "ada@example.com", STRONG).await;
    assert!(
        created
            .email_id
            .as_deref()
            .unwrap()
            .starts_with("email-test-")
    );
    let password = created.user.password.clone().unwrap();
    assert!(password.password_id.starts_with("password-test-"));
    assert!(!password.requires_reset);
    assert!(
        !created.user.emails[0].verified,
        "a password does not prove the email"
    );
    let f = &created.session.unwrap().authentication_factors[0];
    assert_eq!(
        (f.factor_type.as_str(), f.delivery_method.as_str()),
        ("password", "knowledge")
    );
    // Same email again: duplicate.
    let again = pw
        .create(&CreateRequest {
            email: "ADA@example.com".into(),
            password: STRONG.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(again), (400, "duplicate_email".into()));
    // Log in; wrong password; unknown email; a user without a password.
    let ok = pw
        .authenticate(&login_req("ada@example.com", STRONG))
        .await
        .unwrap();
    assert_eq!(ok.user_id, created.user_id);
    assert!(!ok.session_token.is_empty());
    let wrong = pw
        .authenticate(&login_req(
            "ada@example.com",
            "vapor-Glacier-83-tundra-quilt",
        ))
        .await;
    assert_eq!(api_error(wrong), (401, "unauthorized_credentials".into()));
    let nobody = pw
        .authenticate(&login_req("nobody@example.com", STRONG))
        .await;
    assert_eq!(api_error(nobody), (404, "email_not_found".into()));
    app.login("linkonly@example.com", 60).await;
    let none = pw
        .authenticate(&login_req("linkonly@example.com", STRONG))
        .await;
    assert_eq!(api_error(none), (400, "no_user_password".into()));
    // The search filter answers from real data.
    let found = app
        .client
        .users()
        .search(&serde_json::from_value(serde_json::json!({
            "query": {"operator": "AND", "operands": [{"filter_name": "password_exists", "filter_value": true}]}
        })).unwrap())
        .await
        .unwrap();
    assert_eq!(found.results.len(), 1);
    assert_eq!(found.results[0].user_id, created.user_id);
    // Bad input is a clear error, never a 500.
    let long = pw
        .authenticate(&login_req("ada@example.com", &"x".repeat(10_000)))
        .await;
    assert_eq!(api_error(long).1, "unauthorized_credentials");
    let bad_email = pw.authenticate(&login_req("not an email", STRONG)).await;
    assert_eq!(api_error(bad_email), (400, "invalid_email".into()));
    // Deleting the password.
    let gone = pw.delete(&password.password_id).await.unwrap();
    assert!(gone.user.password.is_none());
    assert_eq!(api_error(pw.delete(&password.password_id).await).0, 404);
}

async fn wrong_passwords_lock_the_password(app: &TestApp) {
    let pw = app.client.passwords();
    sign_up(&app.client, "lock@example.com", STRONG).await;
    for _ in 0..10 {
        let r = pw
            .authenticate(&login_req("lock@example.com", "not-it-at-all-4711"))
            .await;
        assert_eq!(api_error(r).1, "unauthorized_credentials");
    }
    // Locked: even the right password fails now.
    let r = pw
        .authenticate(&login_req("lock@example.com", STRONG))
        .await;
    assert_eq!(api_error(r), (429, "user_lock_limit_reached".into()));
}

async fn strength_checks_explain(app: &TestApp) {
    let pw = app.client.passwords();
    let weak = pw
        .strength_check(&StrengthCheckRequest {
            password: "password123".into(),
            email: None,
        })
        .await
        .unwrap();
    assert!(!weak.valid_password);
    assert!(weak.score < 3);
    assert_eq!(weak.strength_policy, "zxcvbn");
    assert!(weak.breach_detection_on_create);
    assert!(!weak.feedback.warning.is_empty() || !weak.feedback.suggestions.is_empty());
    // The breach check runs only with an email.
    let no_email = pw
        .strength_check(&StrengthCheckRequest {
            password: BREACHED[1].into(),
            email: None,
        })
        .await
        .unwrap();
    assert!(!no_email.breached_password);
    let with_email = pw
        .strength_check(&StrengthCheckRequest {
            password: BREACHED[1].into(),
            email: Some("x@example.com".into()),
        })
        .await
        .unwrap();
    assert!(with_email.breached_password);
    assert!(!with_email.valid_password);
    // A LUDS project reports what is missing.
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "luds".into(),
            policy: PolicyChange {
                password_strength: Some(StrengthPolicy::Luds),
                luds_min_length: Some(12),
                luds_complexity: Some(4),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let luds = Client::new(&app.base_url, &creds.project_id, &creds.secret).unwrap();
    let r = luds
        .passwords()
        .strength_check(&StrengthCheckRequest {
            password: "abcDEF123".into(),
            email: None,
        })
        .await
        .unwrap();
    assert_eq!(r.strength_policy, "luds");
    assert!(!r.valid_password);
    let req = r.feedback.luds_requirements.unwrap();
    assert_eq!((req.missing_characters, req.missing_complexity), (3, 1));
    assert!(!req.has_symbol);
}

async fn hashes_from_other_systems_log_in_and_upgrade(app: &TestApp) {
    let password = "Migrated-from-elsewhere-2024";
    let out = std::process::Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/sdk-env/python/bin/python"
    ))
    .arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../sdk-tests/python/hashes.py"
    ))
    .arg(password)
    .output()
    .expect("scripts/setup-sdk-tests installs the Python environment");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bodies: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bodies.len(), 9);
    let pw = app.client.passwords();
    for (i, mut body) in bodies.into_iter().enumerate() {
        let hash_type = body["hash_type"].as_str().unwrap().to_owned();
        let email = format!("import{i}@example.com");
        body["email"] = email.clone().into();
        let req: MigrateRequest = serde_json::from_value(body).unwrap();
        let m = pw
            .migrate(&req)
            .await
            .unwrap_or_else(|e| panic!("{hash_type}: {e:?}"));
        assert!(m.user_created, "{hash_type}");
        assert!(m.user.password.is_some());
        // Migrating again: the user has a password now.
        assert_eq!(
            api_error(pw.migrate(&req).await).1,
            "password_already_exists"
        );
        let wrong = pw
            .authenticate(&login_req(&email, "Migrated-from-elsewhere-2025"))
            .await;
        assert_eq!(
            api_error(wrong).1,
            "unauthorized_credentials",
            "{hash_type}"
        );
        let ok = pw.authenticate(&login_req(&email, password)).await;
        assert!(ok.is_ok(), "{hash_type}: {ok:?}");
        // Upgraded to argon2id on that first login, and still right.
        let stored = app
            .store
            .password_of(&app.creds.project_id, &m.user_id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            stored.hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash_type}"
        );
        pw.authenticate(&login_req(&email, password)).await.unwrap();
    }
    // Bad imports are clear errors.
    let bad = pw
        .migrate(&MigrateRequest {
            email: "bad@example.com".into(),
            hash: "$2b$10$short".into(),
            hash_type: "bcrypt".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(bad), (400, "invalid_hash".into()));
    let bad = pw
        .migrate(&MigrateRequest {
            email: "bad@example.com".into(),
            hash: "00".into(),
            hash_type: "md_4".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(bad), (400, "invalid_hash_type".into()));
    // Stytch's own SDK test value (sandbox.md §7).
    let stytch = pw
        .migrate(&MigrateRequest {
            email: "stytch-sample@example.com".into(),
            hash: "$2a$12$vefoDBbzuMb/NczV/fc9QemTizkNAZr9EO02pIUHPAAJibcYp0.ne".into(),
            hash_type: "bcrypt".into(),
            set_email_verified: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(stytch.user.emails[0].verified);
}

async fn reset_link(app: &TestApp, email: &str) -> String {
    app.client
        .passwords()
        .email_reset_start(&ResetStartRequest {
            email: email.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mail = app.smtp.last_to(email).await;
    let url = crate::delivery::typed_link_url(&mail, "reset_password");
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

async fn email_reset_by_link_revokes_other_sessions(app: &TestApp) {
    let pw = app.client.passwords();
    let first = sign_up(&app.client, "reset@example.com", STRONG).await;
    let other = pw
        .authenticate(&login_req("reset@example.com", STRONG))
        .await
        .unwrap();
    let token = reset_link(app, "reset@example.com").await;
    let weak = pw
        .email_reset(&EmailResetRequest {
            token: token.clone(),
            password: "123456".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        api_error(weak).1,
        "weak_password",
        "a weak password does not spend the link"
    );
    let new = "brand-New-Password-for-2026";
    let r = pw
        .email_reset(&EmailResetRequest {
            token: token.clone(),
            password: new.into(),
            session: session(Some(30)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(r.reset_sessions);
    assert!(r.user.emails[0].verified, "the link proved the email");
    let notice = app.smtp.last_to("reset@example.com").await;
    let body = notice.body();
    assert!(
        body.contains("account was changed"),
        "the owner is told: {body}"
    );
    // The other sessions are gone; the link is spent.
    for t in [&first.session_token, &other.session_token] {
        let s = app
            .client
            .sessions()
            .authenticate(
                &tessera_client::proto::sessions::AuthenticateSessionRequest {
                    session_token: Some(t.clone()),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(api_error(s).1, "session_not_found");
    }
    let again = pw
        .email_reset(&EmailResetRequest {
            token,
            password: new.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(
        api_error(again),
        (401, "unable_to_auth_password_reset_token".into())
    );
    assert_eq!(
        api_error(
            pw.authenticate(&login_req("reset@example.com", STRONG))
                .await
        )
        .1,
        "unauthorized_credentials"
    );
    pw.authenticate(&login_req("reset@example.com", new))
        .await
        .unwrap();
    // PKCE: a challenged link needs its verifier.
    let (verifier, challenge) = ("a-verifier-of-enough-length-0123456789", {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(
            b"a-verifier-of-enough-length-0123456789",
        ))
    });
    pw.email_reset_start(&ResetStartRequest {
        email: "reset@example.com".into(),
        code_challenge: Some(challenge),
        ..Default::default()
    })
    .await
    .unwrap();
    let mail = app.smtp.last_to("reset@example.com").await;
    let token = crate::delivery::typed_link_url(&mail, "reset_password")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let missing = pw
        .email_reset(&EmailResetRequest {
            token: token.clone(),
            password: "another-Fine-Password-77".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(missing).1, "pkce_expected_code_verifier");
    pw.email_reset(&EmailResetRequest {
        token,
        password: "another-Fine-Password-77".into(),
        code_verifier: Some(verifier.into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let unknown = pw
        .email_reset_start(&ResetStartRequest {
            email: "nobody@example.com".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(unknown), (404, "email_not_found".into()));
}

async fn existing_and_session_resets(app: &TestApp) {
    let pw = app.client.passwords();
    let s = sign_up(&app.client, "change@example.com", STRONG).await;
    let second = "second-Password-of-the-day";
    let wrong = pw
        .existing_password_reset(&ExistingResetRequest {
            email: "change@example.com".into(),
            existing_password: "not-the-current-one-1".into(),
            new_password: second.into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(wrong).1, "unauthorized_credentials");
    let r = pw
        .existing_password_reset(&ExistingResetRequest {
            email: "change@example.com".into(),
            existing_password: STRONG.into(),
            new_password: second.into(),
            session: session(Some(30)),
        })
        .await
        .unwrap();
    assert!(r.reset_sessions);
    let old = app
        .client
        .sessions()
        .authenticate(
            &tessera_client::proto::sessions::AuthenticateSessionRequest {
                session_token: Some(s.session_token.clone()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(api_error(old).1, "session_not_found");
    // By session: the fresh password session may, and keeps living.
    let third = "third-Password-of-the-day";
    let by_session = pw
        .session_reset(&SessionResetRequest {
            password: third.into(),
            session: SessionOptions {
                session_token: Some(r.session_token.clone()),
                ..Default::default()
            },
        })
        .await
        .unwrap();
    assert_eq!(by_session.session_token, r.session_token);
    pw.authenticate(&login_req("change@example.com", third))
        .await
        .unwrap();
    // A session without a password or email factor may not.
    let sent = app
        .client
        .otps()
        .login_or_create(
            tessera_client::OtpChannel::Sms,
            &tessera_client::proto::otps::OtpSendRequest {
                phone_number: Some("+14155550177".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let code = crate::delivery::code_in(&app.sms.last_to("sms", "+14155550177").await);
    let phone_session = app
        .client
        .otps()
        .authenticate(&tessera_client::proto::otps::OtpAuthenticateRequest {
            method_id: sent.phone_id.unwrap(),
            code,
            session: session(Some(30)),
            ..Default::default()
        })
        .await
        .unwrap();
    let refused = pw
        .session_reset(&SessionResetRequest {
            password: "fourth-Password-of-the-day".into(),
            session: SessionOptions {
                session_token: Some(phone_session.session_token),
                ..Default::default()
            },
        })
        .await;
    assert_eq!(
        api_error(refused),
        (400, "session_too_old_to_reset_password".into())
    );
    let none = pw
        .session_reset(&SessionResetRequest {
            password: "fourth-Password-of-the-day".into(),
            ..Default::default()
        })
        .await;
    assert_eq!(api_error(none).1, "no_session_arguments");
}

async fn an_email_login_forces_a_reset(app: &TestApp) {
    let pw = app.client.passwords();
    sign_up(&app.client, "dedup@example.com", STRONG).await;
    // Someone proves the email by a magic link: the password (set without that proof) must go.
    let r = app.login("dedup@example.com", 30).await;
    assert!(r.user.password.as_ref().unwrap().requires_reset);
    let blocked = pw
        .authenticate(&login_req("dedup@example.com", STRONG))
        .await;
    assert_eq!(api_error(blocked), (401, "reset_password".into()));
    let token = reset_link(app, "dedup@example.com").await;
    pw.email_reset(&EmailResetRequest {
        token,
        password: "owner-Chosen-Password-31".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let ok = pw
        .authenticate(&login_req("dedup@example.com", "owner-Chosen-Password-31"))
        .await
        .unwrap();
    assert!(!ok.user.password.unwrap().requires_reset);
    // A later email login (the email is verified now) forces nothing.
    let again = app.login("dedup@example.com", 30).await;
    assert!(!again.user.password.unwrap().requires_reset);
}

async fn a_reset_link_raced_by_50_requests_works_once(app: &TestApp) {
    sign_up(&app.client, "race@example.com", STRONG).await;
    let token = reset_link(app, "race@example.com").await;
    let client = Arc::new(app.client.clone());
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (client, token) = (client.clone(), token.clone());
            tokio::spawn(async move {
                client
                    .passwords()
                    .email_reset(&EmailResetRequest {
                        token,
                        password: format!("racing-Password-number-{i}"),
                        ..Default::default()
                    })
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(e) => assert_eq!(e.error_type(), Some("unable_to_auth_password_reset_token")),
        }
    }
    assert_eq!(wins, 1);
}

async fn a_breached_password_found_at_login_must_be_reset(app: &TestApp) {
    // Imported before the breach became known: the login finds it and forces a reset.
    let hash: String = md5::Md5::digest(BREACHED[1].as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let pw = app.client.passwords();
    pw.migrate(&MigrateRequest {
        email: "old@example.com".into(),
        hash,
        hash_type: "md_5".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let r = pw
        .authenticate(&login_req("old@example.com", BREACHED[1]))
        .await;
    assert_eq!(api_error(r), (401, "reset_password".into()));
    let user = app
        .client
        .users()
        .search(
            &serde_json::from_value(
                serde_json::json!({"query": {"operator": "AND", "operands": [
                {"filter_name": "email_address", "filter_value": ["old@example.com"]}]}}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert!(user.results[0].password.as_ref().unwrap().requires_reset);
    // Still refused, even with the right password, until reset.
    let again = pw
        .authenticate(&login_req("old@example.com", BREACHED[1]))
        .await;
    assert_eq!(api_error(again).1, "reset_password");
}
