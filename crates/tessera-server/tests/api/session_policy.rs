//! Per-project session policy, as a user of a project with it sees it: an idle session dies
//! after the idle timeout (and not before), a used one lives on; no session outlives the
//! maximum lifetime, whatever its extensions. Real time: one minute is the smallest setting.

use std::time::{Duration, Instant};

use tessera_client::Client;
use tessera_client::proto::sessions::AuthenticateSessionRequest;
use tessera_server::model::project::PolicyChange;
use tessera_server::service::projects::{self, NewProject};

use crate::harness::{TestApp, api_error, both_backends, login};

both_backends!(idle_timeout_and_max_lifetime_end_sessions);

async fn project_with(app: &TestApp, policy: PolicyChange) -> Client {
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "policy".into(),
            redirect_urls: vec!["http://localhost:3000/authenticate".into()],
            policy,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    Client::new(&app.base_url, &creds.project_id, &creds.secret).unwrap()
}

fn by_token(token: &str, minutes: Option<i64>) -> AuthenticateSessionRequest {
    AuthenticateSessionRequest {
        session_token: Some(token.to_owned()),
        session_duration_minutes: minutes,
        ..Default::default()
    }
}

async fn idle_timeout_and_max_lifetime_end_sessions(app: &TestApp) {
    let idle = project_with(
        app,
        PolicyChange {
            session_idle_timeout_minutes: Some(1),
            ..Default::default()
        },
    )
    .await;
    let capped = project_with(
        app,
        PolicyChange {
            session_max_lifetime_minutes: Some(1),
            ..Default::default()
        },
    )
    .await;
    let left = login(&idle, &app.smtp, "idle@example.com", 600).await;
    let used = login(&idle, &app.smtp, "busy@example.com", 600).await;
    let short = login(&capped, &app.smtp, "short@example.com", 600).await;
    let start = Instant::now();

    // The lifetime caps the end at creation and on every extension.
    let s = short.session.as_ref().unwrap();
    let ends = |e: &str| {
        time::OffsetDateTime::parse(e, &time::format_description::well_known::Rfc3339).unwrap()
    };
    let started = ends(&s.started_at);
    assert!(ends(&s.expires_at) - started <= time::Duration::minutes(1));
    let extended = capped
        .sessions()
        .authenticate(&by_token(&short.session_token, Some(100_000)))
        .await
        .unwrap();
    assert!(ends(&extended.session.expires_at) - started <= time::Duration::minutes(1));

    // Use one idle-project session every 15 s; the other is left alone (listing it does not
    // touch it).
    let mut short_died_at = None;
    let mut left_seen_alive = false;
    while start.elapsed() < Duration::from_secs(75) {
        tokio::time::sleep(Duration::from_secs(15)).await;
        idle.sessions()
            .authenticate(&by_token(&used.session_token, None))
            .await
            .expect("a session in use is not idle");
        let r = capped
            .sessions()
            .authenticate(&by_token(&short.session_token, Some(600)))
            .await;
        match r {
            Ok(_) => assert!(short_died_at.is_none(), "a dead session came back"),
            Err(_) => {
                short_died_at.get_or_insert(start.elapsed());
            }
        }
        if start.elapsed() < Duration::from_secs(55) {
            let listed = idle.sessions().list(&left.user_id).await.unwrap();
            assert_eq!(listed.sessions.len(), 1, "ended before the idle timeout");
            left_seen_alive = true;
        }
    }
    assert!(left_seen_alive);
    let died = short_died_at.expect("the lifetime ended the session");
    assert!(died >= Duration::from_secs(59), "{died:?}");

    // Idle for 75 s, past the minute (and its write-behind grace): ended, by token and by JWT.
    let r = idle
        .sessions()
        .authenticate(&by_token(&left.session_token, None))
        .await;
    assert_eq!(api_error(r), (404, "session_not_found".into()));
    let by_jwt = AuthenticateSessionRequest {
        session_jwt: Some(left.session_jwt.clone()),
        ..Default::default()
    };
    let r = idle.sessions().authenticate(&by_jwt).await;
    assert_eq!(api_error(r), (404, "session_not_found".into()));
    let listed = idle.sessions().list(&left.user_id).await.unwrap();
    assert!(listed.sessions.is_empty(), "{:?}", listed.sessions);
    // Used every 15 s all along: alive.
    idle.sessions()
        .authenticate(&by_token(&used.session_token, None))
        .await
        .unwrap();
}
