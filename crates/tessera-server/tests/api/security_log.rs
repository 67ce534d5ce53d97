//! The security event log as an operator reads it: one JSON line per login success or
//! failure, factor added or removed, session ended, secret created, limit hit, each with the
//! project (and user, session, IP where there is one), and never a token, code or address.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::Method;
use serde_json::{Value, json};

use crate::frontend::{ORIGIN, Page};
use crate::harness::{TestApp, both_backends};

both_backends!(security_events_are_logged_without_secrets);

/// Every line logged to `tessera::security` by this test process.
pub(crate) fn lines() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
                "{}=info",
                tessera_server::service::security_log::TARGET
            )))
            .with_writer(move || Sink(Arc::clone(&sink)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        log
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every event logged so far, as JSON objects (their fields).
pub(crate) fn all_events() -> Vec<Value> {
    let bytes = lines().lock().unwrap().clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| v["fields"].clone())
        .collect()
}

/// The events logged for `project_id`, as JSON objects.
fn events_of(project_id: &str) -> Vec<Value> {
    all_events()
        .into_iter()
        .filter(|f| f["project_id"] == project_id)
        .collect()
}

async fn security_events_are_logged_without_secrets(app: &TestApp) {
    lines();
    let pid = app.creds.project_id.clone();
    let page = Page::new(app, Some(ORIGIN));
    let email = "audited@example.com";
    let (method_id, code) = page.email_code(email).await;
    let wrong = page
        .post(
            "/otps/authenticate",
            None,
            json!({"token": "000000", "method_id": method_id}),
        )
        .await;
    assert_eq!(wrong.status, 404);
    let login = page
        .post(
            "/otps/authenticate",
            None,
            json!({"token": code, "method_id": method_id, "session_duration_minutes": 30}),
        )
        .await;
    let token = login.data()["session_token"].as_str().unwrap().to_owned();
    let session_id = login.data()["session"]["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user_id = login.data()["user_id"].as_str().unwrap().to_owned();
    let out = page
        .call(
            Method::POST,
            "/sessions/revoke",
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert!(out.status < 300, "{}", out.body);

    // Impersonation: minting and use, with who and why.
    let http = reqwest::Client::new();
    let minted: Value = http
        .post(app.url("/v1/impersonation/tokens"))
        .basic_auth(&app.creds.project_id, Some(&app.creds.secret))
        .json(&json!({"user_id": user_id, "impersonator_email": "support@example.com", "reason": "ticket 99"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let imp_token = minted["impersonation_token"].as_str().unwrap().to_owned();
    let used = http
        .post(app.url("/v1/impersonation/authenticate"))
        .basic_auth(&app.creds.project_id, Some(&app.creds.secret))
        .json(&json!({"impersonation_token": imp_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 200);

    let events = events_of(&pid);
    let find = |name: &str| {
        events
            .iter()
            .find(|e| e["event"] == name)
            .unwrap_or_else(|| panic!("no {name} in {events:?}"))
            .clone()
    };
    let failed = find("login_failed");
    assert_eq!(failed["factor"], "otp");
    assert_eq!(failed["reason"], "otp_code_not_found");
    assert_eq!(failed["ip"], "127.0.0.1");
    let ok = find("login_succeeded");
    assert_eq!(ok["user_id"], user_id.as_str());
    assert_eq!(ok["session_id"], session_id.as_str());
    for name in ["impersonation_minted", "impersonation_started"] {
        let e = find(name);
        assert_eq!(e["user_id"], user_id.as_str());
        assert_eq!(e["impersonator"], "support@example.com");
        assert_eq!(e["reason"], "ticket 99");
    }
    let ended = find("session_ended");
    assert_eq!(ended["reason"], "logout");
    assert_eq!(ended["session_id"], session_id.as_str());

    // Nothing secret: not the token, the code, the address or the project secret.
    let text = events.iter().map(Value::to_string).collect::<String>();
    for secret in [
        token.as_str(),
        code.as_str(),
        imp_token.as_str(),
        email,
        app.creds.secret.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret} logged: {text}");
    }
}
