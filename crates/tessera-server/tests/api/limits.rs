//! Rate limits of the frontend API as an attacker meets them: factor authentication attempts
//! per client IP, and send limits that hold across instances (counted in the database), with
//! per-project settings. The backend API is not limited per IP.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::harness::{Backend, TestApp, both_backends, spawn_app};
use crate::secrets::tessera;

both_backends!(authenticate_attempts_are_limited_per_client);

#[tokio::test]
async fn two_instances_share_the_send_limits() {
    let app = spawn_app(Backend::Postgres).await;
    let pid = app.creds.project_id.clone();
    tessera(
        &app,
        &[
            "project",
            "update",
            &pid,
            "--send-limit-per-destination",
            "3",
        ],
    )
    .await;
    let mut config = tessera_server::Config::for_tests(app.database.0.clone());
    config.master_key = app.database.1.clone();
    let (other, _, _running) = crate::master_key::start(&config);
    let phone = "+15005550142";
    let body = json!({"phone_number": phone});
    let mut statuses = Vec::new();
    for base in [&app.base_url, &other, &app.base_url, &other, &app.base_url] {
        let (status, _) = sdk_post(
            base,
            &app.creds.public_token,
            "/otps/sms/login_or_create",
            &body,
        )
        .await;
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 429, 429],
        "3 per destination, whichever instance"
    );
}

/// A frontend call with the public token, from the test's loopback address.
async fn sdk_post(base: &str, public_token: &str, path: &str, body: &Value) -> (u16, Value) {
    let auth = STANDARD.encode(format!("{public_token}:{public_token}"));
    let r = reqwest::Client::new()
        .post(format!("{base}/sdk/v1{path}"))
        .header("authorization", format!("Basic {auth}"))
        .header("origin", crate::frontend::ORIGIN)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn authenticate_attempts_are_limited_per_client(app: &TestApp) {
    let pid = app.creds.project_id.clone();
    tessera(
        app,
        &[
            "project",
            "update",
            &pid,
            "--authenticate-limit-per-ip",
            "4",
        ],
    )
    .await;
    let pt = &app.creds.public_token;
    let email = "limited@example.com";
    let (_, sent) = sdk_post(
        &app.base_url,
        pt,
        "/otps/email/login_or_create",
        &json!({"email": email}),
    )
    .await;
    let method_id = sent["data"]["method_id"].as_str().unwrap().to_owned();
    let code = crate::delivery::code_in(&app.smtp.last_to(email).await.body());
    let attempt = |token: &str| json!({"token": token, "method_id": method_id});
    for _ in 0..4 {
        let (status, _) =
            sdk_post(&app.base_url, pt, "/otps/authenticate", &attempt("000000")).await;
        assert_eq!(status, 404, "a wrong code, counted");
    }
    // The fifth attempt from this client is refused, right code or not, before it is tried.
    let (status, body) = sdk_post(&app.base_url, pt, "/otps/authenticate", &attempt(&code)).await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (429, Some("too_many_requests"))
    );
    let (status, _) = sdk_post(
        &app.base_url,
        pt,
        "/magic_links/authenticate",
        &json!({"token": "x"}),
    )
    .await;
    assert_eq!(status, 429, "every factor's authenticate counts");
    // The app's backend is not limited per IP: the code still works there.
    let r = app
        .client
        .otps()
        .authenticate(&tessera_client::proto::otps::OtpAuthenticateRequest {
            method_id: method_id.clone(),
            code,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.method_id, method_id);
    // And sessions/authenticate never is.
    for _ in 0..10 {
        let (status, _) = sdk_post(&app.base_url, pt, "/sessions/authenticate", &json!({})).await;
        assert_ne!(status, 429);
    }
}
