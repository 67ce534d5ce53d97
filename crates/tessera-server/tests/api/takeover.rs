//! Pre-account takeover, tried as an attacker would: a logged-in attacker sends a link or code
//! to the victim's address "for attachment". Nothing is attached until the address is proven,
//! so the victim's later sign-up lands in a new account of their own.

use reqwest::Method;
use serde_json::json;

use crate::delivery::link_token;
use crate::frontend::{ORIGIN, Page, pkce};
use crate::harness::{TestApp, both_backends};

both_backends!(
    a_secondary_send_attaches_nothing_until_proven,
    a_proven_secondary_address_joins_the_user
);

const VICTIM: &str = "victim@example.com";

/// Logs `email` in through the frontend: (session token, user id).
async fn browser_login(page: &Page<'_>, email: &str) -> (String, String) {
    let (d, _) = page.passcode_login(email).await;
    (
        d["session_token"].as_str().unwrap().to_owned(),
        d["user_id"].as_str().unwrap().to_owned(),
    )
}

async fn a_secondary_send_attaches_nothing_until_proven(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let (attacker, attacker_id) = browser_login(&page, "attacker@example.com").await;

    // The attacker sends to the victim's address through both factors' secondary sends.
    let (verifier, challenge) = pkce();
    let ml = page
        .post(
            "/magic_links/email/send/secondary",
            Some(&attacker),
            json!({"email": VICTIM, "code_challenge": challenge}),
        )
        .await;
    assert!(ml.status < 300, "{}", ml.body);
    let attacker_link = link_token(&app.smtp.last_to(VICTIM).await);
    let otp = page
        .post(
            "/otps/email/send/secondary",
            Some(&attacker),
            json!({"email": VICTIM}),
        )
        .await;
    let pending_id = otp.data()["method_id"].as_str().unwrap().to_owned();
    assert!(pending_id.starts_with("email-test-"));
    // A resend keeps the same id (one live code, one guess budget per address).
    let again = page
        .post(
            "/otps/email/send/secondary",
            Some(&attacker),
            json!({"email": VICTIM}),
        )
        .await;
    assert_eq!(again.data()["method_id"], pending_id.as_str());

    // Nothing is attached: the attacker's user has one email, and the backend finds nobody
    // with the victim's address.
    let me = page
        .call(Method::GET, "/users/me", Some(&attacker), None)
        .await;
    let emails = me.data()["emails"].as_array().unwrap().clone();
    assert_eq!(emails.len(), 1, "{emails:?}");
    let found = app
        .client
        .users()
        .search(&tessera_client::proto::users::SearchUsersRequest {
            query: Some(
                serde_json::from_value(json!({"operator": "AND", "operands": [
                    {"filter_name": "email_address", "filter_value": [VICTIM]}
                ]}))
                .unwrap(),
            ),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(found.results.is_empty(), "{:?}", found.results);

    // Guessing the pending code is bounded like any other.
    for _ in 0..12 {
        let r = page
            .post(
                "/otps/authenticate",
                Some(&attacker),
                json!({"token": "000000", "method_id": pending_id}),
            )
            .await;
        assert!(r.status >= 400);
    }

    // The victim signs up with their address later: a new user of their own.
    let token = {
        app.client
            .magic_links()
            .login_or_create(&tessera_client::proto::magic_links::EmailMagicLinkRequest {
                email: VICTIM.into(),
                ..Default::default()
            })
            .await
            .unwrap();
        link_token(&app.smtp.last_to(VICTIM).await)
    };
    let victim = page
        .post(
            "/magic_links/authenticate",
            None,
            json!({"token": token, "session_duration_minutes": 30}),
        )
        .await;
    let victim_id = victim.data()["user_id"].as_str().unwrap();
    assert_ne!(victim_id, attacker_id);

    // The attacker's old link now fails to take the address: it belongs to the victim.
    let r = page
        .post(
            "/magic_links/authenticate",
            Some(&attacker),
            json!({"token": attacker_link, "code_verifier": verifier}),
        )
        .await;
    assert_eq!(r.error_type(), "duplicate_email", "{}", r.body);
    let me = page
        .call(Method::GET, "/users/me", Some(&attacker), None)
        .await;
    assert_eq!(me.data()["emails"].as_array().unwrap().len(), 1);
}

async fn a_proven_secondary_address_joins_the_user(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let (token, user_id) = browser_login(&page, "owner@example.com").await;
    let second = "second@example.com";
    let (verifier, challenge) = pkce();
    let sent = page
        .post(
            "/magic_links/email/send/secondary",
            Some(&token),
            json!({"email": second, "code_challenge": challenge}),
        )
        .await;
    assert!(sent.status < 300, "{}", sent.body);
    let link = link_token(&app.smtp.last_to(second).await);
    let r = page
        .post(
            "/magic_links/authenticate",
            Some(&token),
            json!({"token": link, "code_verifier": verifier}),
        )
        .await;
    let d = r.data();
    assert_eq!(d["user_id"], user_id.as_str());
    let emails = d["user"]["emails"].as_array().unwrap();
    let added = emails.iter().find(|e| e["email"] == second).unwrap();
    assert_eq!(added["verified"], true);
    // The account's own address is told of the new one.
    let told = app.smtp.last_to("owner@example.com").await;
    assert!(
        told.header("subject").unwrap().contains("was added"),
        "{:?}",
        told.header("subject")
    );
    assert!(told.body().contains(second));
    assert_eq!(
        d["session"]["authentication_factors"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The same link works once.
    let again = page
        .post(
            "/magic_links/authenticate",
            Some(&token),
            json!({"token": link, "code_verifier": verifier}),
        )
        .await;
    assert!(again.status >= 400);
}
