//! One-time passcodes end to end, on both backends, through a real SMS webhook receiver and a
//! real SMTP conversation.

use std::sync::Arc;

use tessera_client::OtpChannel;
use tessera_client::proto::otps::*;
use tessera_client::proto::sessions::SessionOptions;

use crate::delivery::code_in;
use crate::harness::{TestApp, api_error, both_backends};

both_backends!(
    sms_whatsapp_and_email_passcodes_log_in,
    wrong_codes_are_bounded_then_the_code_is_dead,
    a_code_raced_by_50_requests_works_once,
    a_new_send_replaces_the_old_code,
    send_refuses_unknown_destinations_and_bad_input,
    expired_codes_are_refused,
    sandbox_passcodes,
    a_passcode_activates_a_pending_user,
    resends_do_not_reset_the_guess_budget,
);

pub(crate) fn phone(p: &str) -> OtpSendRequest {
    OtpSendRequest {
        phone_number: Some(p.into()),
        ..Default::default()
    }
}

fn email(e: &str) -> OtpSendRequest {
    OtpSendRequest {
        email: Some(e.into()),
        ..Default::default()
    }
}

pub(crate) fn auth(method_id: &str, code: &str, minutes: Option<i64>) -> OtpAuthenticateRequest {
    OtpAuthenticateRequest {
        method_id: method_id.into(),
        code: code.into(),
        session: SessionOptions {
            session_duration_minutes: minutes,
            ..Default::default()
        },
        ..Default::default()
    }
}

async fn sms_whatsapp_and_email_passcodes_log_in(app: &TestApp) {
    let otps = app.client.otps();
    for (channel, name) in [(OtpChannel::Sms, "sms"), (OtpChannel::Whatsapp, "whatsapp")] {
        let number = if name == "sms" {
            "+14155550101"
        } else {
            "+14155550102"
        };
        let sent = otps.login_or_create(channel, &phone(number)).await.unwrap();
        assert_eq!(sent.user_created, Some(true));
        let phone_id = sent.phone_id.clone().unwrap();
        assert!(phone_id.starts_with("phone-number-test-"));
        assert!(sent.email_id.is_none());
        let message = app.sms.last_to(name, number).await;
        let code = code_in(&message);
        let r = otps
            .authenticate(&auth(&phone_id, &code, Some(60)))
            .await
            .unwrap();
        assert_eq!(r.user_id, sent.user_id);
        assert_eq!(r.method_id, phone_id);
        let f = &r.session.unwrap().authentication_factors[0];
        assert_eq!(
            (f.factor_type.as_str(), f.delivery_method.as_str()),
            ("otp", name)
        );
        assert_eq!(f.phone_number_factor.as_ref().unwrap().phone_number, number);
        assert!(r.user.phone_numbers[0].verified);
        // `send` to the now-known number works and does not create.
        let again = otps.send(channel, &phone(number)).await.unwrap();
        assert_eq!(again.user_id, sent.user_id);
        assert_eq!(again.user_created, None);
    }
    let sent = otps
        .login_or_create(OtpChannel::Email, &email("otp@example.com"))
        .await
        .unwrap();
    let email_id = sent.email_id.clone().unwrap();
    let mail = app.smtp.last_to("otp@example.com").await;
    let r = otps
        .authenticate(&auth(&email_id, &code_in(&mail.body()), None))
        .await
        .unwrap();
    assert!(r.session.is_none() && r.session_token.is_empty() && r.session_jwt.is_empty());
    assert!(r.user.emails[0].verified);
}

async fn wrong_codes_are_bounded_then_the_code_is_dead(app: &TestApp) {
    let otps = app.client.otps();
    let sent = otps
        .login_or_create(OtpChannel::Sms, &phone("+14155550103"))
        .await
        .unwrap();
    let phone_id = sent.phone_id.unwrap();
    let code = code_in(&app.sms.last_to("sms", "+14155550103").await);
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for _ in 0..5 {
        assert_eq!(
            api_error(otps.authenticate(&auth(&phone_id, wrong, None)).await),
            (404, "otp_code_not_found".into())
        );
    }
    // After five wrong guesses even the right code is refused: brute force gains nothing.
    assert_eq!(
        api_error(otps.authenticate(&auth(&phone_id, &code, None)).await),
        (401, "unable_to_auth_otp_code".into())
    );
    // A fresh code works.
    otps.send(OtpChannel::Sms, &phone("+14155550103"))
        .await
        .unwrap();
    let code = code_in(&app.sms.last_to("sms", "+14155550103").await);
    otps.authenticate(&auth(&phone_id, &code, None))
        .await
        .unwrap();
}

async fn a_code_raced_by_50_requests_works_once(app: &TestApp) {
    let sent = app
        .client
        .otps()
        .login_or_create(OtpChannel::Email, &email("race-otp@example.com"))
        .await
        .unwrap();
    let email_id = sent.email_id.unwrap();
    let code = code_in(&app.smtp.last_to("race-otp@example.com").await.body());
    let client = Arc::new(app.client.clone());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = Arc::clone(&client);
            let req = auth(&email_id, &code, Some(60));
            tokio::spawn(async move { client.otps().authenticate(&req).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(e) => assert_eq!(e.error_type(), Some("unable_to_auth_otp_code"), "{e}"),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(
        app.client
            .sessions()
            .list(&sent.user_id)
            .await
            .unwrap()
            .sessions
            .len(),
        1
    );
}

async fn a_new_send_replaces_the_old_code(app: &TestApp) {
    let otps = app.client.otps();
    let sent = otps
        .login_or_create(OtpChannel::Sms, &phone("+14155550104"))
        .await
        .unwrap();
    let phone_id = sent.phone_id.unwrap();
    let first = code_in(&app.sms.last_to("sms", "+14155550104").await);
    let before = app.sms.count();
    otps.send(OtpChannel::Sms, &phone("+14155550104"))
        .await
        .unwrap();
    assert_eq!(app.sms.count(), before + 1);
    let second = code_in(&app.sms.last_to("sms", "+14155550104").await);
    if first != second {
        assert_eq!(
            api_error(otps.authenticate(&auth(&phone_id, &first, None)).await).1,
            "otp_code_not_found"
        );
    }
    otps.authenticate(&auth(&phone_id, &second, None))
        .await
        .unwrap();
}

async fn send_refuses_unknown_destinations_and_bad_input(app: &TestApp) {
    let otps = app.client.otps();
    assert_eq!(
        api_error(otps.send(OtpChannel::Sms, &phone("+14155550199")).await),
        (404, "phone_number_not_found".into())
    );
    assert_eq!(
        api_error(
            otps.send(OtpChannel::Email, &email("nobody@example.com"))
                .await
        ),
        (404, "email_not_found".into())
    );
    assert_eq!(
        api_error(
            otps.login_or_create(OtpChannel::Sms, &phone("555-0100"))
                .await
        )
        .1,
        "invalid_phone_number"
    );
    assert_eq!(
        api_error(
            otps.login_or_create(OtpChannel::Sms, &OtpSendRequest::default())
                .await
        )
        .1,
        "invalid_phone_number"
    );
    assert_eq!(
        api_error(otps.login_or_create(OtpChannel::Email, &email("bad")).await).1,
        "invalid_email"
    );
    let long = OtpSendRequest {
        expiration_minutes: Some(11),
        ..phone("+14155550105")
    };
    assert_eq!(
        api_error(otps.login_or_create(OtpChannel::Sms, &long).await).1,
        "invalid_expiration_otp"
    );
    let locale = OtpSendRequest {
        locale: Some("klingon".into()),
        ..phone("+14155550105")
    };
    assert_eq!(
        api_error(otps.login_or_create(OtpChannel::Sms, &locale).await).1,
        "invalid_locale"
    );
    assert_eq!(app.sms.count(), 0, "nothing was sent");
    assert_eq!(
        api_error(
            otps.authenticate(&auth("phone-number-test-x", "12345", None))
                .await
        )
        .1,
        "invalid_code"
    );
    assert_eq!(
        api_error(
            otps.authenticate(&auth("phone-number-test-x", "12a456", None))
                .await
        )
        .1,
        "invalid_code"
    );
    assert_eq!(
        api_error(otps.authenticate(&auth("bogus", "123456", None)).await).1,
        "invalid_method_id"
    );
    assert_eq!(
        api_error(
            otps.authenticate(&auth("phone-number-test-x", "123456", None))
                .await
        ),
        (401, "unable_to_auth_otp_code".into())
    );
}

async fn expired_codes_are_refused(app: &TestApp) {
    use tessera_server::model::Timestamp;
    let sent = app
        .client
        .otps()
        .login_or_create(OtpChannel::Sms, &phone("+14155550106"))
        .await
        .unwrap();
    let phone_id = sent.phone_id.unwrap();
    let code = "123456";
    let record = tessera_server::store::otps::OtpRecord {
        user_id: sent.user_id.clone(),
        channel: "sms".into(),
        code_digest: tessera_server::crypto::Digest256::of(&format!("{phone_id}:{code}"))
            .0
            .to_vec(),
        attempts: 0,
        ip_address: String::new(),
        user_agent: String::new(),
        expires_at: Timestamp::now().millis() - 1,

        pending_address: None,
    };
    app.store
        .put_otp(&app.creds.project_id, &phone_id, &record, Timestamp::now())
        .await
        .unwrap();
    let r = app
        .client
        .otps()
        .authenticate(&auth(&phone_id, code, None))
        .await;
    assert_eq!(api_error(r), (401, "unable_to_auth_otp_code".into()));
}

async fn sandbox_passcodes(app: &TestApp) {
    let otps = app.client.otps();
    let sent = otps
        .send(OtpChannel::Sms, &phone("+10000000000"))
        .await
        .unwrap();
    let r = otps
        .authenticate(&auth(&sent.phone_id.unwrap(), "000000", Some(60)))
        .await
        .unwrap();
    assert!(r.session.is_some());
    let sent = otps
        .send(OtpChannel::Email, &email("sandbox@stytch.com"))
        .await
        .unwrap();
    assert_eq!(
        sent.user_id,
        "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd"
    );
    otps.authenticate(&auth(&sent.email_id.unwrap(), "000000", None))
        .await
        .unwrap();
    assert_eq!(app.sms.count(), 0);
    assert_eq!(app.smtp.count_to("sandbox@stytch.com"), 0);
}

/// A user created as pending becomes active once a passcode to its phone is verified, and the
/// answer says so without another read (the service decides; the store applies).
async fn a_passcode_activates_a_pending_user(app: &TestApp) {
    let otps = app.client.otps();
    let number = "+14155550177";
    let req = OtpSendRequest {
        create_user_as_pending: Some(true),
        ..phone(number)
    };
    let sent = otps.login_or_create(OtpChannel::Sms, &req).await.unwrap();
    let user = app.client.users().get(&sent.user_id).await.unwrap().user;
    assert_eq!(user.status, "pending");
    assert!(!user.phone_numbers[0].verified);
    let code = code_in(&app.sms.last_to("sms", number).await);
    let phone_id = sent.phone_id.unwrap();
    let r = otps
        .authenticate(&auth(&phone_id, &code, None))
        .await
        .unwrap();
    assert_eq!(r.user.status, "active");
    assert!(r.user.phone_numbers[0].verified);
    let stored = app.client.users().get(&sent.user_id).await.unwrap().user;
    assert_eq!(stored.status, "active");
    assert!(stored.phone_numbers[0].verified);
}

/// 50 wrong codes spread over ten resends: only ten count within the hour, and after them even
/// the right code of a fresh send is refused for that destination; another destination with
/// nine wrong guesses still logs in.
async fn resends_do_not_reset_the_guess_budget(app: &TestApp) {
    let otps = app.client.otps();
    let number = "+14155550170";
    let mut phone_id = String::new();
    let mut wrong_sent = 0;
    for _ in 0..10 {
        let sent = otps
            .login_or_create(OtpChannel::Sms, &phone(number))
            .await
            .unwrap();
        phone_id = sent.phone_id.unwrap();
        let code = code_in(&app.sms.last_to("sms", number).await);
        let wrong = if code == "000001" { "000002" } else { "000001" };
        for _ in 0..5 {
            let e = api_error(otps.authenticate(&auth(&phone_id, wrong, None)).await);
            assert!(
                e.1 == "otp_code_not_found" || e.1 == "unable_to_auth_otp_code",
                "{e:?}"
            );
            wrong_sent += 1;
        }
    }
    assert_eq!(wrong_sent, 50);
    otps.login_or_create(OtpChannel::Sms, &phone(number))
        .await
        .unwrap();
    let code = code_in(&app.sms.last_to("sms", number).await);
    assert_eq!(
        api_error(otps.authenticate(&auth(&phone_id, &code, None)).await).1,
        "unable_to_auth_otp_code",
        "the right code of a new send is refused once the budget is spent"
    );

    let other = "+14155550171";
    let sent = otps
        .login_or_create(OtpChannel::Sms, &phone(other))
        .await
        .unwrap();
    let other_id = sent.phone_id.unwrap();
    for round in 0..3 {
        if round > 0 {
            otps.login_or_create(OtpChannel::Sms, &phone(other))
                .await
                .unwrap();
        }
        let code = code_in(&app.sms.last_to("sms", other).await);
        let wrong = if code == "000001" { "000002" } else { "000001" };
        for _ in 0..3 {
            api_error(otps.authenticate(&auth(&other_id, wrong, None)).await);
        }
    }
    let code = code_in(&app.sms.last_to("sms", other).await);
    otps.authenticate(&auth(&other_id, &code, None))
        .await
        .expect("nine wrong guesses leave the budget open");
}
