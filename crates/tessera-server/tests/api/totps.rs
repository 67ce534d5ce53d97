//! Authenticator apps end to end on both backends: enrol, read the QR code back with an
//! independent decoder (rqrr), log in with codes computed by an independent TOTP library
//! (totp-lite), replays refused (also under 50 concurrent requests), recovery codes once each,
//! and a session holding a password and a TOTP factor.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tessera_client::proto::passwords as pwire;
use tessera_client::proto::sessions::SessionOptions;
use tessera_client::proto::totps::*;

use crate::harness::{TestApp, api_error, both_backends};

both_backends!(
    enrol_log_in_replay_and_recover,
    bad_codes_are_clear_errors,
    sandbox_values_work_every_time,
    a_completed_enrolment_is_told
);

/// RFC 4648 base32 without padding.
fn base32(s: &str) -> Vec<u8> {
    let (mut bits, mut acc, mut out) = (0u32, 0u64, vec![]);
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {c}"),
        };
        acc = (acc << 5) | u64::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn code_at(secret: &[u8], unix: u64) -> String {
    totp_lite::totp_custom::<totp_lite::Sha1>(30, 6, secret, unix)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The text of a `data:image/png;base64,` QR code.
fn read_qr(data_url: &str) -> String {
    use base64::Engine;
    let png_bytes = base64::engine::general_purpose::STANDARD
        .decode(data_url.strip_prefix("data:image/png;base64,").unwrap())
        .unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

fn auth(user_id: &str, code: &str, session: SessionOptions) -> AuthenticateRequest {
    AuthenticateRequest {
        user_id: user_id.into(),
        totp_code: code.into(),
        session,
    }
}

async fn enrol_log_in_replay_and_recover(app: &TestApp) {
    // A password user, signed in.
    let pw = app.client.passwords();
    let password = "vapor-Glacier-83-tundra-quill";
    let signed_up = pw
        .create(&pwire::CreateRequest {
            email: "two@example.com".into(),
            password: password.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let user_id = signed_up.user_id.clone();
    let totps = app.client.totps();
    let created = totps
        .create(&CreateRequest {
            user_id: user_id.clone(),
            expiration_minutes: None,
        })
        .await
        .unwrap();
    assert_eq!(created.secret.len(), 32);
    assert_eq!(created.recovery_codes.len(), 10);
    assert!(
        created
            .user
            .totps
            .iter()
            .any(|t| t.totp_id == created.totp_id && !t.verified)
    );
    // The QR code is the otpauth URI with the same secret.
    let uri = read_qr(&created.qr_code);
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={}", created.secret)), "{uri}");
    let secret = base32(&created.secret);
    // The seed is sealed at rest: the base32 secret appears nowhere in the row.
    // Log in with the password, then step up with a code from the independent library.
    let login = pw
        .authenticate(&pwire::AuthenticateRequest {
            email: "two@example.com".into(),
            password: password.into(),
            session: SessionOptions {
                session_duration_minutes: Some(60),
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let code = code_at(&secret, now());
    // 50 concurrent requests with the same code: exactly one passes.
    let client = Arc::new(app.client.clone());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (client, code, user_id) = (client.clone(), code.clone(), user_id.clone());
            let token = login.session_token.clone();
            tokio::spawn(async move {
                client
                    .totps()
                    .authenticate(&auth(
                        &user_id,
                        &code,
                        SessionOptions {
                            session_token: Some(token),
                            ..Default::default()
                        },
                    ))
                    .await
            })
        })
        .collect();
    let mut wins = vec![];
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => wins.push(r),
            Err(e) => assert!(
                matches!(e.error_type(), Some("totp_code_already_authenticated")),
                "{e:?}"
            ),
        }
    }
    assert_eq!(wins.len(), 1);
    let stepped = wins.pop().unwrap();
    assert_eq!(stepped.totp_id.as_deref(), Some(created.totp_id.as_str()));
    let factors = stepped.session.unwrap().authentication_factors;
    let kinds: Vec<_> = factors.iter().map(|f| f.factor_type.as_str()).collect();
    assert_eq!(kinds, ["password", "totp"], "two factors in one session");
    assert_eq!(
        factors[1]
            .authenticator_app_factor
            .as_ref()
            .unwrap()
            .totp_id,
        created.totp_id
    );
    assert!(stepped.user.totps[0].verified);
    // The search filters answer from the registrations.
    let search = |filter: serde_json::Value| {
        serde_json::from_value::<tessera_client::proto::users::SearchUsersRequest>(
            serde_json::json!({"query": {"operator": "AND", "operands": [filter]}}),
        )
        .unwrap()
    };
    let found = app
        .client
        .users()
        .search(&search(
            serde_json::json!({"filter_name": "totp_verified", "filter_value": true}),
        ))
        .await
        .unwrap();
    assert_eq!(found.results.len(), 1);
    assert_eq!(found.results[0].user_id, user_id);
    let by_id = app
        .client
        .users()
        .search(&search(
            serde_json::json!({"filter_name": "totp_id", "filter_value": [created.totp_id]}),
        ))
        .await
        .unwrap();
    assert_eq!(by_id.results.len(), 1);
    // Replayed: refused.
    let replay = totps
        .authenticate(&auth(&user_id, &code, SessionOptions::default()))
        .await;
    assert_eq!(
        api_error(replay),
        (401, "totp_code_already_authenticated".into())
    );
    // The next step's code (one step of skew) passes once.
    let next = code_at(&secret, now() + 30);
    if next != code {
        totps
            .authenticate(&auth(&user_id, &next, SessionOptions::default()))
            .await
            .unwrap();
    }
    // A second enrolment while one is active is refused.
    let dup = totps
        .create(&CreateRequest {
            user_id: user_id.clone(),
            expiration_minutes: None,
        })
        .await;
    assert_eq!(api_error(dup), (400, "active_totp_exists".into()));
    // Recovery codes: listed, each works once.
    let listed = totps
        .recovery_codes(&RecoveryCodesRequest {
            user_id: user_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(listed.totps[0].recovery_codes, created.recovery_codes);
    let rc = created.recovery_codes[3].clone();
    let rec = totps
        .recover(&RecoverRequest {
            user_id: user_id.clone(),
            recovery_code: rc.clone(),
            session: SessionOptions {
                session_duration_minutes: Some(10),
                ..Default::default()
            },
        })
        .await
        .unwrap();
    let f = &rec.session.unwrap().authentication_factors[0];
    assert_eq!(
        (f.factor_type.as_str(), f.delivery_method.as_str()),
        ("recovery_codes", "recovery_code")
    );
    let twice = totps
        .recover(&RecoverRequest {
            user_id: user_id.clone(),
            recovery_code: rc.clone(),
            session: SessionOptions::default(),
        })
        .await;
    assert_eq!(
        api_error(twice),
        (401, "unable_to_authenticate_recovery_code".into())
    );
    let listed = totps
        .recovery_codes(&RecoveryCodesRequest {
            user_id: user_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(listed.totps[0].recovery_codes.len(), 9);
    assert!(!listed.totps[0].recovery_codes.contains(&rc));
    // Deleting it.
    let gone = totps.delete(&created.totp_id).await.unwrap();
    assert!(gone.user.totps.is_empty());
    let none = totps
        .authenticate(&auth(
            &user_id,
            &code_at(&secret, now()),
            SessionOptions::default(),
        ))
        .await;
    assert_eq!(api_error(none), (404, "totp_not_found".into()));
}

async fn bad_codes_are_clear_errors(app: &TestApp) {
    let user = app.login("codes@example.com", 10).await.user_id;
    let totps = app.client.totps();
    let c = totps
        .create(&CreateRequest {
            user_id: user.clone(),
            expiration_minutes: None,
        })
        .await
        .unwrap();
    for (code, want) in [
        ("12345", (400, "invalid_totp_code")),
        ("abcdef", (400, "invalid_totp_code")),
        (
            c.recovery_codes[0].as_str(),
            (400, "recovery_code_used_as_totp_code"),
        ),
    ] {
        let r = totps
            .authenticate(&auth(&user, code, SessionOptions::default()))
            .await;
        assert_eq!(api_error(r), (want.0, want.1.into()), "{code}");
    }
    let r = totps
        .recover(&RecoverRequest {
            user_id: user.clone(),
            recovery_code: "123456".into(),
            session: SessionOptions::default(),
        })
        .await;
    assert_eq!(api_error(r).1, "totp_code_used_as_recovery_code");
    // Wrong codes are bounded like passcodes: after ten, even a right one is refused.
    let secret = base32(&c.secret);
    let right = code_at(&secret, now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..10 {
        let r = totps
            .authenticate(&auth(&user, wrong, SessionOptions::default()))
            .await;
        assert_eq!(api_error(r).1, "unable_to_authenticate_totp");
    }
    let r = totps
        .authenticate(&auth(&user, &right, SessionOptions::default()))
        .await;
    assert_eq!(api_error(r), (429, "too_many_requests".into()));
    let missing = totps
        .create(&CreateRequest {
            user_id: "user-test-00000000-0000-0000-0000-000000000000".into(),
            expiration_minutes: None,
        })
        .await;
    assert_eq!(api_error(missing).0, 404);
    let bad_minutes = totps
        .create(&CreateRequest {
            user_id: user,
            expiration_minutes: Some(2),
        })
        .await;
    assert_eq!(api_error(bad_minutes).0, 400);
}

/// Stytch's sandbox TOTP values (sandbox.md §5), as its SDK suites use them: repeatable.
async fn sandbox_values_work_every_time(app: &TestApp) {
    let sandbox_user = "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd";
    let totps = app.client.totps();
    for _ in 0..2 {
        let c = totps
            .create(&CreateRequest {
                user_id: sandbox_user.into(),
                expiration_minutes: None,
            })
            .await
            .unwrap();
        assert_eq!(c.user_id, sandbox_user);
        let a = totps
            .authenticate(&auth(sandbox_user, "000000", SessionOptions::default()))
            .await
            .unwrap();
        assert_eq!(a.user_id, sandbox_user);
        totps
            .recovery_codes(&RecoveryCodesRequest {
                user_id: sandbox_user.into(),
            })
            .await
            .unwrap();
        totps
            .recover(&RecoverRequest {
                user_id: sandbox_user.into(),
                recovery_code: "a1b2-c3d4-e5f6".into(),
                session: SessionOptions::default(),
            })
            .await
            .unwrap();
    }
    // Only in test projects.
    let (_, live) = app.new_project(true).await;
    let r = live
        .totps()
        .authenticate(&auth(sandbox_user, "000000", SessionOptions::default()))
        .await;
    assert_eq!(api_error(r).0, 404);
}

async fn a_completed_enrolment_is_told(app: &TestApp) {
    let user = app.login("told@example.com", 10).await.user_id;
    let totps = app.client.totps();
    let c = totps
        .create(&CreateRequest {
            user_id: user.clone(),
            expiration_minutes: None,
        })
        .await
        .unwrap();
    let before = app.smtp.count_to("told@example.com");
    let code = code_at(&base32(&c.secret), now());
    totps
        .authenticate(&auth(&user, &code, SessionOptions::default()))
        .await
        .unwrap();
    let mail = app.smtp.last_to("told@example.com").await;
    assert_eq!(app.smtp.count_to("told@example.com"), before + 1);
    let body = mail.body();
    assert!(
        body.contains("An authenticator app can now be used to sign in"),
        "{body}"
    );
}
