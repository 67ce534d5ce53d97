//! Delivery that cannot leak: a live project never falls back to the log, its texts go only
//! to a signed webhook, and the test webhook refuses calls whose signature does not verify.

use tessera_client::OtpChannel;
use tessera_client::proto::magic_links::EmailMagicLinkRequest;
use tessera_client::proto::otps::OtpSendRequest;

use crate::harness::{Backend, Deliveries, api_error, spawn_delivering_on};

async fn live_projects_never_fall_back_to_the_log(backend: Backend) {
    let app = spawn_delivering_on(backend, Deliveries::Off).await;
    let (_, live) = app.new_project(true).await;
    let mail = OtpSendRequest {
        email: Some("live@example.com".into()),
        ..Default::default()
    };
    let e = api_error(live.otps().login_or_create(OtpChannel::Email, &mail).await);
    assert_eq!((e.0, e.1.as_str()), (503, "delivery_not_configured"));
    let link = EmailMagicLinkRequest {
        email: "live@example.com".into(),
        ..Default::default()
    };
    let text = OtpSendRequest {
        phone_number: Some("+14155550190".into()),
        ..Default::default()
    };
    let e = api_error(live.otps().login_or_create(OtpChannel::Sms, &text).await);
    assert_eq!((e.0, e.1.as_str()), (503, "delivery_not_configured"));
    // A test project on the same server still gets development delivery.
    app.client
        .magic_links()
        .login_or_create(&link)
        .await
        .expect("test projects may deliver to the log");
    app.client
        .otps()
        .login_or_create(OtpChannel::Sms, &text)
        .await
        .expect("test projects may deliver to the log");
}

async fn live_texts_need_a_signed_webhook(backend: Backend) {
    let app = spawn_delivering_on(backend, Deliveries::Unsigned).await;
    let (_, live) = app.new_project(true).await;
    let text = OtpSendRequest {
        phone_number: Some("+14155550191".into()),
        ..Default::default()
    };
    let e = api_error(live.otps().login_or_create(OtpChannel::Sms, &text).await);
    assert_eq!((e.0, e.1.as_str()), (503, "delivery_not_configured"));
    assert_eq!(app.sms.count(), 0, "nothing reached the unsigned webhook");
    // Email still goes out over SMTP for the live project.
    let mail = OtpSendRequest {
        email: Some("live@example.com".into()),
        ..Default::default()
    };
    live.otps()
        .login_or_create(OtpChannel::Email, &mail)
        .await
        .unwrap();
    assert_eq!(app.smtp.count_to("live@example.com"), 1);
}

async fn signed_webhook_calls_verify(backend: Backend) {
    let app = spawn_delivering_on(backend, Deliveries::Signed).await;
    let (_, live) = app.new_project(true).await;
    let text = OtpSendRequest {
        phone_number: Some("+14155550192".into()),
        ..Default::default()
    };
    live.otps()
        .login_or_create(OtpChannel::Sms, &text)
        .await
        .expect("the signature verified at the receiver");
    assert!(!app.sms.last_to("sms", "+14155550192").await.is_empty());
    let body = br#"{"channel":"sms","to":"+1","message":"x"}"#;
    let secret = crate::harness::WEBHOOK_SECRET;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{now}.").as_bytes());
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let good = format!("t={now},v1={hex}");
    assert!(crate::delivery::signed(secret, Some(&good), body));
    assert!(
        !crate::delivery::signed(secret, Some(&good), b"{}"),
        "another body"
    );
    assert!(
        !crate::delivery::signed("other", Some(&good), body),
        "another key"
    );
    let old = format!("t={},v1={hex}", now - 600);
    assert!(
        !crate::delivery::signed(secret, Some(&old), body),
        "too old"
    );
    assert!(!crate::delivery::signed(secret, None, body));
}

macro_rules! on_both {
    ($($name:ident),*) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(crate::harness::Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(crate::harness::Backend::Postgres).await;
            }
        }
    )*};
}

on_both!(
    live_projects_never_fall_back_to_the_log,
    live_texts_need_a_signed_webhook,
    signed_webhook_calls_verify
);
