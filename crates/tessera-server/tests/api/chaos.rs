//! Faults, with nothing lost: PostgreSQL stopped for 10 s under a 64-connection load, `kill -9`
//! of an SQLite server while it mints sessions, an instance behind nginx killed and another
//! stopped with SIGTERM under load, SIGTERM flushing access times, start-up waiting for a
//! database. Each prints what it measured (`--nocapture`); `scripts/chaos` runs them in release
//! mode for the figures in RELIABILITY.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::cluster::Cluster;
use crate::topology::{Deployment, Outcome, PgCluster, authenticate_load};

/// Logs `n` users in by magic link through `url` and returns their session tokens.
async fn sessions(d: &Deployment, url: &str, n: usize, prefix: &str) -> Vec<String> {
    let client = client(d, url);
    let mut tokens = Vec::new();
    for i in 0..n {
        let email = format!("{prefix}{i}@example.com");
        tokens.push(
            crate::harness::login(&client, &d.smtp, &email, 120)
                .await
                .session_token,
        );
    }
    tokens
}

/// A backend client of the deployment's project at `url`.
fn client(d: &Deployment, url: &str) -> tessera_client::Client {
    tessera_client::Client::new(url, &d.creds.project_id, &d.creds.secret).unwrap()
}

/// Whether the session of `token` authenticates through `client`.
async fn authenticates(client: &tessera_client::Client, token: &str) -> bool {
    client
        .sessions()
        .authenticate(
            &tessera_client::proto::sessions::AuthenticateSessionRequest {
                session_token: Some(token.to_owned()),
                ..Default::default()
            },
        )
        .await
        .is_ok()
}

fn creds(d: &Deployment) -> (String, String) {
    (d.creds.project_id.clone(), d.creds.secret.clone())
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_for_ten_seconds_under_load() {
    let pg = PgCluster::start();
    let d = Deployment::new(pg.url()).await;
    let server = d.serve(&["--database-timeout-seconds", "2"]).await;
    let tokens = Arc::new(sessions(&d, &server.url(), 50, "outage").await);

    let stop = Arc::new(AtomicBool::new(false));
    let load = authenticate_load(server.url(), creds(&d), tokens.clone(), 64, stop.clone());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stopping = Instant::now();
    pg.stop();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(10) - (stopped - stopping)).await;
    // The outage ends when the start begins (PostgreSQL may answer before pg_ctl returns).
    let resumed = Instant::now();
    pg.resume();
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, Ordering::Relaxed);
    let outcomes = load.await.unwrap();

    let during: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.start >= stopped && o.start < resumed)
        .collect();
    let unexpected: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status != 200 && !(o.status == 503 && o.error_type == "database_unavailable"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "answers other than 200 or 503: {:?}",
        &unexpected[..unexpected.len().min(5)]
    );
    let slowest = outcomes.iter().map(|o| o.end - o.start).max().unwrap();
    let mut outage_latency: Vec<Duration> = during.iter().map(|o| o.end - o.start).collect();
    outage_latency.sort();
    let outage_p50 = outage_latency[outage_latency.len() / 2];
    let recovered = outcomes
        .iter()
        .filter(|o| o.start >= resumed && o.status == 200)
        .map(|o| o.end)
        .min()
        .expect("no success after the database came back");
    // Recovered: from the end of the last failure on, everything succeeds.
    let last_failure = outcomes
        .iter()
        .filter(|o| o.status != 200)
        .map(|o| o.end)
        .max()
        .unwrap_or(resumed)
        .max(resumed);
    let ok_before = outcomes
        .iter()
        .filter(|o| o.end < stopping && o.status == 200)
        .count();
    println!(
        "chaos postgres-outage: {} requests ({} before the stop, all 200); {} started during the \
         10 s outage: {} answered 503 database_unavailable, {} waited for the database and \
         succeeded once it was back; median answer {} ms, slowest of the run {} ms; first \
         success {} ms and last failure {} ms after the database was back",
        outcomes.len(),
        ok_before,
        during.len(),
        during.iter().filter(|o| o.status == 503).count(),
        during.iter().filter(|o| o.status == 200).count(),
        ms(outage_p50),
        ms(slowest),
        ms(recovered - resumed),
        ms(last_failure - resumed),
    );
    // A request that waited for a connection (up to the timeout) may succeed once the database
    // is back; none can before.
    let ok_during: Vec<(u128, u128)> = during
        .iter()
        .filter(|o| o.status != 503 && o.end < resumed)
        .map(|o| (ms(o.start - stopped), ms(o.end - stopped)))
        .collect();
    assert!(
        ok_during.is_empty(),
        "answered during the outage (ms after the stop): {ok_during:?}"
    );
    // A request waits at most the timeout (2 s) for each database call it makes.
    assert!(
        slowest < Duration::from_millis(5000),
        "a request hung {slowest:?}"
    );
    assert!(last_failure - resumed < Duration::from_secs(5));
    // Every session committed before the stop still authenticates.
    let client = client(&d, &server.url());
    for t in tokens.iter() {
        assert!(authenticates(&client, t).await, "a session was lost");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_while_minting_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("tessera.db").display());
    let d = Deployment::new(db).await;
    let mut server = d.serve(&[]).await;
    let url = server.url();
    let minted = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..16)
        .map(|k| {
            let (minted, stop, smtp) = (minted.clone(), stop.clone(), d.smtp.clone());
            let client = client(&d, &url);
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let email = format!("mint{k}-{i}@example.com");
                    i += 1;
                    let Ok(_) = client
                        .magic_links()
                        .login_or_create(
                            &tessera_client::proto::magic_links::EmailMagicLinkRequest {
                                email: email.clone(),
                                ..Default::default()
                            },
                        )
                        .await
                    else {
                        break;
                    };
                    let token = crate::delivery::link_token(&smtp.last_to(&email).await);
                    match client
                        .magic_links()
                        .authenticate(
                            &tessera_client::proto::magic_links::AuthenticateMagicLinkRequest {
                                token,
                                session: tessera_client::proto::sessions::SessionOptions {
                                    session_duration_minutes: Some(60),
                                    ..Default::default()
                                },
                                ..Default::default()
                            },
                        )
                        .await
                    {
                        // The answer reached the client: this session must survive the kill.
                        Ok(r) => minted.lock().await.push(r.session_token),
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let minted = minted.lock().await.clone();
    assert!(
        minted.len() > 10,
        "too few logins before the kill: {}",
        minted.len()
    );

    let restarted = d.serve(&[]).await;
    let client = client(&d, &restarted.url());
    let mut lost = 0;
    for t in &minted {
        if !authenticates(&client, t).await {
            lost += 1;
        }
    }
    println!(
        "chaos sqlite-kill-9: {} sessions answered before kill -9 during magic-link logins \
         (16 clients); after restart {} authenticate, {} lost",
        minted.len(),
        minted.len() - lost,
        lost
    );
    assert_eq!(lost, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_killed_and_stopped_behind_nginx() {
    let mut cluster = Cluster::start(3).await;
    let d = &cluster.deployment;
    let lb = cluster.nginx.url();
    let tokens = Arc::new(sessions(d, &lb, 30, "lb").await);
    let stop = Arc::new(AtomicBool::new(false));
    let load = authenticate_load(lb.clone(), creds(d), tokens, 32, stop.clone());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let killed = Instant::now();
    cluster.instances[0].kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let terminated = Instant::now();
    let (status, drain) = cluster.instances[1].terminate();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let outcomes = load.await.unwrap();

    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.status != 200).collect();
    let in_flight_at_kill = failed
        .iter()
        .filter(|o| o.start <= killed && o.end >= killed)
        .count();
    let other = failed.len() - in_flight_at_kill;
    let after_term = outcomes.iter().filter(|o| o.start >= terminated).count();
    println!(
        "chaos nginx: {} requests through 3 instances; kill -9 of one: {} failed (all in flight \
         at the kill); SIGTERM of another: exit {:?} after {} ms, {} requests after it, {} \
         failed; other failures {}",
        outcomes.len(),
        in_flight_at_kill,
        status.code(),
        ms(drain),
        after_term,
        failed.iter().filter(|o| o.start >= terminated).count(),
        other
    );
    assert!(status.success(), "SIGTERM must end the server cleanly");
    assert_eq!(
        other, 0,
        "failures beyond the killed instance's in-flight requests: {failed:?}"
    );
    assert!(in_flight_at_kill <= 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_waits_for_the_database() {
    let pg = PgCluster::start();
    let d = Deployment::new(pg.url()).await;
    pg.stop();
    let started = Instant::now();
    let port = crate::harness::free_port();
    let log = d.dir.path().join("waiting.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--database-url", &d.database, "--master-key-file"])
        .arg(&d.key)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("TESSERA_MASTER_KEY_FILE")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "start-up gave up at once"
    );
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("retrying"),
        "start-up does not say it waits: {said}"
    );
    pg.resume();
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}");
    loop {
        if let Ok(r) = http.get(format!("{url}/readyz")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "chaos startup: waited for the database, ready {} ms after start",
        ms(started.elapsed())
    );
    // /healthz says alive whatever the database does; /readyz follows it.
    pg.stop();
    assert_eq!(
        http.get(format!("{url}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.get(format!("{url}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    let _ = child.kill();
    let _ = child.wait();

    // A database that will not come back (nothing listens) within --database-wait-seconds:
    // start-up ends with an error that names it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["serve", "--database-wait-seconds", "1", "--database-url"])
        .arg(format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            crate::harness::free_port()
        ))
        .args(["--master-key-file"])
        .arg(&d.key)
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("TESSERA_MASTER_KEY_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("connecting to"), "{err}");
}

mod sigterm_under_load_loses_nothing {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("tessera.db").display());
        super::sigterm_under_load_loses_nothing(db).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let (url, _) = crate::harness::fresh_database(crate::harness::Backend::Postgres);
        let tessera_server::store::DatabaseUrl::Postgres(url) = url else {
            unreachable!()
        };
        super::sigterm_under_load_loses_nothing(url).await;
    }
}

/// Runs `sql` on the database of `d` (no server holds it).
async fn execute(d: &Deployment, sql: &str) -> u64 {
    if d.database.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&d.database).await.unwrap();
        let n = sqlx::query(sql)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        pool.close().await;
        n
    } else {
        let pool = sqlx::PgPool::connect(&d.database).await.unwrap();
        let n = sqlx::query(sql)
            .execute(&pool)
            .await
            .unwrap()
            .rows_affected();
        pool.close().await;
        n
    }
}

/// SIGTERM while 16 clients authenticate and 40 sessions are touched for the first time in ten
/// minutes: every request sent before the signal succeeds, the process exits cleanly, and every
/// access time it took is in the database afterwards (the write-behind is flushed).
async fn sigterm_under_load_loses_nothing(database: String) {
    let d = Deployment::new(database).await;
    let mut server = d.serve(&[]).await;
    let busy = Arc::new(sessions(&d, &server.url(), 8, "busy").await);
    let idle = sessions(&d, &server.url(), 40, "idle").await;
    assert!(server.terminate().0.success());
    let aged = execute(
        &d,
        "UPDATE sessions SET last_accessed_at = last_accessed_at - 600000, \
         started_at = started_at - 600000",
    )
    .await;
    assert_eq!(aged, 48);

    let mut server = d.serve(&[]).await;
    let stop = Arc::new(AtomicBool::new(false));
    let load = authenticate_load(server.url(), creds(&d), busy, 16, stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = client(&d, &server.url());
    let touches: Vec<_> = idle
        .iter()
        .map(|t| {
            let (client, t) = (client.clone(), t.clone());
            tokio::spawn(async move { assert!(authenticates(&client, &t).await) })
        })
        .collect();
    for t in touches {
        t.await.unwrap();
    }
    let signalled = Instant::now();
    let (status, drain) = server.terminate();
    stop.store(true, Ordering::Relaxed);
    let outcomes = load.await.unwrap();
    // In flight at the signal: sent at least 50 ms before it, so the server has read it. A
    // request sent on an idle keep-alive connection at the very moment of the signal can meet
    // that connection closing (a client behind a load balancer gets it retried elsewhere); those
    // are counted, not failed.
    let in_flight = |o: &&Outcome| o.start + Duration::from_millis(50) < signalled;
    let sent_before = outcomes.iter().filter(in_flight).count();
    let failed_before: Vec<&Outcome> = outcomes
        .iter()
        .filter(in_flight)
        .filter(|o| o.status != 200)
        .collect();
    let at_the_signal = outcomes
        .iter()
        .filter(|o| !in_flight(o) && o.start < signalled && o.status != 200)
        .count();
    let stale = execute(
        &d,
        &format!(
            "UPDATE sessions SET user_agent = user_agent WHERE last_accessed_at < {}",
            tessera_server::model::Timestamp::now().millis() - 300_000
        ),
    )
    .await;
    println!(
        "chaos sigterm ({}): {} requests in flight or done before SIGTERM, {} failed ({} sent \
         within its last 50 ms met a closing connection); exit {:?} after {} ms; access times of \
         40 sessions touched just before it: {} lost",
        if d.database.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        sent_before,
        failed_before.len(),
        at_the_signal,
        status.code(),
        ms(drain),
        stale
    );
    assert!(status.success());
    assert!(failed_before.is_empty(), "{failed_before:?}");
    assert_eq!(stale, 0, "access times lost at shutdown");
}

/// A client following the revocation feed of an instance that is killed and restarted resumes
/// from its cursor: a revocation made on another instance while it was disconnected still
/// reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_follower_resumes_after_its_instance_restarts() {
    let (url, _) = crate::harness::fresh_database(crate::harness::Backend::Postgres);
    let tessera_server::store::DatabaseUrl::Postgres(url) = url else {
        unreachable!()
    };
    let d = Deployment::new(url).await;
    let mut followed = d.serve(&[]).await;
    let other = d.serve(&[]).await;
    let follower = client(&d, &followed.url());
    let revoker = client(&d, &other.url());
    let login = crate::harness::login(&revoker, &d.smtp, "resume@example.com", 60).await;
    let session_id = login.session.unwrap().session_id;
    let feed = follower.subscribe_revocations();
    assert!(feed.wait_current(Duration::from_secs(10)).await);
    follower
        .sessions()
        .authenticate_jwt_local(&login.session_jwt, None)
        .await
        .unwrap();

    let port = followed.port;
    followed.kill();
    revoker
        .sessions()
        .revoke(&tessera_client::proto::sessions::RevokeSessionRequest {
            session_id: Some(session_id),
            ..Default::default()
        })
        .await
        .unwrap();
    let revoked = Instant::now();
    let _restarted = d.serve_on(port, &[]).await;
    loop {
        match follower.jwt_verifier().verify(&login.session_jwt, None) {
            Err(tessera_client::JwtError::Revoked) => break,
            Ok(_) | Err(tessera_client::JwtError::RevocationsUnknown) => {}
            Err(e) => panic!("{e}"),
        }
        assert!(
            revoked.elapsed() < Duration::from_secs(20),
            "the revocation made while the follower was away never reached it"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "chaos feed-resume: revoked on another instance while the followed one was down; \
         refused locally {} ms after the revoke (restart included)",
        ms(revoked.elapsed())
    );
}
