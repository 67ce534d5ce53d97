//! The frontend API (`/sdk/v1`) at the wire level, as a browser sees it: CORS for authorized
//! origins only, the `{"data": …}` envelope, sessions from the Basic secret, PKCE on browser
//! magic links, passcodes, the signed-in user, and the send limits.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::delivery::{code_in, link_token};
use crate::harness::{TestApp, both_backends};

both_backends!(
    bootstrap_is_clean_and_cors_follows_authorized_origins,
    browser_magic_link_login_with_pkce_and_session_lifecycle,
    browser_passcode_login_steps_up_and_manages_the_user,
    sends_are_rate_limited_per_destination_and_client,
    public_token_alone_grants_nothing,
    each_channel_takes_its_own_locales
);

pub(crate) const ORIGIN: &str = "http://localhost:3000";

/// A browser page on `origin` using the first project's public token.
pub(crate) struct Page<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    origin: Option<&'a str>,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn data(&self) -> &Value {
        assert!(self.status < 300, "{} {}", self.status, self.body);
        &self.body["data"]
    }

    pub(crate) fn error_type(&self) -> &str {
        assert!(
            self.body.get("data").is_none(),
            "errors are flat: {}",
            self.body
        );
        self.body["error_type"].as_str().unwrap_or_default()
    }

    fn allowed_origin(&self) -> Option<&str> {
        self.headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok())
    }
}

impl<'a> Page<'a> {
    pub(crate) fn new(app: &'a TestApp, origin: Option<&'a str>) -> Self {
        Page {
            app,
            http: reqwest::Client::new(),
            origin,
        }
    }

    fn pt(&self) -> &str {
        &self.app.creds.public_token
    }

    /// A call as the SDK makes it: Basic `public_token:(session_token | public_token)`.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        session: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let secret = session.unwrap_or(self.pt());
        let mut req = self
            .http
            .request(method, self.app.url(&format!("/sdk/v1{path}")))
            .header(
                "authorization",
                format!(
                    "Basic {}",
                    STANDARD.encode(format!("{}:{secret}", self.pt()))
                ),
            )
            .header("content-type", "application/json");
        if let Some(o) = self.origin {
            req = req.header("origin", o);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON answer: {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn post(&self, path: &str, session: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, session, Some(body)).await
    }

    /// Sends an email passcode by `login_or_create`: its method id and the code from the mail.
    pub(crate) async fn email_code(&self, email: &str) -> (String, String) {
        let sent = self
            .post("/otps/email/login_or_create", None, json!({"email": email}))
            .await;
        let method_id = sent.data()["method_id"].as_str().unwrap().to_owned();
        let code = code_in(&self.app.smtp.last_to(email).await.body());
        (method_id, code)
    }

    /// Logs `email` in by email passcode with a 30-minute session: the answer's data and the
    /// email's method id.
    pub(crate) async fn passcode_login(&self, email: &str) -> (Value, String) {
        let (method_id, code) = self.email_code(email).await;
        let login = self
            .post(
                "/otps/authenticate",
                None,
                json!({"token": code, "method_id": method_id, "session_duration_minutes": 30}),
            )
            .await;
        (login.data().clone(), method_id)
    }
}

/// A PKCE pair as the browser SDK makes one.
pub(crate) fn pkce() -> (String, String) {
    let verifier = tessera_server::crypto::random_b64_nopad(48);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

async fn bootstrap_is_clean_and_cors_follows_authorized_origins(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let b = page
        .call(
            Method::GET,
            &format!("/projects/bootstrap/{}", page.pt()),
            None,
            None,
        )
        .await;
    assert_eq!(b.allowed_origin(), Some(ORIGIN));
    assert_eq!(
        b.headers["access-control-allow-credentials"]
            .to_str()
            .unwrap(),
        "true"
    );
    let d = b.data();
    assert_eq!(d["vertical"], "CONSUMER");
    assert_eq!(d["captcha_settings"], json!({"enabled": false}));
    assert_eq!(d["pkce_required_for_email_magic_links"], true);
    assert_eq!(d["disable_sdk_watermark"], true);
    assert!(d["password_config"].is_null() && d.get("password_config").is_some());
    assert_eq!(d["rbac_policy"]["roles"], json!([]));
    assert_eq!(d["email_domains"], json!(["localhost"]));

    // A preflight from an authorized origin covers the SDK's headers and methods.
    let pre = page
        .http
        .request(Method::OPTIONS, app.url("/sdk/v1/sessions/authenticate"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,x-sdk-client,x-sdk-parent-host",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    assert_eq!(h["access-control-allow-credentials"], "true");
    for m in ["GET", "POST", "PUT", "DELETE"] {
        assert!(
            h["access-control-allow-methods"]
                .to_str()
                .unwrap()
                .contains(m)
        );
    }
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for name in [
        "authorization",
        "content-type",
        "x-sdk-client",
        "x-sdk-parent-host",
    ] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert!(h.get_all("vary").iter().any(|v| v == "Origin"));

    // Errors to an authorized origin carry CORS too, with a type the SDK treats as final.
    let anon = page.post("/sessions/authenticate", None, json!({})).await;
    assert_eq!(
        (anon.status, anon.error_type()),
        (401, "unauthorized_credentials")
    );
    assert_eq!(anon.allowed_origin(), Some(ORIGIN));
    assert!(
        anon.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("application/json")
    );
    let unknown = page
        .post(
            "/sessions/authenticate",
            Some("x".repeat(44).as_str()),
            json!({}),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.error_type()),
        (404, "session_not_found")
    );
    assert_eq!(unknown.allowed_origin(), Some(ORIGIN));
    let missing = page.post("/no/such/route", None, json!({})).await;
    assert_eq!(
        (missing.status, missing.error_type()),
        (404, "route_not_found")
    );
    assert_eq!(missing.allowed_origin(), Some(ORIGIN));

    // Another origin: the preflight and the request are refused, without CORS headers.
    let evil = Page::new(app, Some("https://evil.example"));
    let pre = evil
        .http
        .request(Method::OPTIONS, app.url("/sdk/v1/sessions/authenticate"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 403);
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    let refused = evil
        .post(
            "/otps/sms/login_or_create",
            None,
            json!({"phone_number": "+15005550006"}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.error_type()),
        (403, "bad_domain_for_stytch_sdk")
    );
    assert!(refused.allowed_origin().is_none());
    assert_eq!(app.sms.count(), 0, "nothing was sent");

    // An origin another project lists passes the preflight but not this project's check.
    let other_origin = "https://other.example";
    tessera_server::service::projects::create(
        (&app.store, &app.master),
        tessera_server::service::projects::NewProject {
            name: "other".into(),
            authorized_origins: vec![other_origin.into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let other = Page::new(app, Some(other_origin));
    let r = other.post("/sessions/authenticate", None, json!({})).await;
    assert_eq!(
        (r.status, r.error_type()),
        (403, "bad_domain_for_stytch_sdk")
    );

    // Telemetry: an array, no credentials, accepted and dropped.
    let ev = page
        .http
        .post(app.url("/sdk/v1/events"))
        .header("origin", ORIGIN)
        .header("content-type", "application/json")
        .body(json!([{"event": {"event_name": "sdk_instance_instantiated"}}]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ev.status(), 204);
    assert_eq!(ev.headers()["access-control-allow-origin"], ORIGIN);
}

async fn browser_magic_link_login_with_pkce_and_session_lifecycle(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let email = "ada@example.com";

    // Browsers must use PKCE for magic links.
    let r = page
        .post(
            "/magic_links/email/login_or_create",
            None,
            json!({"email": email}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_type()),
        (400, "pkce_expected_code_challenge")
    );
    // Redirect URLs are checked against the project's list.
    let (_, challenge) = pkce();
    let r = page
        .post(
            "/magic_links/email/login_or_create",
            None,
            json!({"email": email, "code_challenge": challenge,
                   "login_magic_link_url": "https://evil.example/steal"}),
        )
        .await;
    assert_eq!(r.error_type(), "no_match_for_provided_magic_link_url");

    // A link used without its verifier fails, and still works with it afterwards.
    let (verifier, challenge) = pkce();
    page.post(
        "/magic_links/email/login_or_create",
        None,
        json!({"email": email, "code_challenge": challenge}),
    )
    .await
    .data();
    let mail = app.smtp.last_to(email).await;
    assert!(
        mail.body().contains("http://localhost:3000/authenticate?"),
        "the link lands on the app"
    );
    let token = link_token(&mail);
    let r = page
        .post(
            "/magic_links/authenticate",
            None,
            json!({"token": token, "session_duration_minutes": 60}),
        )
        .await;
    assert_eq!(r.error_type(), "pkce_expected_code_verifier");
    let login = page
        .post(
            "/magic_links/authenticate",
            None,
            json!({"token": token, "session_duration_minutes": 60, "code_verifier": verifier}),
        )
        .await;
    let d = login.data().clone();
    assert_eq!(login.allowed_origin(), Some(ORIGIN));
    let session_token = d["session_token"].as_str().unwrap().to_owned();
    assert_eq!(session_token.len(), 44);
    assert!(!d["session_jwt"].as_str().unwrap().is_empty());
    assert_eq!(d["user"]["emails"][0]["verified"], true);
    assert_eq!(d["method_id"], d["user"]["emails"][0]["email_id"]);
    assert_eq!(d["user_id"], d["user"]["user_id"]);
    let expires = d["session"]["expires_at"].as_str().unwrap().to_owned();

    // The 3-minute refresh: `{}` (or no body at all) does not extend.
    let refresh = page
        .post("/sessions/authenticate", Some(&session_token), json!({}))
        .await;
    let r = refresh.data();
    assert_eq!(r["session"]["expires_at"], expires.as_str());
    assert_eq!(r["session_token"], session_token.as_str());
    assert!(!r["session_jwt"].as_str().unwrap().is_empty());
    let no_body = page
        .call(
            Method::POST,
            "/sessions/authenticate",
            Some(&session_token),
            None,
        )
        .await;
    assert_eq!(no_body.data()["session"]["expires_at"], expires.as_str());
    // A duration extends.
    let extended = page
        .post(
            "/sessions/authenticate",
            Some(&session_token),
            json!({"session_duration_minutes": 600}),
        )
        .await;
    assert!(extended.data()["session"]["expires_at"].as_str().unwrap() > expires.as_str());
    let bad = page
        .post(
            "/sessions/authenticate",
            Some(&session_token),
            json!({"session_duration_minutes": "long"}),
        )
        .await;
    assert_eq!((bad.status, bad.error_type()), (400, "bad_request"));

    // The session is the same one the backend API sees.
    let backend = app
        .client
        .sessions()
        .authenticate(
            &tessera_client::proto::sessions::AuthenticateSessionRequest {
                session_token: Some(session_token.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        backend.session.session_id,
        d["session"]["session_id"].as_str().unwrap()
    );

    // Logout: an empty POST body, then the token is dead everywhere.
    let out = page
        .call(Method::POST, "/sessions/revoke", Some(&session_token), None)
        .await;
    assert_eq!(out.data()["status_code"], 200);
    let after = page
        .post("/sessions/authenticate", Some(&session_token), json!({}))
        .await;
    assert_eq!(
        (after.status, after.error_type()),
        (404, "session_not_found")
    );
    // Revoking it again is harmless: the SDK clears its state on success as on this error.
    let again = page
        .call(Method::POST, "/sessions/revoke", Some(&session_token), None)
        .await;
    assert!(again.status == 200 || again.error_type() == "session_not_found");
}

async fn browser_passcode_login_steps_up_and_manages_the_user(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let phone = "+15005550006";
    let sent = page
        .post(
            "/otps/sms/login_or_create",
            None,
            json!({"phone_number": phone, "expiration_minutes": 5}),
        )
        .await;
    let method_id = sent.data()["method_id"].as_str().unwrap().to_owned();
    assert!(method_id.starts_with("phone-number-test-"));
    let code = code_in(&app.sms.last_to("sms", phone).await);
    let wrong = page
        .post(
            "/otps/authenticate",
            None,
            json!({"token": "000000", "method_id": method_id, "session_duration_minutes": 30}),
        )
        .await;
    assert!(wrong.status >= 400);
    let login = page
        .post(
            "/otps/authenticate",
            None,
            json!({"token": code, "method_id": method_id, "session_duration_minutes": 30}),
        )
        .await;
    let d = login.data().clone();
    let token = d["session_token"].as_str().unwrap().to_owned();
    let session_id = d["session"]["session_id"].as_str().unwrap().to_owned();
    assert_eq!(
        d["session"]["authentication_factors"][0]["delivery_method"],
        "sms"
    );

    // Step-up: an email passcode sent to the session's user, then authenticated with the
    // session in the Basic secret: the same session now has both factors.
    let email = "grace@example.com";
    let anon = page
        .post("/otps/email/send/secondary", None, json!({"email": email}))
        .await;
    assert_eq!(anon.error_type(), "unauthorized_credentials");
    let sent = page
        .post(
            "/otps/email/send/secondary",
            Some(&token),
            json!({"email": email}),
        )
        .await;
    let email_id = sent.data()["method_id"].as_str().unwrap().to_owned();
    let code = code_in(&app.smtp.last_to(email).await.body());
    let up = page
        .post(
            "/otps/authenticate",
            Some(&token),
            json!({"token": code, "method_id": email_id, "session_duration_minutes": 30}),
        )
        .await;
    let u = up.data();
    assert_eq!(u["session"]["session_id"], session_id.as_str());
    assert_eq!(
        u["session"]["authentication_factors"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The signed-in user: read, update (only name and untrusted metadata), delete a factor.
    let me = page
        .call(Method::GET, "/users/me", Some(&token), None)
        .await;
    let m = me.data();
    assert_eq!(m["user_id"], d["user_id"]);
    assert_eq!(m["phone_numbers"][0]["phone_number"], phone);
    let upd = page
        .call(
            Method::PUT,
            "/users/me",
            Some(&token),
            Some(
                json!({"name": {"first_name": "Grace"}, "untrusted_metadata": {"theme": "dark"},
                        "trusted_metadata": {"admin": true}}),
            ),
        )
        .await;
    let up = upd.data();
    assert_eq!(up["__user"]["name"]["first_name"], "Grace");
    assert_eq!(up["__user"]["untrusted_metadata"]["theme"], "dark");
    assert!(up["__user"]["trusted_metadata"].get("admin").is_none());
    let other_user = app.login("someone@example.com", 5).await;
    let other_email = &other_user.user.emails[0].email_id;
    let r = page
        .call(
            Method::DELETE,
            &format!("/users/emails/{other_email}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!((r.status, r.error_type()), (404, "email_not_found"));
    let del = page
        .call(
            Method::DELETE,
            &format!("/users/emails/{email_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(del.data()["__user"]["emails"], json!([]));
    let r = page
        .call(
            Method::DELETE,
            "/users/totps/totp-test-x",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.error_type(), "totp_not_found");
    let r = page.call(Method::GET, "/users/me", None, None).await;
    assert_eq!(
        (r.status, r.error_type()),
        (401, "unauthorized_credentials")
    );
}

async fn sends_are_rate_limited_per_destination_and_client(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    let phone = "+15005550100";
    for _ in 0..5 {
        page.post(
            "/otps/sms/login_or_create",
            None,
            json!({"phone_number": phone}),
        )
        .await
        .data();
    }
    let r = page
        .post(
            "/otps/sms/login_or_create",
            None,
            json!({"phone_number": phone}),
        )
        .await;
    assert_eq!((r.status, r.error_type()), (429, "too_many_requests"));
    assert_eq!(r.allowed_origin(), Some(ORIGIN));
    assert_eq!(app.sms.count(), 5, "the refused send sent nothing");
    // One client spraying many destinations is stopped too (30 per 10 minutes).
    let mut refused = None;
    for i in 0..40 {
        let r = page
            .post(
                "/otps/sms/login_or_create",
                None,
                json!({"phone_number": format!("+1500555{:04}", 2000 + i)}),
            )
            .await;
        if r.status == 429 {
            refused = Some(i);
            break;
        }
        r.data();
    }
    assert_eq!(
        refused,
        Some(24),
        "6 + 24 sends from this client (the refused one counts against it), then refused"
    );
    // The backend API is not limited: it is called with the project's secret.
    app.client
        .otps()
        .login_or_create(
            tessera_client::OtpChannel::Sms,
            &tessera_client::proto::otps::OtpSendRequest {
                phone_number: Some(phone.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

async fn public_token_alone_grants_nothing(app: &TestApp) {
    let page = Page::new(app, None);
    for (method, path) in [
        (Method::GET, "/users/me"),
        (Method::POST, "/sessions/authenticate"),
        (Method::POST, "/sessions/revoke"),
    ] {
        let r = page.call(method, path, None, None).await;
        assert_eq!(
            (r.status, r.error_type()),
            (401, "unauthorized_credentials"),
            "{path}"
        );
    }
    // An unknown public token, a backend secret, or no credentials at all.
    let http = reqwest::Client::new();
    for auth in [
        Some("public-token-test-nope:public-token-test-nope".to_string()),
        Some(format!("{}:{}", app.creds.project_id, app.creds.secret)),
        None,
    ] {
        let mut req = http
            .post(app.url("/sdk/v1/sessions/authenticate"))
            .body("{}");
        if let Some(a) = auth {
            req = req.header("authorization", format!("Basic {}", STANDARD.encode(a)));
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error_type"], "unauthorized_credentials");
    }
    // The secret is not a public token: the backend API refuses the public token too.
    let r = http
        .get(app.url("/v1/users/user-test-x"))
        .header(
            "authorization",
            format!(
                "Basic {}",
                STANDARD.encode(format!(
                    "{}:{}",
                    app.creds.project_id, app.creds.public_token
                ))
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// SMS and WhatsApp passcodes exist in more locales than emails: the frontend API checks each
/// channel's own list, as the backend API does (it once checked texts against the email list).
async fn each_channel_takes_its_own_locales(app: &TestApp) {
    let page = Page::new(app, Some(ORIGIN));
    for (i, channel) in ["sms", "whatsapp"].into_iter().enumerate() {
        let phone = format!("+1500555{:04}", 3000 + i);
        for locale in ["de-DE", "zh-Hans", "pt-br"] {
            let r = page
                .post(
                    &format!("/otps/{channel}/login_or_create"),
                    None,
                    json!({"phone_number": phone, "locale": locale}),
                )
                .await;
            assert_eq!(r.status, 200, "{channel} {locale}: {:?}", r.body);
        }
        let r = page
            .post(
                &format!("/otps/{channel}/login_or_create"),
                None,
                json!({"phone_number": phone, "locale": "xx"}),
            )
            .await;
        assert_eq!((r.status, r.error_type()), (400, "invalid_locale"));
    }
    // An email passcode or link in a text-only locale is refused, before anything is sent.
    let r = page
        .post(
            "/otps/email/login_or_create",
            None,
            json!({"email": "locale@example.com", "locale": "de-DE"}),
        )
        .await;
    assert_eq!((r.status, r.error_type()), (400, "invalid_locale"));
    let (_, challenge) = pkce();
    let r = page
        .post(
            "/magic_links/email/login_or_create",
            None,
            json!({"email": "locale@example.com", "locale": "de-DE", "code_challenge": challenge}),
        )
        .await;
    assert_eq!((r.status, r.error_type()), (400, "invalid_locale"));
    assert_eq!(app.smtp.count_to("locale@example.com"), 0);
}
