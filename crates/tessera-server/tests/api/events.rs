//! The event store, webhooks and metrics: a session's scripted life read back through its
//! timeline in order with reasons and actors; `GET /v1/events` by filter, its paging and bad
//! input; a no-op authenticate writing nothing; the device list and "log out the others"
//! through `/sdk/v1`; signed webhooks reaching a receiver (the Standard Webhooks reference
//! library, in Python) exactly once per id after it was down for a minute, the server
//! restarted meanwhile (and on PostgreSQL, a second instance delivering beside it); `/metrics` parsed
//! by the official Prometheus client's parser, its counters moving.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tessera_client::proto::otps::OtpSendRequest;
use tessera_client::proto::sessions::{
    AuthenticateSessionRequest, RevokeSessionRequest, SessionOptions,
};
use tessera_client::{Client, EventQuery, OtpChannel};
use tessera_server::Config;

use crate::frontend::Page;
use crate::harness::{Backend, TestApp, api_error, both_backends, spawn_with};
use crate::sdk::{installed, repo};
use crate::secrets::run;

both_backends!(
    a_sessions_life_reads_back_in_order,
    events_filter_page_and_refuse_bad_input,
    devices_list_and_log_out_the_others,
    retention_is_per_project,
);

fn kinds(events: &[tessera_client::proto::events::Event]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

async fn step_up_by_email_code(app: &TestApp, email: &str, token: &str) {
    let otps = app.client.otps();
    let sent = otps
        .send(
            OtpChannel::Email,
            &OtpSendRequest {
                email: Some(email.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mail = app.smtp.last_to(email).await;
    let code = crate::delivery::code_in(&mail.body());
    let mut req = crate::otps::auth(&sent.email_id.unwrap(), &code, None);
    req.session = SessionOptions {
        session_token: Some(token.into()),
        ..Default::default()
    };
    otps.authenticate(&req).await.unwrap();
}

async fn authenticate(client: &Client, token: &str, minutes: Option<i64>, claims: Option<Value>) {
    client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(token.into()),
            session_duration_minutes: minutes,
            session_custom_claims: claims.map(|c| c.as_object().unwrap().clone()),
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn a_sessions_life_reads_back_in_order(app: &TestApp) {
    let email = "life@example.com";
    let login = app.login(email, 60).await;
    let sid = login.session.as_ref().unwrap().session_id.clone();
    let token = login.session_token.clone();
    step_up_by_email_code(app, email, &token).await;
    authenticate(&app.client, &token, Some(120), None).await;
    // A no-op authenticate (no extension due, no claims) writes no event.
    let count = async || {
        app.client
            .sessions()
            .timeline(&sid)
            .await
            .unwrap()
            .events
            .len()
    };
    let before = count().await;
    authenticate(&app.client, &token, None, None).await;
    authenticate(&app.client, &token, Some(120), None).await;
    let after = count().await;
    assert_eq!(before, after, "a no-op authenticate wrote an event");
    authenticate(&app.client, &token, Some(240), None).await;
    authenticate(&app.client, &token, None, Some(json!({"plan": "pro"}))).await;
    app.client
        .sessions()
        .revoke(&RevokeSessionRequest {
            session_id: Some(sid.clone()),
            ..Default::default()
        })
        .await
        .unwrap();

    // Read back after the end: a revoked session keeps its timeline.
    let t = app.client.sessions().timeline(&sid).await.unwrap();
    assert_eq!(t.session_id, sid);
    assert_eq!(
        kinds(&t.events),
        [
            "session.created",
            "session.factor_added",
            "session.extended",
            "session.extended",
            "session.claims_changed",
            "session.revoked",
        ],
        "{:#?}",
        t.events
    );
    let e = &t.events;
    assert!(
        e.iter()
            .all(|e| e.user_id.as_deref() == Some(login.user_id.as_str()))
    );
    assert_eq!(e[0].data["factors"][0]["type"], "magic_link");
    assert!(
        !Value::Object(e[0].data.clone()).to_string().contains(email),
        "no address"
    );
    assert_eq!(e[1].data["type"], "otp");
    assert_eq!(e[1].data["delivery_method"], "email");
    assert_eq!(e[1].actor.as_deref(), Some("user"));
    assert_eq!(e[2].actor.as_deref(), Some("project"));
    assert!(e[2].data["new_expires_at"].as_str() > e[2].data["old_expires_at"].as_str());
    assert_eq!(e[3].data["old_expires_at"], e[2].data["new_expires_at"]);
    assert_eq!(e[4].data["claims"], json!(["plan"]));
    assert_eq!(e[5].data["reason"], "revoked_by_api");
    assert_eq!(e[5].actor.as_deref(), Some("project"));
    let times: Vec<&str> = e.iter().map(|e| e.created_at.as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // A logout by the user, and a session ended with its user.
    let other = app.login(email, 60).await;
    let page = Page::new(app, None);
    let out = page
        .call(
            Method::POST,
            "/sessions/revoke",
            Some(&other.session_token),
            None,
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    let osid = other.session.unwrap().session_id;
    let last = app.client.sessions().timeline(&osid).await.unwrap().events;
    let end = last.last().unwrap();
    assert_eq!(
        (end.kind.as_str(), end.actor.as_deref()),
        ("session.revoked", Some("user"))
    );
    assert_eq!(end.data["reason"], "logout");
    let third = app.login(email, 60).await;
    app.client.users().delete(&login.user_id).await.unwrap();
    let tsid = third.session.unwrap().session_id;
    let gone = app.client.sessions().timeline(&tsid).await.unwrap().events;
    assert_eq!(gone.last().unwrap().data["reason"], "user_deleted");
}

async fn events_filter_page_and_refuse_bad_input(app: &TestApp) {
    let events = app.client.events();
    let a = app.login("filter-a@example.com", 60).await;
    app.login("filter-b@example.com", 60).await;
    // A wrong passcode is a failed login, with the client's address.
    let sent = app
        .client
        .otps()
        .login_or_create(OtpChannel::Sms, &crate::otps::phone("+14155550177"))
        .await
        .unwrap();
    let wrong = app
        .client
        .otps()
        .authenticate(&crate::otps::auth(&sent.phone_id.unwrap(), "000000", None))
        .await;
    let (status, refused) = api_error(wrong);
    assert_eq!(status, 404);

    let mine = events
        .all(&EventQuery {
            user_id: Some(a.user_id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    // One statement writes the verification and the session: their order is the database's.
    let mut mine = kinds(&mine);
    assert_eq!(mine[..2], ["user.created", "user.factor_added"], "{mine:?}");
    mine.sort_unstable();
    let expected = [
        "session.created",
        "user.created",
        "user.factor_added",
        "user.factor_verified",
    ];
    assert_eq!(mine, expected);
    let failed = events
        .list(&EventQuery {
            types: vec!["user.login_failed".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .events;
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].data["factor"], "otp");
    assert_eq!(failed[0].data["reason"], refused.as_str());
    assert!(failed[0].data["ip_address"].as_str().is_some());

    // Pages of two follow each other without a gap or a repeat.
    let everything = events.all(&EventQuery::default()).await.unwrap();
    let paged = events
        .all(&EventQuery {
            limit: Some(2),
            ..Default::default()
        })
        .await
        .unwrap();
    let ids = |v: &[tessera_client::proto::events::Event]| -> Vec<String> {
        v.iter().map(|e| e.event_id.clone()).collect()
    };
    assert_eq!(ids(&paged), ids(&everything));
    let future = events
        .list(&EventQuery {
            since: Some("2999-01-01T00:00:00Z".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(future.events.is_empty() && !future.has_more);
    // The cursor of the last page waits for what comes next.
    let last = events.list(&EventQuery::default()).await.unwrap();
    let tail = events
        .list(&EventQuery {
            cursor: Some(last.next_cursor.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(tail.events.is_empty() && !tail.has_more && tail.next_cursor == last.next_cursor);
    app.login("filter-c@example.com", 60).await;
    let next = events
        .list(&EventQuery {
            cursor: Some(last.next_cursor),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(next.events[0].kind, "user.created", "{:#?}", next.events);

    for (query, error) in [
        ("type=session.bogus", "invalid_event_type"),
        ("cursor=abc", "invalid_event_cursor"),
        ("cursor=-1", "invalid_event_cursor"),
        ("since=yesterday", "invalid_event_since"),
        ("limit=0", "invalid_event_limit"),
        ("limit=1001", "invalid_event_limit"),
    ] {
        let res = reqwest::Client::new()
            .get(app.url(&format!("/v1/events?{query}")))
            .basic_auth(&app.creds.project_id, Some(&app.creds.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error_type"], error, "{query}: {body}");
    }
    let missing = app.client.sessions().timeline("session-test-nope").await;
    assert_eq!(api_error(missing), (404, "session_not_found".into()));
    // Another project sees none of these.
    let (_, other) = app.new_project(false).await;
    let theirs = other.events().all(&EventQuery::default()).await.unwrap();
    assert!(theirs.iter().all(|e| e.project_id != app.creds.project_id));
    assert!(
        theirs
            .iter()
            .all(|e| e.user_id.as_deref() != Some(a.user_id.as_str()))
    );
}

async fn devices_list_and_log_out_the_others(app: &TestApp) {
    let email = "devices@example.com";
    let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
               (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    let mut tokens = Vec::new();
    for ua in [mac, phone] {
        let token = app.magic_link_token(email).await;
        let r = reqwest::Client::new()
            .post(app.url("/v1/magic_links/authenticate"))
            .basic_auth(&app.creds.project_id, Some(&app.creds.secret))
            .json(&json!({
                "token": token,
                "session_duration_minutes": 60,
                "attributes": {"user_agent": ua, "ip_address": "203.0.113.9"},
            }))
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        tokens.push(body["session_token"].as_str().unwrap().to_owned());
    }
    let page = Page::new(app, None);
    let list = page
        .call(Method::GET, "/sessions", Some(&tokens[0]), None)
        .await;
    let sessions = list.data()["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["browser"], "Chrome 131.0.0.0");
    assert_eq!(current[0]["device"], "pc");
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["device"], "smartphone");
    assert_eq!(other["ip_address"], "203.0.113.9");
    assert_eq!(other["factors"], json!(["magic_link"]));

    let out = page
        .call(
            Method::POST,
            "/sessions/revoke_others",
            Some(&tokens[0]),
            None,
        )
        .await;
    assert_eq!(out.data()["revoked"], 1);
    let after = page
        .call(Method::GET, "/sessions", Some(&tokens[0]), None)
        .await;
    assert_eq!(after.data()["sessions"].as_array().unwrap().len(), 1);
    let dead = page
        .call(Method::GET, "/sessions", Some(&tokens[1]), None)
        .await;
    assert_eq!(dead.status, 404, "{}", dead.body);
    // Without a session: the envelope, never a list.
    let anon = page.call(Method::GET, "/sessions", None, None).await;
    assert_eq!(anon.status, 401, "{}", anon.body);
    let sid = other["session_id"].as_str().unwrap();
    let t = app.client.sessions().timeline(sid).await.unwrap().events;
    assert_eq!(t.last().unwrap().data["reason"], "revoked_by_user");
}

async fn retention_is_per_project(app: &TestApp) {
    use tessera_server::model::Timestamp;
    app.login("kept-a-day@example.com", 60).await;
    let (_, other) = app.new_project(false).await;
    other
        .users()
        .create(&tessera_client::proto::users::CreateUserRequest {
            email: Some("kept-a-month@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let pid = app.creds.project_id.clone();
    let out = run(
        app,
        &["project", "update", &pid, "--event-retention-days", "2"],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = run(
        app,
        &["project", "update", &pid, "--event-retention-days", "1"],
    )
    .await;
    assert!(!bad.status.success());
    let count = async |c: &Client| c.events().all(&EventQuery::default()).await.unwrap().len();
    let (mine, theirs) = (count(&app.client).await, count(&other).await);
    assert!(mine > 0 && theirs > 0);
    // Three days on, this project's events are gone; the other keeps the default 30 days.
    let later = Timestamp::from_millis(Timestamp::now().millis() + 3 * 24 * 3600 * 1000);
    let n = tessera_server::service::events::purge(&app.store, later, 30)
        .await
        .unwrap();
    assert!(n >= mine as u64, "{n} < {mine}");
    assert_eq!(count(&app.client).await, 0);
    assert_eq!(count(&other).await, theirs);
}

// ---------------------------------------------------------------------------------------------
// Webhooks and metrics: servers with their own configuration.

mod webhooks_survive_a_receiver_outage {
    #[tokio::test]
    async fn sqlite() {
        super::webhooks_survive_a_receiver_outage(crate::harness::Backend::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::webhooks_survive_a_receiver_outage(crate::harness::Backend::Postgres).await;
    }
}

mod metrics_are_scraped_and_move {
    #[tokio::test]
    async fn sqlite() {
        super::metrics_are_scraped_and_move(crate::harness::Backend::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::metrics_are_scraped_and_move(crate::harness::Backend::Postgres).await;
    }
}

fn python() -> std::path::PathBuf {
    installed(repo().join("target/sdk-env/python/bin/python"))
}

/// The Python receiver on `port`, appending to `out`; killed on drop.
struct Receiver(Child);

impl Receiver {
    fn start(port: u16, secret: &str, out: &std::path::Path) -> Self {
        let mut child = Command::new(python())
            .arg(repo().join("sdk-tests/python/webhook_receiver.py"))
            .args([&port.to_string(), secret])
            .arg(out)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert_eq!(line.trim(), "ready");
        Receiver(child)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn webhooks_survive_a_receiver_outage(backend: Backend) {
    let (database, dir) = crate::harness::fresh_database(backend);
    let mut config = Config::for_tests(database);
    config.webhook_retry_base = Duration::from_millis(50);
    let mut app = spawn_with(config, dir).await;
    let outage = Duration::from_secs(
        std::env::var("TESSERA_WEBHOOK_OUTAGE_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let port = crate::harness::free_port();
    let url = format!("http://127.0.0.1:{port}/hooks");
    let pid = app.creds.project_id.clone();
    let add = run(&app, &["project", "webhook", "add", &pid, &url]).await;
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let added: Value = serde_json::from_slice(&add.stdout).unwrap();
    let secret = added["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let endpoint = added["endpoint_id"].as_str().unwrap().to_owned();
    let bad = run(&app, &["project", "webhook", "add", &pid, "ftp://x"]).await;
    assert!(!bad.status.success());
    let bad = run(
        &app,
        &["project", "webhook", "add", &pid, &url, "--events", "nope"],
    )
    .await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown event type"));

    // An endpoint that accepts connections and never answers: its deliveries time out and
    // hold at most 4 of an instance's 32 slots, so the receiver's arrive regardless.
    let hang = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hang_url = format!("http://{}/never", hang.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = hang.accept().await {
            open.push(socket);
        }
    });
    let add_hang = run(&app, &["project", "webhook", "add", &pid, &hang_url]).await;
    assert!(add_hang.status.success());
    let hanging: Value = serde_json::from_slice(&add_hang.stdout).unwrap();
    let hanging = hanging["endpoint_id"].as_str().unwrap().to_owned();
    // On PostgreSQL a second instance delivers too: each delivery is claimed by one of them.
    let _second = if backend == Backend::Postgres {
        Some(app.another_instance().await)
    } else {
        None
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("received.txt");
    let receiver = Receiver::start(port, &secret, &out);
    let a = app.login("hook-a@example.com", 60).await;
    wait_for_ids(&app, &out, Duration::from_secs(20)).await;

    // Down for the outage; meanwhile more happens.
    drop(receiver);
    let down = Instant::now();
    let b = app.login("hook-b@example.com", 60).await;
    app.revoke_token(&a.session_token).await;
    authenticate(&app.client, &b.session_token, Some(120), None).await;
    let remaining = outage.saturating_sub(down.elapsed());
    tokio::time::sleep(remaining / 2).await;
    // A deploy meanwhile: the outbox is in the database, the new server delivers it.
    app.restart().await;
    app.client.users().delete(&b.user_id).await.unwrap();
    tokio::time::sleep(outage.saturating_sub(down.elapsed())).await;
    let log = run(&app, &["project", "webhook", "log", &pid, &endpoint]).await;
    let log: Value = serde_json::from_slice(&log.stdout).unwrap();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|d| d["state"] == "pending"
                && d["attempts"].as_i64() > Some(1)
                && d["last_error"] == "connection failed"),
        "{log:#}"
    );
    let _back = Receiver::start(port, &secret, &out);
    let back = Instant::now();
    let got = wait_for_ids(&app, &out, Duration::from_secs(90)).await;
    let caught_up = back.elapsed();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("BAD"), "{text}");
    // Exactly once per id.
    let mut seen = std::collections::HashMap::new();
    for l in text.lines() {
        *seen
            .entry(l.split(' ').next().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    assert!(seen.values().all(|n| *n == 1), "{text}");
    assert_eq!(seen.len(), got);
    assert!(text.contains(" session.revoked"), "{text}");
    assert!(text.contains(" user.deleted"), "{text}");
    eprintln!(
        "webhooks ({backend:?}): receiver down {} s, server restarted meanwhile{}: {got} events, \
         each delivered once with a valid signature, the last {} ms after the receiver was back",
        outage.as_secs(),
        if backend == Backend::Postgres {
            ", two instances delivering"
        } else {
            ""
        },
        caught_up.as_millis()
    );
    let delete = run(&app, &["project", "webhook", "delete", &pid, &endpoint]).await;
    assert!(delete.status.success());
    let log = run(&app, &["project", "webhook", "log", &pid, &hanging]).await;
    let log: Value = serde_json::from_slice(&log.stdout).unwrap();
    let log = log.as_array().unwrap();
    assert!(log.iter().all(|d| d["state"] == "pending"), "{log:#?}");
    assert!(
        log.iter().any(|d| d["last_error"] == "timed out"),
        "{log:#?}"
    );
    held.abort();
}

/// Waits until every event of the project is in the receiver's file; how many there are.
async fn wait_for_ids(app: &TestApp, out: &std::path::Path, limit: Duration) -> usize {
    let start = Instant::now();
    loop {
        let all = app
            .client
            .events()
            .all(&EventQuery::default())
            .await
            .unwrap();
        let text = std::fs::read_to_string(out).unwrap_or_default();
        let missing: Vec<&str> = all
            .iter()
            .map(|e| e.event_id.as_str())
            .filter(|id| !text.contains(id))
            .collect();
        if missing.is_empty() {
            return all.len();
        }
        assert!(
            start.elapsed() < limit,
            "not delivered after {limit:?}: {missing:?}\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn scrape(app: &TestApp, token: Option<&str>) -> Value {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo().join("sdk-tests/python/metrics_scrape.py"))
        .arg(app.url("/metrics"));
    if let Some(t) = token {
        cmd.arg(t);
    }
    let out = cmd.output().await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn sample(m: &Value, key: &str) -> f64 {
    m.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

async fn metrics_are_scraped_and_move(backend: Backend) {
    let (database, dir) = crate::harness::fresh_database(backend);
    let mut config = Config::for_tests(database);
    config.metrics.token = Some("scrape-me".into());
    let app = spawn_with(config, dir).await;
    // Without the token there is nothing to see.
    let anon = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    let before = scrape(&app, Some("scrape-me")).await;
    let logins = "tessera_logins_total{factor=magic_link,outcome=success}";
    let revoked = "tessera_sessions_revoked_total{reason=revoked_by_api}";
    let timeline = "tessera_http_requests_total{method=GET,route=/v1/sessions/{session_id}/timeline,status=200}";
    let r = app.login("metrics@example.com", 60).await;
    let sid = r.session.unwrap().session_id;
    app.client.sessions().timeline(&sid).await.unwrap();
    app.revoke_token(&r.session_token).await;
    let after = scrape(&app, Some("scrape-me")).await;
    // Other tests in this process record too: the counters move at least this much.
    assert!(
        sample(&after, logins) >= sample(&before, logins) + 1.0,
        "{after:#}"
    );
    assert!(sample(&after, revoked) >= sample(&before, revoked) + 1.0);
    assert!(
        sample(&after, timeline) >= sample(&before, timeline) + 1.0,
        "{after:#}"
    );
    let hist = "tessera_http_request_duration_seconds_count{method=GET,route=/v1/sessions/{session_id}/timeline}";
    assert!(sample(&after, hist) >= 1.0, "{after:#}");
    assert!(
        after.get("tessera_sessions_active{}").is_some(),
        "{after:#}"
    );
    assert!(after.get("tessera_db_pool_connections{}").is_some());
    // Route templates, never ids, in labels.
    assert!(!after.to_string().contains(&sid));
}
