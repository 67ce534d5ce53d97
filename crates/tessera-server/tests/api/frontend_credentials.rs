//! The frontend API's passwords and TOTP at the wire, on both backends: what the prebuilt UI's
//! `users/search` answers, the password policy in bootstrap, a session reset by the caller's
//! session, the per-IP limit on password attempts, and deleting an authenticator app (only
//! with a recent factor).

use serde_json::json;
use tessera_client::Client;
use tessera_server::model::project::{PolicyChange, StrengthPolicy};
use tessera_server::service::projects::{self, NewProject};

use crate::frontend::{ORIGIN, Page};
use crate::harness::{TestApp, both_backends};

both_backends!(
    user_search_tells_the_ui_which_screen,
    bootstrap_carries_the_password_policy,
    passwords_at_the_wire,
    password_attempts_are_limited_per_client,
);

const STRONG: &str = "vapor-Glacier-83-tundra-quill";

async fn user_search_tells_the_ui_which_screen(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let kind = async |email: &str| {
        let r = page
            .post("/users/search", None, json!({"email": email}))
            .await;
        r.data()["userType"].as_str().unwrap().to_owned()
    };
    assert_eq!(kind("nobody@example.com").await, "new");
    page.passcode_login("passwordless@example.com").await;
    assert_eq!(kind("passwordless@example.com").await, "passwordless");
    let created = page
        .post(
            "/passwords",
            None,
            json!({"email": "haspassword@example.com", "password": STRONG, "session_duration_minutes": 30}),
        )
        .await;
    assert!(created.data()["session_token"].as_str().unwrap().len() == 44);
    assert_eq!(kind("haspassword@example.com").await, "password");
    let bad = page
        .post("/users/search", None, json!({"email": "not an email"}))
        .await;
    assert_eq!((bad.status, bad.error_type()), (400, "invalid_email"));
}

async fn bootstrap_carries_the_password_policy(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let pt = &app.creds.public_token;
    let b = page
        .call(
            reqwest::Method::GET,
            &format!("/projects/bootstrap/{pt}"),
            None,
            None,
        )
        .await;
    assert!(b.data()["password_config"].is_null(), "zxcvbn: null");
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "luds".into(),
            authorized_origins: vec![ORIGIN.into()],
            policy: PolicyChange {
                password_strength: Some(StrengthPolicy::Luds),
                luds_min_length: Some(10),
                luds_complexity: Some(2),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let url = app.url(&format!(
        "/sdk/v1/projects/bootstrap/{}",
        creds.public_token
    ));
    let b: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(
        b["data"]["password_config"],
        json!({"luds_complexity": 2, "luds_minimum_count": 10})
    );

    // The command line sets the policy of a running server's project.
    let pid = app.creds.project_id.clone();
    let args = [
        "project",
        "update",
        &pid,
        "--password-strength",
        "luds",
        "--luds-min-length",
        "12",
        "--luds-complexity",
        "3",
    ];
    let policy: serde_json::Value =
        serde_json::from_str(&crate::secrets::tessera(app, &args).await).unwrap();
    assert_eq!(policy["passwords"]["strength"], "luds");
    let b = page
        .call(
            reqwest::Method::GET,
            &format!("/projects/bootstrap/{pt}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        b.data()["password_config"],
        json!({"luds_complexity": 3, "luds_minimum_count": 12})
    );
    let r = app
        .client
        .passwords()
        .strength_check(&tessera_client::proto::passwords::StrengthCheckRequest {
            password: "Short1!".into(),
            email: None,
        })
        .await
        .unwrap();
    assert_eq!(r.strength_policy, "luds");
    let too_short = ["project", "update", &pid, "--luds-min-length", "4"];
    assert!(!crate::secrets::run(app, &too_short).await.status.success());
}

async fn passwords_at_the_wire(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let weak = page
        .post(
            "/passwords/strength_check",
            None,
            json!({"password": "password123"}),
        )
        .await;
    assert_eq!(weak.data()["valid_password"], false);
    assert_eq!(weak.data()["strength_policy"], "zxcvbn");
    let created = page
        .post(
            "/passwords",
            None,
            json!({"email": "wire@example.com", "password": STRONG, "session_duration_minutes": 30}),
        )
        .await;
    let token = created.data()["session_token"].as_str().unwrap().to_owned();
    // The caller's own session resets the password (it has a fresh password factor).
    let reset = page
        .post(
            "/passwords/session/reset",
            Some(&token),
            json!({"password": "another-Wire-Password-42", "session_duration_minutes": 30}),
        )
        .await;
    assert_eq!(
        reset.data()["session"]["session_id"],
        created.data()["session"]["session_id"]
    );
    // Without a session there is nothing to reset.
    let none = page
        .post(
            "/passwords/session/reset",
            None,
            json!({"password": "another-Wire-Password-43"}),
        )
        .await;
    assert_eq!(none.status, 401);
    // Enrol an authenticator app, then delete it: fine with a fresh factor.
    let enrolled = page
        .post("/totps", Some(&token), json!({"expiration_minutes": 30}))
        .await;
    let totp_id = enrolled.data()["totp_id"].as_str().unwrap().to_owned();
    assert_eq!(enrolled.data()["__user"]["totps"][0]["totp_id"], totp_id);
    let listed = page
        .post("/totps/recovery_codes", Some(&token), json!({}))
        .await;
    assert_eq!(
        listed.data()["totps"][0]["recovery_codes"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    let other = page
        .call(
            reqwest::Method::DELETE,
            "/users/totps/totp-test-00000000-0000-0000-0000-000000000000",
            Some(&token),
            None,
        )
        .await;
    assert_eq!((other.status, other.error_type()), (404, "totp_not_found"));
    let gone = page
        .call(
            reqwest::Method::DELETE,
            &format!("/users/totps/{totp_id}"),
            Some(&token),
            None,
        )
        .await;
    assert!(
        gone.data()["__user"]["totps"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // A TOTP call without a session is refused as the SDK expects.
    let anon = page
        .post("/totps/authenticate", None, json!({"totp_code": "123456"}))
        .await;
    assert_eq!(
        (anon.status, anon.error_type()),
        (401, "unauthorized_credentials")
    );
}

async fn password_attempts_are_limited_per_client(app: &TestApp) {
    // A project allowing 5 attempts per client IP per 10 minutes.
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "limited".into(),
            authorized_origins: vec![ORIGIN.into()],
            policy: PolicyChange {
                authenticate_per_ip: Some(5),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let backend = Client::new(&app.base_url, &creds.project_id, &creds.secret).unwrap();
    backend
        .passwords()
        .create(&tessera_client::proto::passwords::CreateRequest {
            email: "limited@example.com".into(),
            password: STRONG.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut statuses = vec![];
    for i in 0..7 {
        let r = http
            .post(app.url("/sdk/v1/passwords/authenticate"))
            .basic_auth(&creds.public_token, Some(&creds.public_token))
            .header("origin", ORIGIN)
            .json(&json!({"email": "limited@example.com", "password": format!("wrong-{i}-password"), "session_duration_minutes": 30}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
}
