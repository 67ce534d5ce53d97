//! HttpOnly cookie sessions (`--cookie-mode httponly`) at the wire, on both backends: session
//! answers set `HttpOnly; Secure; SameSite=Lax` cookies and carry no token, the cookie stands
//! in for the Basic secret only with the origin proof (CSRF), logout and a dead session clear
//! it, and projects in the default mode ignore such cookies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tessera_server::model::project::{CookieMode, PolicyChange, ProjectCredentials};
use tessera_server::service::projects::{self, NewProject};

use crate::frontend::ORIGIN;
use crate::harness::{TestApp, both_backends};

both_backends!(
    httponly_cookies_carry_the_session,
    a_cookie_needs_the_origin_proof,
    readable_projects_ignore_cookies,
);

const STRONG: &str = "vapor-Glacier-83-tundra-quill";

async fn project(app: &TestApp, mode: CookieMode) -> ProjectCredentials {
    projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "cookies".into(),
            authorized_origins: vec![ORIGIN.into()],
            policy: PolicyChange {
                cookie_mode: Some(mode),
                cookie_domain: Some("localhost".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// How a request reaches the server: what the browser attaches, what the script adds.
#[derive(Clone, Copy)]
struct Sent<'a> {
    cookie: Option<&'a str>,
    origin: Option<&'a str>,
    proof: Option<&'a str>,
    basic: bool,
}

impl<'a> Sent<'a> {
    /// What either SDK sends from the authorized page: Basic `pt:pt`, the origin and its proof.
    fn sdk(cookie: Option<&'a str>) -> Self {
        Sent {
            cookie,
            origin: Some(ORIGIN),
            proof: Some(ORIGIN),
            basic: true,
        }
    }
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// The `Set-Cookie` values for `name`.
    fn set_cookies(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .filter(|c| c.starts_with(&format!("{name}=")))
            .collect()
    }

    /// The value set for `name` (exactly one `Set-Cookie`).
    fn cookie(&self, name: &str) -> String {
        let set = self.set_cookies(name);
        assert_eq!(set.len(), 1, "{set:?}");
        let value = set[0].split(';').next().unwrap();
        value[name.len() + 1..].to_owned()
    }

    fn error_type(&self) -> &str {
        self.body["error_type"].as_str().unwrap_or_default()
    }
}

async fn call(
    app: &TestApp,
    creds: &ProjectCredentials,
    path: &str,
    sent: Sent<'_>,
    body: Value,
) -> Answer {
    let mut req = reqwest::Client::new()
        .post(app.url(&format!("/sdk/v1{path}")))
        .header("content-type", "application/json")
        .body(body.to_string());
    if sent.basic {
        let pt = &creds.public_token;
        let basic = STANDARD.encode(format!("{pt}:{pt}"));
        req = req.header("authorization", format!("Basic {basic}"));
    }
    if let Some(c) = sent.cookie {
        req = req.header("cookie", format!("theme=dark; stytch_session={c}"));
    }
    if let Some(o) = sent.origin {
        req = req.header("origin", o);
    }
    if let Some(p) = sent.proof {
        req = req.header("x-sdk-parent-host", p);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

/// The SDK's refresh, the session named by the cookie only.
async fn refresh(app: &TestApp, creds: &ProjectCredentials, token: &str) -> Answer {
    call(
        app,
        creds,
        "/sessions/authenticate",
        Sent::sdk(Some(token)),
        json!({}),
    )
    .await
}

/// A password sign-up from the authorized page, with a one-hour session.
async fn signup(app: &TestApp, creds: &ProjectCredentials, email: &str) -> Answer {
    let body = json!({"email": email, "password": STRONG, "session_duration_minutes": 60});
    call(app, creds, "/passwords", Sent::sdk(None), body).await
}

async fn httponly_cookies_carry_the_session(app: &TestApp) {
    let creds = project(app, CookieMode::Httponly).await;
    let created = signup(app, &creds, "cookie@example.com").await;
    assert_eq!(created.status, 200, "{}", created.body);
    let data = &created.body["data"];
    assert_eq!(data["session_token"], "", "no token reaches script");
    assert_eq!(data["session_jwt"], "");
    assert_eq!(created.headers["access-control-allow-origin"], ORIGIN);
    let expires = data["session"]["expires_at"].as_str().unwrap();
    let at = time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
        .unwrap();
    let http_date = at
        .format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ))
        .unwrap();
    for name in ["stytch_session", "stytch_session_jwt"] {
        let set = created.set_cookies(name);
        assert_eq!(set.len(), 1, "{set:?}");
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
            "Domain=localhost",
            &format!("Expires={http_date}"),
        ] {
            assert!(set[0].contains(attr), "{} lacks {attr}", set[0]);
        }
    }
    let token = created.cookie("stytch_session");
    assert_eq!(token.len(), 44);
    assert_eq!(created.cookie("stytch_session_jwt").split('.').count(), 3);

    // The cookie stands in for the Basic secret: a refresh answers a fresh JWT cookie.
    let refreshed = refresh(app, &creds, &token).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(refreshed.body["data"]["session_token"], "");
    assert_eq!(
        refreshed.body["data"]["session"]["session_id"],
        data["session"]["session_id"]
    );
    assert_eq!(refreshed.cookie("stytch_session"), token);
    let me = reqwest::Client::new()
        .get(app.url("/sdk/v1/users/me"))
        .basic_auth(&creds.public_token, Some(&creds.public_token))
        .header("cookie", format!("stytch_session={token}"))
        .header("origin", ORIGIN)
        .header("x-sdk-parent-host", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["data"]["emails"][0]["email"], "cookie@example.com");

    // A token in the Basic secret still works (the Rust headless client, or a backend hop),
    // and its answer is turned into cookies too.
    let login =
        json!({"email": "cookie@example.com", "password": STRONG, "session_duration_minutes": 60});
    let second = call(
        app,
        &creds,
        "/passwords/authenticate",
        Sent::sdk(None),
        login,
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.body);
    let second_token = second.cookie("stytch_session");
    assert_ne!(second_token, token);

    // Logout clears both cookies and ends the session.
    let out = call(
        app,
        &creds,
        "/sessions/revoke",
        Sent::sdk(Some(&token)),
        json!({}),
    )
    .await;
    assert_eq!(out.status, 200, "{}", out.body);
    for name in ["stytch_session", "stytch_session_jwt"] {
        let set = out.set_cookies(name);
        assert_eq!(set.len(), 1, "{set:?}");
        assert!(set[0].starts_with(&format!("{name}=;")), "{}", set[0]);
        assert!(set[0].contains("Max-Age=0"), "{}", set[0]);
    }
    // A dead session's cookie is refused with a final error type, and cleared again.
    let dead = refresh(app, &creds, &token).await;
    assert_eq!((dead.status, dead.error_type()), (404, "session_not_found"));
    assert_eq!(dead.set_cookies("stytch_session").len(), 1);
    // The other session lives on.
    let alive = refresh(app, &creds, &second_token).await;
    assert_eq!(alive.status, 200, "{}", alive.body);
}

async fn a_cookie_needs_the_origin_proof(app: &TestApp) {
    let creds = project(app, CookieMode::Httponly).await;
    let created = signup(app, &creds, "csrf@example.com").await;
    let token = created.cookie("stytch_session");
    let revoke =
        async |sent: Sent<'_>| call(app, &creds, "/sessions/revoke", sent, json!({})).await;

    // A cross-site form post: no Authorization header can be sent, so no project, no session.
    let form = revoke(Sent {
        basic: false,
        proof: None,
        origin: Some("https://evil.example"),
        ..Sent::sdk(Some(&token))
    })
    .await;
    assert_eq!(
        (form.status, form.error_type()),
        (401, "unauthorized_credentials")
    );
    assert!(form.headers.get("access-control-allow-origin").is_none());
    // Script on an unlisted origin (had the browser sent the cookie).
    let foreign = revoke(Sent {
        origin: Some("https://evil.example"),
        proof: Some("https://evil.example"),
        ..Sent::sdk(Some(&token))
    })
    .await;
    assert_eq!(
        (foreign.status, foreign.error_type()),
        (403, "bad_domain_for_stytch_sdk")
    );
    // The SDK's header missing, or naming another origin, or no Origin at all.
    for sent in [
        Sent {
            proof: None,
            ..Sent::sdk(Some(&token))
        },
        Sent {
            proof: Some("https://evil.example"),
            ..Sent::sdk(Some(&token))
        },
        Sent {
            origin: None,
            ..Sent::sdk(Some(&token))
        },
    ] {
        let r = revoke(sent).await;
        assert_eq!(
            (r.status, r.error_type()),
            (403, "csrf_check_failed"),
            "{}",
            r.body
        );
        assert!(
            r.set_cookies("stytch_session").is_empty(),
            "a refusal leaves the cookie"
        );
    }
    // None of those touched the session.
    let alive = refresh(app, &creds, &token).await;
    assert_eq!(alive.status, 200, "{}", alive.body);
}

async fn readable_projects_ignore_cookies(app: &TestApp) {
    let creds = project(app, CookieMode::Readable).await;
    let created = signup(app, &creds, "readable@example.com").await;
    assert_eq!(created.status, 200, "{}", created.body);
    let token = created.body["data"]["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 44, "readable mode answers the token");
    assert!(created.headers.get("set-cookie").is_none());
    let r = refresh(app, &creds, &token).await;
    assert_eq!(
        (r.status, r.error_type()),
        (401, "unauthorized_credentials")
    );
}
