//! Tessera's own Rust SDK against the real server: local JWT verification (key rotation without
//! restart, stale JWTs falling back to the API), the axum extractor, and the headless session
//! client (login, notifications, "session gone", one request at a time, persistence).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tessera_client::axum::{Authenticated, SessionAuth};
use tessera_client::headless::{FileStorage, HeadlessClient};
use tessera_client::proto::sessions::{RevokeSessionRequest, Session};
use tessera_client::{Client, ClientError, JwtError};

use crate::delivery::code_in;
use crate::harness::{TestApp, both_backends};

both_backends!(
    local_verification_follows_key_rotation_without_restart,
    stale_jwts_fall_back_to_the_api,
    axum_extractor_protects_routes,
    headless_login_refresh_and_revocation,
    headless_requests_go_one_at_a_time,
    headless_state_survives_a_restart,
    headless_devices_and_logging_out_the_others,
);

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn local_verification_follows_key_rotation_without_restart(app: &TestApp) {
    let login = app.login("rotate@example.com", 60).await;
    let session_id = login.session.as_ref().unwrap().session_id.clone();
    let client = Client::new(&app.base_url, &app.creds.project_id, &app.creds.secret).unwrap();
    let sessions = client.sessions();

    let s = sessions
        .authenticate_jwt_local(&login.session_jwt, None)
        .await
        .unwrap();
    assert_eq!(s.session_id, session_id);
    assert_eq!(s.user_id, login.user_id);
    assert_eq!(s.authentication_factors[0].delivery_method, "email");
    assert_eq!(
        client.jwt_verifier().fetch_count(),
        1,
        "the JWKS is fetched once"
    );
    for _ in 0..10 {
        sessions
            .authenticate_jwt_local(&login.session_jwt, None)
            .await
            .unwrap();
    }
    assert_eq!(client.jwt_verifier().fetch_count(), 1, "and cached");

    // Rotate: JWTs of the new key verify in the same client, after one more fetch.
    tessera_server::service::keys::rotate(
        &app.store,
        &app.master,
        &app.creds.project_id,
        tessera_server::model::Environment::Test,
    )
    .await
    .unwrap();
    tokio::time::sleep(tessera_client::jwt::DEFAULT_REFETCH_INTERVAL).await;
    let fresh = app
        .client
        .sessions()
        .authenticate(
            &tessera_client::proto::sessions::AuthenticateSessionRequest {
                session_token: Some(login.session_token.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(fresh.session_jwt, login.session_jwt);
    let s = sessions
        .authenticate_jwt_local(&fresh.session_jwt, None)
        .await
        .unwrap();
    assert_eq!(s.session_id, session_id);
    assert_eq!(client.jwt_verifier().fetch_count(), 2);
    // The retired key is still published, so older JWTs still verify.
    sessions
        .authenticate_jwt_local(&login.session_jwt, None)
        .await
        .unwrap();

    // Unknown key ids cannot make the client hammer the server: many at once, one fetch.
    let (h, _p, sig) = {
        let mut parts = fresh.session_jwt.splitn(3, '.');
        (
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
            parts.next().unwrap().to_owned(),
        )
    };
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut header: serde_json::Value = serde_json::from_slice(&b64.decode(&h).unwrap()).unwrap();
    header["kid"] = "jwk-test-forged".into();
    let forged = format!(
        "{}.{}.{sig}",
        b64.encode(header.to_string()),
        fresh.session_jwt.split('.').nth(1).unwrap()
    );
    tokio::time::sleep(tessera_client::jwt::DEFAULT_REFETCH_INTERVAL).await;
    let before = client.jwt_verifier().fetch_count();
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (client, forged) = (client.clone(), forged.clone());
            tokio::spawn(async move {
                client
                    .sessions()
                    .authenticate_jwt_local(&forged, None)
                    .await
            })
        })
        .collect();
    for t in tasks {
        assert!(matches!(
            t.await.unwrap(),
            Err(ClientError::Jwt(JwtError::UnknownKey))
        ));
    }
    assert_eq!(client.jwt_verifier().fetch_count(), before + 1);

    // A tampered payload fails the signature.
    let tampered = format!("{h}.{}.{sig}", b64.encode(r#"{"sub":"user-test-x"}"#));
    assert!(matches!(
        sessions.authenticate_jwt_local(&tampered, None).await,
        Err(ClientError::Jwt(JwtError::BadSignature))
    ));
    // Another project's client refuses the JWT (audience and issuer are checked).
    let (other, other_client) = app.new_project(false).await;
    let _ = other;
    assert!(matches!(
        other_client
            .sessions()
            .authenticate_jwt_local(&fresh.session_jwt, None)
            .await,
        Err(ClientError::Jwt(
            JwtError::UnknownKey | JwtError::WrongAudience
        ))
    ));
}

async fn stale_jwts_fall_back_to_the_api(app: &TestApp) {
    let login = app.login("stale@example.com", 60).await;
    let client = Client::new(&app.base_url, &app.creds.project_id, &app.creds.secret).unwrap();
    let sessions = client.sessions();
    let local = sessions
        .authenticate_jwt(&login.session_jwt, None)
        .await
        .unwrap();
    assert_eq!(local.session_jwt, None, "verified locally, no request");

    // Past its exp (seen from ten minutes ahead), the JWT is refused locally.
    assert_eq!(
        client
            .jwt_verifier()
            .verify_at(&login.session_jwt, None, now_s() + 600)
            .unwrap_err(),
        JwtError::Expired
    );
    // Older than the caller allows: the API is asked and hands back a fresh JWT.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let asked = sessions
        .authenticate_jwt(&login.session_jwt, Some(Duration::ZERO))
        .await
        .unwrap();
    assert_eq!(
        asked.session.session_id,
        login.session.as_ref().unwrap().session_id
    );
    assert!(asked.session_jwt.is_some());

    // Revoked: the local check still passes until the JWT expires (the documented bound), the
    // API fallback sees the revocation at once.
    app.revoke_token(&login.session_token).await;
    assert!(
        sessions
            .authenticate_jwt(&login.session_jwt, None)
            .await
            .is_ok()
    );
    let gone = sessions
        .authenticate_jwt(&login.session_jwt, Some(Duration::ZERO))
        .await
        .unwrap_err();
    assert_eq!(gone.error_type(), Some("session_not_found"));
}

async fn axum_extractor_protects_routes(app: &TestApp) {
    async fn me(Authenticated(s): Authenticated) -> String {
        s.user_id
    }
    async fn hello(s: Option<Authenticated>) -> String {
        match s {
            Some(Authenticated(s)) => format!("hello {}", s.user_id),
            None => "hello stranger".into(),
        }
    }
    let client = Client::new(&app.base_url, &app.creds.project_id, &app.creds.secret).unwrap();
    let router = Router::new()
        .route("/me", get(me))
        .route("/hello", get(hello))
        .with_state(SessionAuth::new(client));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let login = app.login("axum@example.com", 60).await;
    let http = reqwest::Client::new();
    let get = |path: &str, header: Option<(&str, String)>| {
        let mut r = http.get(format!("{base}{path}"));
        if let Some((k, v)) = header {
            r = r.header(k, v);
        }
        r.send()
    };
    let r = get(
        "/me",
        Some(("authorization", format!("Bearer {}", login.session_jwt))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), login.user_id);
    let r = get(
        "/me",
        Some(("cookie", format!("stytch_session={}", login.session_token))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = get(
        "/me",
        Some((
            "cookie",
            format!("a=b; stytch_session_jwt={}", login.session_jwt),
        )),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);

    let r = get("/me", None).await.unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_type"], "unauthorized_credentials");
    assert_eq!(body["status_code"], 401);
    let r = get("/me", Some(("authorization", "Bearer not.a.jwt".into())))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        get("/hello", None).await.unwrap().text().await.unwrap(),
        "hello stranger"
    );
    assert_eq!(
        get(
            "/hello",
            Some(("authorization", format!("Bearer {}", login.session_jwt)))
        )
        .await
        .unwrap()
        .text()
        .await
        .unwrap(),
        format!("hello {}", login.user_id)
    );

    // A revoked session's opaque token is refused at once (it is always checked by the API).
    app.revoke_token(&login.session_token).await;
    let r = get(
        "/me",
        Some(("cookie", format!("stytch_session={}", login.session_token))),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error_type"], "session_not_found");
}

fn headless(app: &TestApp) -> tessera_client::headless::HeadlessBuilder {
    HeadlessClient::builder(&app.base_url, &app.creds.public_token)
}

/// Logs in through the frontend API with an email passcode.
async fn headless_login(app: &TestApp, h: &HeadlessClient, email: &str) -> Session {
    let sent = h.otps().email_login_or_create(email, 5).await.unwrap();
    let code = code_in(&app.smtp.last_to(email).await.body());
    h.otps()
        .authenticate(&code, &sent.method_id, 60)
        .await
        .unwrap()
}

/// Two headless clients of one user: each sees both devices, one logs the other out.
async fn headless_devices_and_logging_out_the_others(app: &TestApp) {
    let email = "two-devices@example.com";
    let (a, b) = (
        headless(app).build().unwrap(),
        headless(app).build().unwrap(),
    );
    let mine = headless_login(app, &a, email).await.session_id;
    let theirs = headless_login(app, &b, email).await.session_id;
    let devices = a.session().devices().await.unwrap();
    assert_eq!(devices.len(), 2, "{devices:#?}");
    let current: Vec<_> = devices.iter().filter(|d| d.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].session_id, mine);
    assert_eq!(current[0].factors, ["otp"]);
    assert_eq!(a.session().revoke_others().await.unwrap(), 1);
    let left = a.session().devices().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].session_id, mine);
    assert!(
        b.session().devices().await.is_err(),
        "{theirs} was logged out"
    );
    assert!(b.session().authenticate(None).await.is_err());
    assert_eq!(b.session().get_sync(), None, "the gone session is cleared");
}

async fn headless_login_refresh_and_revocation(app: &TestApp) {
    let h = headless(app)
        .refresh_interval(Duration::from_millis(300))
        .build()
        .unwrap();
    assert_eq!(h.session().get_sync(), None);
    assert!(
        !h.session().get_info().from_cache,
        "nothing stored: nothing to confirm"
    );
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let log = Arc::clone(&seen);
    let sub = h.session().on_change(move |s| {
        log.lock().unwrap().push(s.map(|s| s.session_id.clone()));
    });
    let mut watch = h.session().watch();

    let session = headless_login(app, &h, "headless@example.com").await;
    assert_eq!(
        h.session().get_sync().unwrap().session_id,
        session.session_id
    );
    assert_eq!(
        h.user().get_sync().unwrap().emails[0].email,
        "headless@example.com"
    );
    let tokens = h.session().get_tokens().unwrap();
    assert_eq!(tokens.session_token.len(), 44);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![Some(session.session_id.clone())]
    );
    watch.changed().await.unwrap();
    assert_eq!(
        watch.borrow_and_update().as_ref().unwrap().session_id,
        session.session_id
    );

    // Extending moves the expiry and notifies; the background refresh runs meanwhile.
    let extended = h.session().authenticate(Some(600)).await.unwrap();
    assert!(extended.expires_at > session.expires_at);
    assert_eq!(seen.lock().unwrap().len(), 2);
    let sent = h.session_requests_sent();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        h.session_requests_sent() >= sent + 2,
        "background refreshes ran"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "a refresh with no news notifies nobody"
    );
    let me = h.user().get().await.unwrap();
    assert_eq!(me.user_id, session.user_id);

    // Revoked elsewhere: the next background refresh finds it gone, clears, and tells.
    app.client
        .sessions()
        .revoke(&RevokeSessionRequest {
            session_id: Some(session.session_id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while watch.borrow_and_update().is_some() {
            watch.changed().await.unwrap();
        }
    })
    .await
    .expect("the revocation reached the client");
    assert_eq!(h.session().get_sync(), None);
    assert_eq!(h.user().get_sync(), None);
    assert_eq!(h.session().get_tokens(), None);
    assert_eq!(seen.lock().unwrap().last(), Some(&None));
    let e = h.session().authenticate(None).await.unwrap_err();
    assert_eq!(e.error_type(), Some("unauthorized_credentials"));

    // Unsubscribed listeners hear nothing; revoke logs out and kills the token.
    drop(sub);
    let before = seen.lock().unwrap().len();
    headless_login(app, &h, "headless@example.com").await;
    assert_eq!(seen.lock().unwrap().len(), before);
    let token = h.session().get_tokens().unwrap().session_token;
    h.session().revoke().await.unwrap();
    assert_eq!(h.session().get_sync(), None);
    let dead = app
        .client
        .sessions()
        .authenticate(
            &tessera_client::proto::sessions::AuthenticateSessionRequest {
                session_token: Some(token),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(dead.error_type(), Some("session_not_found"));

    // A session made through the backend API can be adopted.
    let backend = app.login("adopted@example.com", 30).await;
    h.session()
        .update_session(&backend.session_token, &backend.session_jwt);
    let adopted = h.session().authenticate(None).await.unwrap();
    assert_eq!(adopted.session_id, backend.session.unwrap().session_id);
}

/// A pass-through proxy that records the most requests it ever had in flight at once.
async fn counting_proxy(target: String) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (f, p) = (Arc::clone(&in_flight), Arc::clone(&peak));
    let http = reqwest::Client::new();
    let app = Router::new().fallback(move |req: axum::extract::Request| {
        let (f, p, http, target) = (Arc::clone(&f), Arc::clone(&p), http.clone(), target.clone());
        async move {
            let now = f.fetch_add(1, Ordering::SeqCst) + 1;
            p.fetch_max(now, Ordering::SeqCst);
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
            let mut out = http.request(parts.method, format!("{target}{}", parts.uri));
            for (k, v) in &parts.headers {
                if k != "host" {
                    out = out.header(k, v);
                }
            }
            // Hold the request a little so that overlapping requests would show.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let res = out.body(body).send().await.unwrap();
            let status = res.status();
            let bytes = res.bytes().await.unwrap();
            f.fetch_sub(1, Ordering::SeqCst);
            (status, bytes)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, peak, in_flight)
}

async fn headless_requests_go_one_at_a_time(app: &TestApp) {
    let (proxy, peak, _) = counting_proxy(app.base_url.clone()).await;
    let h = HeadlessClient::builder(&proxy, &app.creds.public_token)
        .build()
        .unwrap();
    headless_login(app, &h, "busy@example.com").await;
    let sent = h.session_requests_sent();
    peak.store(0, Ordering::SeqCst);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let h = h.clone();
            tokio::spawn(async move { h.session().authenticate((i % 2 == 0).then_some(90)).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(h.session_requests_sent(), sent + 16);
    assert_eq!(
        peak.load(Ordering::SeqCst),
        1,
        "never two requests in flight at once"
    );
}

async fn headless_state_survives_a_restart(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.json");
    let session = {
        let h = headless(app)
            .storage(FileStorage::new(&path))
            .build()
            .unwrap();
        headless_login(app, &h, "persist@example.com").await
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the session file is private");
    }
    let h = headless(app)
        .storage(FileStorage::new(&path))
        .build()
        .unwrap();
    let info = h.session().get_info();
    assert_eq!(info.session.unwrap().session_id, session.session_id);
    assert!(info.from_cache, "loaded, not yet confirmed");
    let mut watch = h.session().watch();
    tokio::time::timeout(Duration::from_secs(5), async {
        while h.session().get_info().from_cache {
            let _ = watch.changed().await;
        }
    })
    .await
    .expect("the startup refresh confirmed the session");
    assert_eq!(
        h.session().get_sync().unwrap().session_id,
        session.session_id
    );

    // Network trouble keeps the cached session: a client pointed at nothing stays logged in.
    let unreachable = format!("http://127.0.0.1:{}", crate::harness::free_port());
    let offline = HeadlessClient::builder(&unreachable, &app.creds.public_token)
        .storage(FileStorage::new(&path))
        .first_retry_delay(Duration::from_millis(50))
        .build()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let info = offline.session().get_info();
    assert_eq!(info.session.unwrap().session_id, session.session_id);
    assert!(info.from_cache);
    assert!(offline.session().authenticate(None).await.is_err());
    assert!(offline.session().get_sync().is_some());
}
