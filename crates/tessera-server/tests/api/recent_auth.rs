//! Sensitive changes through the frontend API, tried with a stolen session token in mind:
//! deleting a factor needs a factor proven within the project's `recent_auth_minutes`, the last
//! verified factor stays, and the user is told by email of every factor added or removed (and,
//! when the project asks, of every sign-in).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::delivery::code_in;
use crate::frontend::{ORIGIN, Page};
use crate::harness::{TestApp, both_backends};
use crate::secrets::tessera;

both_backends!(
    deleting_a_factor_needs_recent_authentication_and_is_told,
    a_phone_only_user_is_told_by_text
);

async fn deleting_a_factor_needs_recent_authentication_and_is_told(app: &TestApp) {
    let pid = app.creds.project_id.clone();
    tessera(
        app,
        &[
            "project",
            "update",
            &pid,
            "--recent-auth-minutes",
            "1",
            "--notify-sign-in",
            "true",
        ],
    )
    .await;
    let page = Page::new(app, Some(ORIGIN));
    let email = "careful@example.com";
    let (login, email_id) = page.passcode_login(email).await;
    let token = login["session_token"].as_str().unwrap().to_owned();
    let signed_in = app.smtp.last_to(email).await;
    assert!(
        signed_in.header("subject").unwrap().contains("new sign-in"),
        "{:?}",
        signed_in.header("subject")
    );

    // A phone proven through the session joins the account, and the user is told.
    let phone = "+14155550190";
    let sent = page
        .post(
            "/otps/sms/send/secondary",
            Some(&token),
            json!({"phone_number": phone}),
        )
        .await;
    let phone_id = sent.data()["method_id"].as_str().unwrap().to_owned();
    let code = code_in(&app.sms.last_to("sms", phone).await);
    let up = page
        .post(
            "/otps/authenticate",
            Some(&token),
            json!({"token": code, "method_id": phone_id}),
        )
        .await;
    assert!(up.status < 300, "{}", up.body);
    let told = app.smtp.last_to(email).await;
    assert!(told.header("subject").unwrap().contains("was added"));
    assert!(told.body().contains(phone));

    // The last verified... not yet: there are two. Deleting the email while both are fresh
    // works and is told to the removed address too.
    let gone = page
        .call(
            Method::DELETE,
            &format!("/users/phone_numbers/{phone_id}"),
            Some(&token),
            None,
        )
        .await;
    assert!(gone.status < 300, "{}", gone.body);
    let told = app.smtp.last_to(email).await;
    assert!(told.header("subject").unwrap().contains("was removed"));
    // Now the email is the only verified factor: it stays.
    let last = page
        .call(
            Method::DELETE,
            &format!("/users/emails/{email_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(last.error_type(), "cannot_delete_last_factor");

    // Add the phone again, then let the minute pass: the session token alone no longer
    // deletes anything.
    let sent = page
        .post(
            "/otps/sms/send/secondary",
            Some(&token),
            json!({"phone_number": phone}),
        )
        .await;
    let phone_id = sent.data()["method_id"].as_str().unwrap().to_owned();
    let code = code_in(&app.sms.last_to("sms", phone).await);
    page.post(
        "/otps/authenticate",
        Some(&token),
        json!({"token": code, "method_id": phone_id}),
    )
    .await
    .data();
    tokio::time::sleep(Duration::from_secs(62)).await;
    let stale = page
        .call(
            Method::DELETE,
            &format!("/users/emails/{email_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(stale.status, 403, "{}", stale.body);
    assert_eq!(stale.error_type(), "recent_authentication_required");

    // Proving a factor again in the same session allows it.
    let sent = page
        .post(
            "/otps/email/send/secondary",
            Some(&token),
            json!({"email": email}),
        )
        .await;
    let code = code_in(&app.smtp.last_to(email).await.body());
    page.post(
        "/otps/authenticate",
        Some(&token),
        json!({"token": code, "method_id": sent.data()["method_id"]}),
    )
    .await
    .data();
    let fresh = page
        .call(
            Method::DELETE,
            &format!("/users/emails/{email_id}"),
            Some(&token),
            None,
        )
        .await;
    assert!(fresh.status < 300, "{}", fresh.body);
}

async fn a_phone_only_user_is_told_by_text(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let phone = "+14155550191";
    let sent = page
        .post(
            "/otps/sms/login_or_create",
            None,
            json!({"phone_number": phone}),
        )
        .await;
    let phone_id = sent.data()["method_id"].as_str().unwrap().to_owned();
    let code = code_in(&app.sms.last_to("sms", phone).await);
    let login = page
        .post(
            "/otps/authenticate",
            None,
            json!({"token": code, "method_id": phone_id, "session_duration_minutes": 30}),
        )
        .await;
    let token = login.data()["session_token"].as_str().unwrap().to_owned();

    // Somebody with the session adds an email: the phone is told, not the new address.
    let email = "added-later@example.com";
    let sent = page
        .post(
            "/otps/email/send/secondary",
            Some(&token),
            json!({"email": email}),
        )
        .await;
    let code = code_in(&app.smtp.last_to(email).await.body());
    page.post(
        "/otps/authenticate",
        Some(&token),
        json!({"token": code, "method_id": sent.data()["method_id"]}),
    )
    .await
    .data();
    let told = app.sms.last_to("sms", phone).await;
    assert!(told.contains("was added"), "{told}");
    assert_eq!(
        app.smtp.count_to(email),
        1,
        "only the code went to the new address"
    );
}
