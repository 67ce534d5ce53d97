//! The revocation feed (`GET /v1/sessions/revocations`) and the Rust client's subscription:
//! every way a session ends is in the feed, a long poll wakes at the revocation, a cursor
//! resumes without a gap, and a subscribed local verifier refuses a revoked session's JWT
//! within 2 s of the revoke on any instance (measured under load by `revocation_lag`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::Value;
use tessera_client::proto::sessions::{AuthenticateSessionRequest, RevokeSessionRequest};
use tessera_client::{Client, ClientError, JwtError};

use crate::harness::{Backend, TestApp, both_backends, spawn_app};

both_backends!(
    every_way_a_session_ends_is_in_the_feed,
    a_long_poll_wakes_at_the_revocation,
    a_revocation_committed_late_wakes_the_poll,
    bad_feed_requests_get_the_envelope,
    a_subscribed_verifier_refuses_a_revoked_jwt,
);

fn ids(page: &tessera_client::proto::sessions::SessionRevocationsResponse) -> Vec<String> {
    page.revocations
        .iter()
        .map(|r| r.session_id.clone())
        .collect()
}

async fn revoke_id(client: &Client, session_id: &str) {
    client
        .sessions()
        .revoke(&RevokeSessionRequest {
            session_id: Some(session_id.to_owned()),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// A long poll of the feed from `cursor` in the background: its answer and when it came.
fn spawn_poll(
    client: &Client,
    cursor: &str,
    wait: Duration,
) -> tokio::task::JoinHandle<(
    tessera_client::proto::sessions::SessionRevocationsResponse,
    Instant,
)> {
    let (client, cursor) = (client.clone(), cursor.to_owned());
    tokio::spawn(async move {
        let page = client
            .sessions()
            .revocations(Some(&cursor), wait)
            .await
            .unwrap();
        (page, Instant::now())
    })
}

async fn every_way_a_session_ends_is_in_the_feed(app: &TestApp) {
    let feed = app.client.sessions();
    let first = feed.revocations(None, Duration::ZERO).await.unwrap();
    assert!(first.revocations.is_empty(), "{first:?}");
    let cursor = first.cursor.clone();

    let kept = app.login("kept@example.com", 60).await;
    let by_id = app.login("by-id@example.com", 60).await;
    let by_token = app.login("by-token@example.com", 60).await;
    let deleted = app.login("deleted@example.com", 60).await;
    revoke_id(&app.client, &by_id.session.as_ref().unwrap().session_id).await;
    app.revoke_token(&by_token.session_token).await;
    app.client.users().delete(&deleted.user_id).await.unwrap();

    // A subscriber that was away resumes from its cursor and misses nothing.
    let page = feed
        .revocations(Some(&cursor), Duration::ZERO)
        .await
        .unwrap();
    let got = ids(&page);
    for s in [&by_id, &by_token, &deleted] {
        let id = &s.session.as_ref().unwrap().session_id;
        assert!(got.contains(id), "{id} missing from {got:?}");
    }
    assert!(!got.contains(&kept.session.as_ref().unwrap().session_id));
    assert!(!page.has_more);
    let r = &page.revocations[0];
    assert!(
        r.revoked_at.ends_with('Z') && r.expires_at > r.revoked_at,
        "{r:?}"
    );

    // A first read (no cursor) sees the last minutes: every revocation whose JWTs may verify.
    let fresh = feed.revocations(None, Duration::ZERO).await.unwrap();
    assert_eq!(fresh.revocations.len(), 3, "{fresh:?}");
    // Pages: the same rows in the same order whatever the page size (checked with the store).
    let all = app
        .store
        .revocations(
            &app.creds.project_id,
            &tessera_server::store::revocations::FeedStart::After(
                tessera_server::model::Timestamp::from_millis(0),
            ),
            1,
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let next = app
        .store
        .revocations(
            &app.creds.project_id,
            &tessera_server::store::revocations::FeedStart::AfterRow(
                all[0].revoked_at,
                all[0].session_id.clone(),
            ),
            10,
        )
        .await
        .unwrap();
    assert_eq!(next.len(), 2);
    assert!(next.iter().all(|r| r.session_id != all[0].session_id));

    // Another project's feed does not see them.
    let (_, other) = app.new_project(false).await;
    let theirs = other
        .sessions()
        .revocations(None, Duration::ZERO)
        .await
        .unwrap();
    assert!(theirs.revocations.is_empty());
}

async fn a_long_poll_wakes_at_the_revocation(app: &TestApp) {
    let s = app.login("poll@example.com", 60).await;
    let session_id = s.session.unwrap().session_id;
    let start = app
        .client
        .sessions()
        .revocations(None, Duration::ZERO)
        .await
        .unwrap();
    // Nothing happens: the poll waits its whole timeout and answers empty.
    let t = Instant::now();
    let idle = app
        .client
        .sessions()
        .revocations(Some(&start.cursor), Duration::from_secs(1))
        .await
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert!(idle.revocations.is_empty());

    let poll = spawn_poll(&app.client, &idle.cursor, Duration::from_secs(20));
    tokio::time::sleep(Duration::from_millis(300)).await;
    revoke_id(&app.client, &session_id).await;
    let revoked = Instant::now();
    let (page, answered) = poll.await.unwrap();
    assert_eq!(ids(&page), vec![session_id]);
    let lag = answered.saturating_duration_since(revoked);
    assert!(
        lag < Duration::from_secs(2),
        "the poll answered {lag:?} after the revoke"
    );
}

/// A revocation is stamped when its statement runs and seen when its transaction commits: one
/// stamped before a read and committed after it is in the next answer, and wakes a waiting poll
/// at once (it waited for the next revocation, or the whole timeout, until session 15).
async fn a_revocation_committed_late_wakes_the_poll(app: &TestApp) {
    use tessera_server::store::DatabaseUrl;
    let s = app.login("late@example.com", 60).await;
    let session_id = s.session.unwrap().session_id;
    let project_id = app.creds.project_id.clone();
    // The statement runs in a transaction left open, as a slow commit would.
    let insert = "INSERT INTO session_revocations (project_id, session_id, revoked_at, expires_at) \
                  VALUES ($1, $2, $3, $4)";
    let stamped = app.store.clock().await.unwrap().millis();
    let (sid, pid) = (session_id.clone(), project_id.clone());
    let (commit, committed) = tokio::sync::oneshot::channel::<()>();
    let (inserted, ready) = tokio::sync::oneshot::channel::<()>();
    let writer = match app.database.0.clone() {
        DatabaseUrl::Postgres(url) => tokio::spawn(async move {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(insert)
                .bind(&pid)
                .bind(&sid)
                .bind(stamped)
                .bind(stamped + 600_000)
                .execute(&mut *tx)
                .await
                .unwrap();
            inserted.send(()).unwrap();
            committed.await.unwrap();
            tx.commit().await.unwrap();
        }),
        DatabaseUrl::Sqlite(path) => tokio::spawn(async move {
            // The server holds the file with the unix-excl VFS; a connection of this process
            // opens it with the same.
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .vfs("unix-excl");
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(&insert.replace('$', "?"))
                .bind(&pid)
                .bind(&sid)
                .bind(stamped)
                .bind(stamped + 600_000)
                .execute(&mut *tx)
                .await
                .unwrap();
            inserted.send(()).unwrap();
            committed.await.unwrap();
            tx.commit().await.unwrap();
        }),
    };
    ready.await.unwrap();
    // A read now does not see it, and its cursor is past the stamp.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = app
        .client
        .sessions()
        .revocations(None, Duration::ZERO)
        .await
        .unwrap();
    assert!(before.revocations.is_empty(), "{before:?}");
    let poll = spawn_poll(&app.client, &before.cursor, Duration::from_secs(10));
    tokio::time::sleep(Duration::from_millis(300)).await;
    commit.send(()).unwrap();
    writer.await.unwrap();
    let committed_at = Instant::now();
    let (page, answered) = poll.await.unwrap();
    assert_eq!(ids(&page), vec![session_id]);
    let lag = answered.saturating_duration_since(committed_at);
    assert!(
        lag < Duration::from_secs(2),
        "the poll answered {lag:?} after the commit"
    );
    // Received once: the next poll waits for something new.
    let t = Instant::now();
    let again = app
        .client
        .sessions()
        .revocations(Some(&page.cursor), Duration::from_secs(1))
        .await
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert!(again.revocations.len() <= 1, "{again:?}");
}

async fn bad_feed_requests_get_the_envelope(app: &TestApp) {
    let http = reqwest::Client::new();
    let auth = (&app.creds.project_id, Some(&app.creds.secret));
    for query in [
        "cursor=not-a-cursor",
        "cursor=-1",
        "cursor=12~",
        "timeout_seconds=soon",
        "timeout_seconds=-3",
    ] {
        let r = http
            .get(app.url(&format!("/v1/sessions/revocations?{query}")))
            .basic_auth(auth.0, auth.1)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status_code"], 400, "{query}: {body}");
        assert!(body["error_type"].is_string(), "{query}: {body}");
    }
    // Without the project's secret: 401, nothing read.
    let r = http
        .get(app.url("/v1/sessions/revocations"))
        .basic_auth(auth.0, Some("secret-test-wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A timeout past the maximum is cut to it, not refused.
    let page = app
        .client
        .sessions()
        .revocations(None, Duration::from_secs(3600))
        .await
        .unwrap();
    assert!(page.revocations.is_empty());
}

async fn a_subscribed_verifier_refuses_a_revoked_jwt(app: &TestApp) {
    let s = app.login("local@example.com", 60).await;
    let other = app.login("local-other@example.com", 60).await;
    let sessions = app.client.sessions();
    // Not subscribed: local verification knows nothing of revocations (as before).
    sessions
        .authenticate_jwt_local(&s.session_jwt, None)
        .await
        .unwrap();

    let feed = app.client.subscribe_revocations();
    assert!(feed.wait_current(Duration::from_secs(5)).await);
    sessions
        .authenticate_jwt_local(&s.session_jwt, None)
        .await
        .unwrap();
    revoke_id(&app.client, &s.session.as_ref().unwrap().session_id).await;
    let revoked = Instant::now();
    loop {
        match sessions.authenticate_jwt_local(&s.session_jwt, None).await {
            Err(ClientError::Jwt(JwtError::Revoked)) => break,
            Ok(_) => assert!(
                revoked.elapsed() < Duration::from_secs(2),
                "still accepted 2 s after the revoke"
            ),
            Err(e) => panic!("{e}"),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Refused for good, also by the call that may ask the API; the other session lives.
    assert!(matches!(
        sessions.authenticate_jwt(&s.session_jwt, None).await,
        Err(ClientError::Jwt(JwtError::Revoked))
    ));
    sessions
        .authenticate_jwt_local(&other.session_jwt, None)
        .await
        .unwrap();

    // The feed dropped: the verifier no longer claims to know.
    drop(feed);
    sessions
        .authenticate_jwt_local(&other.session_jwt, None)
        .await
        .unwrap();
    // A feed that cannot reach its server fails closed: local verification says to ask the API.
    let unreachable = Client::new(
        &format!("http://127.0.0.1:{}", crate::harness::free_port()),
        &app.creds.project_id,
        &app.creds.secret,
    )
    .unwrap();
    unreachable
        .jwt_verifier()
        .set_keys(&app.client.sessions().jwks().await.unwrap().keys);
    let _feed = unreachable.subscribe_revocations();
    let r = unreachable
        .sessions()
        .authenticate_jwt_local(&other.session_jwt, None)
        .await;
    assert!(
        matches!(r, Err(ClientError::Jwt(JwtError::RevocationsUnknown))),
        "{r:?}"
    );
}

mod revocation_lag {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::revocation_lag(super::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::revocation_lag(super::Backend::Postgres).await;
    }
}

/// Revokes `TESSERA_REVOCATIONS` sessions (default 200; 1,000 for the recorded figures) at
/// random moments while other sessions are authenticated in a loop, and measures how long each
/// revoked session's JWT still verified in a subscribed client. On PostgreSQL the revokes go
/// through another instance than the one the client follows.
async fn revocation_lag(backend: Backend) {
    let count: usize = std::env::var("TESSERA_REVOCATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let app = spawn_app(backend).await;
    let other = match backend {
        Backend::Postgres => Some(app.another_instance().await),
        Backend::Sqlite => None,
    };
    let revoker = other.as_ref().map_or(&app.client, |o| &o.client).clone();

    // The sessions: `count` to revoke and 20 that the load keeps authenticating.
    let mut logins = Vec::new();
    for chunk in (0..count + 20).collect::<Vec<_>>().chunks(16) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|i| {
                let (client, smtp) = (app.client.clone(), app.smtp.clone());
                let email = format!("lag{i}@example.com");
                tokio::spawn(async move { crate::harness::login(&client, &smtp, &email, 60).await })
            })
            .collect();
        for b in batch {
            logins.push(b.await.unwrap());
        }
    }
    let load_tokens: Vec<String> = logins
        .split_off(count)
        .into_iter()
        .map(|l| l.session_token)
        .collect();
    let follower = app.client.clone();
    let feed = follower.subscribe_revocations();
    assert!(feed.wait_current(Duration::from_secs(10)).await);
    for l in &logins {
        follower
            .sessions()
            .authenticate_jwt_local(&l.session_jwt, None)
            .await
            .unwrap();
    }

    // Load: eight loops of sessions/authenticate on the followed instance.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let load: Vec<_> = (0..8)
        .map(|i| {
            let (client, stop, served) = (app.client.clone(), stop.clone(), served.clone());
            let token = load_tokens[i % load_tokens.len()].clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    client
                        .sessions()
                        .authenticate(&AuthenticateSessionRequest {
                            session_token: Some(token.clone()),
                            ..Default::default()
                        })
                        .await
                        .unwrap();
                    served.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();

    // Revokers: four tasks, each revoking its share at random moments (10 ms apart on average).
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let shares: Vec<Vec<(String, String)>> = (0..4)
        .map(|k| {
            logins
                .iter()
                .skip(k)
                .step_by(4)
                .map(|l| {
                    (
                        l.session.as_ref().unwrap().session_id.clone(),
                        l.session_jwt.clone(),
                    )
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let revokers: Vec<_> = shares
        .into_iter()
        .map(|share| {
            let (client, tx) = (revoker.clone(), tx.clone());
            tokio::spawn(async move {
                for (session_id, jwt) in share {
                    let pause = rand::thread_rng().gen_range(0..80);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    revoke_id(&client, &session_id).await;
                    tx.send((jwt, Instant::now())).unwrap();
                }
            })
        })
        .collect();
    drop(tx);

    // The verifier, checked every millisecond for each revoked JWT it still accepts.
    let verifier = follower.jwt_verifier();
    let mut pending: Vec<(String, Instant)> = Vec::new();
    let mut lags: Vec<Duration> = Vec::new();
    let mut open = true;
    while open || !pending.is_empty() {
        loop {
            match rx.try_recv() {
                Ok(p) => pending.push(p),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        let now = Instant::now();
        pending.retain(|(jwt, at)| match verifier.verify(jwt, None) {
            Err(JwtError::Revoked) => {
                lags.push(now.saturating_duration_since(*at));
                false
            }
            Ok(_) => {
                assert!(
                    now.duration_since(*at) < Duration::from_secs(30),
                    "a revoked JWT still verifies after 30 s"
                );
                true
            }
            Err(e) => panic!("unexpected {e}"),
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    for r in revokers {
        r.await.unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for l in load {
        l.await.unwrap();
    }
    let elapsed = started.elapsed();
    lags.sort();
    let q = |p: f64| lags[((lags.len() as f64 * p).ceil() as usize).clamp(1, lags.len()) - 1];
    let (p50, p99, max) = (q(0.50), q(0.99), *lags.last().unwrap());
    println!(
        "revocation lag ({backend:?}{}): {} revocations in {:.1} s under {:.0} authenticates/s: \
         p50 {} ms, p99 {} ms, max {} ms",
        if other.is_some() {
            ", revoked on another instance"
        } else {
            ""
        },
        lags.len(),
        elapsed.as_secs_f64(),
        served.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        p50.as_millis(),
        p99.as_millis(),
        max.as_millis()
    );
    assert_eq!(lags.len(), count);
    assert!(p99 <= Duration::from_secs(2), "p99 {p99:?}");
    assert!(max <= Duration::from_secs(5), "max {max:?}");
}
