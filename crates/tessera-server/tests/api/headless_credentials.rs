//! The Rust headless client's passwords and authenticator apps, on both backends: sign-up with
//! strength feedback, a reset by emailed link (PKCE kept by the client), a TOTP step-up of the
//! same session with a code from an independent TOTP library, and a recovery code.

use std::time::{SystemTime, UNIX_EPOCH};

use tessera_client::headless::HeadlessClient;

use crate::harness::{TestApp, both_backends};

both_backends!(headless_passwords_and_totp);

fn base32(s: &str) -> Vec<u8> {
    let (mut bits, mut acc, mut out) = (0u32, 0u64, vec![]);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32"),
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

async fn headless_passwords_and_totp(app: &TestApp) {
    let h = HeadlessClient::builder(&app.base_url, &app.creds.public_token)
        .build()
        .unwrap();
    let pw = h.passwords();
    let weak = pw.strength_check(None, "password123").await.unwrap();
    assert!(!weak.valid_password);
    let refused = pw.create("rusty@example.com", "password123", 60).await;
    assert_eq!(refused.unwrap_err().error_type(), Some("weak_password"));
    let strong = "vapor-Glacier-83-tundra-quill";
    let s = pw.create("rusty@example.com", strong, 60).await.unwrap();
    assert_eq!(h.session().get_sync().unwrap().session_id, s.session_id);
    assert!(h.user().get_sync().unwrap().password.is_some());

    // Reset by the emailed link; the client keeps the PKCE verifier.
    pw.reset_by_email_start("rusty@example.com", None)
        .await
        .unwrap();
    let mail = app.smtp.last_to("rusty@example.com").await;
    let url = crate::delivery::typed_link_url(&mail, "reset_password");
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let new = "a-Newer-Password-for-Rust-7";
    let reset = pw.reset_by_email(&token, new, 60).await.unwrap();
    assert_eq!(
        reset.session_id, s.session_id,
        "the caller's own session lives on (the user's others end)"
    );
    let logged = pw.authenticate("rusty@example.com", new, 60).await.unwrap();

    // An authenticator app steps the same session up.
    let totps = h.totps();
    let enrolled = totps.create(60).await.unwrap();
    assert_eq!(enrolled.recovery_codes.len(), 10);
    assert!(
        h.user()
            .get_sync()
            .unwrap()
            .totps
            .iter()
            .any(|t| t.totp_id == enrolled.totp_id)
    );
    let secret = base32(&enrolled.secret);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = totp_lite::totp_custom::<totp_lite::Sha1>(30, 6, &secret, now);
    let stepped = totps.authenticate(&code, 60).await.unwrap();
    assert_eq!(stepped.session_id, logged.session_id);
    let kinds: Vec<_> = stepped
        .authentication_factors
        .iter()
        .map(|f| f.factor_type.as_str())
        .collect();
    assert_eq!(kinds, ["password", "totp"]);
    let recovered = totps
        .recover(&enrolled.recovery_codes[9], 60)
        .await
        .unwrap();
    assert!(
        recovered
            .authentication_factors
            .iter()
            .any(|f| f.factor_type == "recovery_codes")
    );
    let left = totps.recovery_codes().await.unwrap();
    assert_eq!(left.totps[0].recovery_codes.len(), 9);
    h.session().revoke().await.unwrap();
}
