//! The hosted login page (`/login`) over plain HTTP, as a browser without JavaScript uses it:
//! the email code and magic-link paths back to the app (a single-use token the app's backend
//! exchanges, or HttpOnly cookies), the project's branding, and every bad visit or form
//! answered with a clear page, never a 500. (`tessera_browser.rs` drives it in Chromium.)

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use tessera_client::Client;
use tessera_client::proto::magic_links::AuthenticateMagicLinkRequest;
use tessera_client::proto::sessions::{AuthenticateSessionRequest, SessionOptions};
use tessera_server::model::project::{CookieMode, PolicyChange, ProjectCredentials};
use tessera_server::service::projects::{self, NewProject};

use crate::delivery::{code_in, link_token};
use crate::harness::{TestApp, both_backends};

both_backends!(
    a_code_on_the_page_hands_the_app_a_single_use_token,
    a_link_goes_straight_to_the_app,
    an_httponly_project_gets_its_session_cookies,
    a_password_on_the_page_and_the_projects_oauth_links,
    the_prebuilt_form_on_the_page_hands_its_session_back,
    a_code_by_text_message_comes_back_too,
    bad_visits_and_forms_get_a_clear_page,
);

const APP: &str = "https://app.example.com/auth";

/// A project that allows [`APP`], with `policy`, and a backend client for it.
async fn project(app: &TestApp, policy: PolicyChange) -> (ProjectCredentials, Client) {
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "Acme <Corp>".into(),
            redirect_urls: vec![APP.into()],
            policy,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let client = Client::new(&app.base_url, &creds.project_id, &creds.secret).unwrap();
    (creds, client)
}

/// A browser without JavaScript: keeps the page's cookie, follows no redirect.
struct Browser {
    http: reqwest::Client,
    base: String,
    public_token: String,
    csrf: String,
}

impl Browser {
    async fn open(app: &TestApp, public_token: &str, query: &str) -> (Self, reqwest::Response) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let url = format!(
            "{}/login?public_token={public_token}&redirect_url={}{query}",
            app.base_url,
            urlencoding(APP)
        );
        let res = http.get(url).send().await.unwrap();
        let csrf = res
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("tessera_login_csrf="))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .unwrap_or_default();
        let b = Browser {
            http,
            base: app.base_url.clone(),
            public_token: public_token.to_owned(),
            csrf,
        };
        (b, res)
    }

    /// Posts the form `path` with the page's hidden fields and `fields`.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![
            ("public_token", self.public_token.as_str()),
            ("redirect_url", APP),
            ("csrf", self.csrf.as_str()),
        ];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("tessera_login_csrf={}", self.csrf))
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

/// The app's backend exchanges a token the page handed back: the session's user.
pub(crate) async fn exchange(
    backend: &Client,
    token: String,
) -> Result<tessera_client::proto::sessions::FactorAuthenticateResponse, tessera_client::ClientError>
{
    backend
        .magic_links()
        .authenticate(&AuthenticateMagicLinkRequest {
            token,
            session: SessionOptions {
                session_duration_minutes: Some(60),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The value of the hidden field `name` in a page.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn alert(html: &str) -> Option<&str> {
    let at = html.find("role=\"alert\">")? + 13;
    Some(&html[at..at + html[at..].find('<')?])
}

async fn a_code_on_the_page_hands_the_app_a_single_use_token(app: &TestApp) {
    let (creds, backend) = project(app, PolicyChange::default()).await;
    let (browser, page) = Browser::open(app, &creds.public_token, "").await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("default-src 'none'")
            && csp.contains("form-action 'self' https://app.example.com"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    // The project's name is escaped, never markup.
    assert!(
        html.contains("Acme &lt;Corp&gt;") && !html.contains("<Corp>"),
        "{html}"
    );
    assert!(!browser.csrf.is_empty());

    let sent = browser
        .post(
            "/login/email",
            &[("email", "ada@example.com"), ("method", "code")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let html = sent.text().await.unwrap();
    assert!(
        html.contains("We sent a 6-digit code to ada@example.com."),
        "{html}"
    );
    let method_id = hidden(&html, "method_id");
    let code = code_in(&app.smtp.last_to("ada@example.com").await.body());

    // A wrong code: the same form again, with the error announced.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let again = browser
        .post("/login/code", &[("method_id", &method_id), ("code", wrong)])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let html = again.text().await.unwrap();
    assert_eq!(
        alert(&html),
        Some("That code is not right, or it has expired.")
    );
    assert_eq!(hidden(&html, "method_id"), method_id);

    let done = browser
        .post("/login/code", &[("method_id", &method_id), ("code", &code)])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let location = url::Url::parse(done.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(APP), "{location}");
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["stytch_token_type"], "magic_links");

    // The app's backend exchanges the token once, for a session of the user.
    let session = exchange(&backend, q["token"].clone()).await.unwrap();
    assert_eq!(session.user.emails[0].email, "ada@example.com");
    assert!(session.user.emails[0].verified);
    assert!(!session.session_token.is_empty());
    assert!(exchange(&backend, q["token"].clone()).await.is_err());
    // The code itself is spent too.
    let replay = browser
        .post("/login/code", &[("method_id", &method_id), ("code", &code)])
        .await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
}

async fn a_link_goes_straight_to_the_app(app: &TestApp) {
    let (creds, backend) = project(app, PolicyChange::default()).await;
    let (browser, _) = Browser::open(app, &creds.public_token, "&locale=fr").await;
    let sent = browser
        .post(
            "/login/email",
            &[
                ("email", "grace@example.com"),
                ("method", "link"),
                ("locale", "fr"),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let html = sent.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Consultez vos e-mails"), "{html}");
    let mail = app.smtp.last_to("grace@example.com").await;
    assert!(
        mail.body()
            .contains(&format!("{APP}?stytch_token_type=magic_links&token="))
    );
    let session = backend
        .magic_links()
        .authenticate(&AuthenticateMagicLinkRequest {
            token: link_token(&mail),
            session: SessionOptions {
                session_duration_minutes: Some(30),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(session.user.emails[0].email, "grace@example.com");
}

/// The token of a 303 back to the app.
fn token_of(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = url::Url::parse(res.headers()[LOCATION].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(APP), "{location}");
    location
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("a token")
}

async fn a_password_on_the_page_and_the_projects_oauth_links(app: &TestApp) {
    let (creds, backend) = project(app, PolicyChange::default()).await;
    tessera_server::service::oauth::config::set(
        &app.store,
        &app.master,
        &creds.project_id,
        "google",
        tessera_server::model::oauth::ProviderSettings {
            client_id: "hosted-client".into(),
            ..Default::default()
        },
        "hosted-secret",
    )
    .await
    .unwrap();
    let (browser, page) = Browser::open(app, &creds.public_token, "").await;
    let html = page.text().await.unwrap();
    let start = format!(
        "href=\"&#x2f;v1&#x2f;public&#x2f;oauth&#x2f;google&#x2f;start?public_token={}&amp;login_redirect_url={}",
        creds.public_token,
        urlencoding(APP)
    );
    assert!(
        html.contains(&start) && html.contains(">Continue with Google</a>"),
        "{html}"
    );

    let email = ("email", "pat@example.com");
    let html = browser
        .post("/login/email", &[email, ("method", "password")])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Enter your password") && html.contains("autocomplete=\"current-password\"")
    );
    let weak = browser
        .post(
            "/login/password",
            &[email, ("password", "abc"), ("action", "create")],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        alert(&weak.text().await.unwrap()),
        Some("Choose a stronger password.")
    );
    let strong = "hosted-page-Passphrase-2026";
    let made = browser
        .post(
            "/login/password",
            &[email, ("password", strong), ("action", "create")],
        )
        .await;
    let first = exchange(&backend, token_of(&made)).await.unwrap();
    assert_eq!(first.user.emails[0].email, "pat@example.com");
    let again = browser
        .post(
            "/login/password",
            &[email, ("password", strong), ("action", "create")],
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(
        alert(&again.text().await.unwrap())
            .unwrap()
            .starts_with("An account with this email")
    );
    let wrong = browser
        .post(
            "/login/password",
            &[
                email,
                ("password", "not-the-Passphrase-2026"),
                ("action", "login"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        alert(&wrong.text().await.unwrap()),
        Some("That email and password do not match.")
    );
    let right = browser
        .post(
            "/login/password",
            &[email, ("password", strong), ("action", "login")],
        )
        .await;
    let second = exchange(&backend, token_of(&right)).await.unwrap();
    assert_eq!(second.user_id, first.user_id);
}

/// With script on, the page runs the prebuilt form: it calls the frontend API from Tessera's own
/// origin (authorized for every project, and only it), then posts its session to
/// `/login/handback`, which ends it and hands the app a token.
async fn the_prebuilt_form_on_the_page_hands_its_session_back(app: &TestApp) {
    let (creds, backend) = project(app, PolicyChange::default()).await;
    let (browser, page) = Browser::open(app, &creds.public_token, "").await;
    let csp = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<script src=\"/login/ui.js\" defer></script>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("\"publicToken\":\"{}\"", creds.public_token)),
        "{html}"
    );
    let js = reqwest::get(app.url("/login/ui.js")).await.unwrap();
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.text().await.unwrap().contains("mountLogin"));

    // The frontend API from the page's origin (the server's own), and not from another.
    let own = app.base_url.clone();
    let sdk = |path: &str, origin: &str, body: serde_json::Value| {
        reqwest::Client::new()
            .post(app.url(&format!("/sdk/v1{path}")))
            .basic_auth(&creds.public_token, Some(&creds.public_token))
            .header("origin", origin)
            .json(&body)
            .send()
    };
    let email = serde_json::json!({"email": "js@example.com"});
    let foreign = sdk(
        "/otps/email/login_or_create",
        "https://evil.example",
        email.clone(),
    )
    .await
    .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let sent = sdk("/otps/email/login_or_create", &own, email)
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    let method_id = sent.json::<serde_json::Value>().await.unwrap()["data"]["method_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = code_in(&app.smtp.last_to("js@example.com").await.body());
    let body =
        serde_json::json!({"token": code, "method_id": method_id, "session_duration_minutes": 60});
    let logged = sdk("/otps/authenticate", &own, body).await.unwrap();
    assert_eq!(logged.status(), StatusCode::OK);
    let page_session = logged.json::<serde_json::Value>().await.unwrap()["data"]["session_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let back = browser
        .post("/login/handback", &[("session_token", &page_session)])
        .await;
    let token = token_of(&back);
    let exchanged = exchange(&backend, token).await.unwrap();
    assert_eq!(exchanged.user.emails[0].email, "js@example.com");
    // The page's own session is over, so it cannot be handed back twice.
    let page_alive = backend
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(page_session.clone()),
            ..Default::default()
        })
        .await;
    assert!(page_alive.is_err());
    let again = browser
        .post("/login/handback", &[("session_token", &page_session)])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("This page has expired.")
    );
}

async fn a_code_by_text_message_comes_back_too(app: &TestApp) {
    let (creds, backend) = project(app, PolicyChange::default()).await;
    let (browser, page) = Browser::open(app, &creds.public_token, "").await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("name=\"phone\" type=\"tel\"")
            && html.contains("Continue with a text message")
    );
    let bad = browser
        .post("/login/email", &[("phone", "555"), ("method", "sms")])
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let html = bad.text().await.unwrap();
    assert!(
        alert(&html)
            .unwrap()
            .starts_with("Enter the phone number with its country code")
    );
    assert!(html.contains("value=\"555\""));
    let phone = "+15555550123";
    let sent = browser
        .post("/login/email", &[("phone", phone), ("method", "sms")])
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let html = sent.text().await.unwrap();
    assert!(
        html.contains(&format!("We sent a 6-digit code to {phone}.")),
        "{html}"
    );
    let code = code_in(&app.sms.last_to("sms", phone).await);
    let method_id = hidden(&html, "method_id");
    let done = browser
        .post("/login/code", &[("method_id", &method_id), ("code", &code)])
        .await;
    let session = exchange(&backend, token_of(&done)).await.unwrap();
    assert_eq!(session.user.phone_numbers[0].phone_number, phone);

    // The same number by WhatsApp: the same user.
    let sent = browser
        .post("/login/email", &[("phone", phone), ("method", "whatsapp")])
        .await;
    let html = sent.text().await.unwrap();
    let code = code_in(&app.sms.last_to("whatsapp", phone).await);
    let method_id = hidden(&html, "method_id");
    let done = browser
        .post("/login/code", &[("method_id", &method_id), ("code", &code)])
        .await;
    let again = exchange(&backend, token_of(&done)).await.unwrap();
    assert_eq!(again.user_id, session.user_id);
}

async fn an_httponly_project_gets_its_session_cookies(app: &TestApp) {
    let (creds, backend) = project(
        app,
        PolicyChange {
            cookie_mode: Some(CookieMode::Httponly),
            cookie_domain: Some("example.com".into()),
            ..Default::default()
        },
    )
    .await;
    let (browser, _) = Browser::open(app, &creds.public_token, "").await;
    let html = browser
        .post(
            "/login/email",
            &[("email", "lin@example.com"), ("method", "code")],
        )
        .await
        .text()
        .await
        .unwrap();
    let method_id = hidden(&html, "method_id");
    let code = code_in(&app.smtp.last_to("lin@example.com").await.body());
    let done = browser
        .post("/login/code", &[("method_id", &method_id), ("code", &code)])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()[LOCATION], APP);
    let cookies: Vec<String> = done
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let token = cookies
        .iter()
        .find_map(|c| c.strip_prefix("stytch_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("a session cookie");
    for c in &cookies {
        assert!(
            c.contains("HttpOnly") && c.contains("Secure") && c.contains("Domain=example.com"),
            "{c}"
        );
    }
    assert!(cookies.iter().any(|c| c.starts_with("stytch_session_jwt=")));
    let s = backend
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(token),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(s.user.emails[0].email, "lin@example.com");
}

async fn bad_visits_and_forms_get_a_clear_page(app: &TestApp) {
    let (creds, _) = project(
        app,
        PolicyChange {
            brand_primary_color: Some("#facc15".into()),
            brand_background_color: Some("#0f172a".into()),
            brand_logo_url: Some("https://cdn.example.com/acme.svg".into()),
            ..Default::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        async move {
            let res = http
                .get(format!("{}{path}", app.base_url))
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let invalid = "This login page was opened with a link that is not valid.";
    let pt = &creds.public_token;
    for path in [
        "/login".to_owned(),
        format!("/login?public_token={pt}"),
        format!("/login?public_token={pt}&redirect_url=https%3A%2F%2Fevil.example%2F"),
        format!("/login?public_token={pt}&redirect_url=javascript%3Aalert(1)"),
        "/login?public_token=public-token-test-nope&redirect_url=https%3A%2F%2Fapp.example.com%2Fauth"
            .to_owned(),
        "/login?public_token=%00%ff&redirect_url=%zz".to_owned(),
    ] {
        let (status, html) = get(path.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(html.contains(invalid), "{path}: {html}");
    }

    // The branding: the logo, and colours as CSS variables (button text readable on yellow).
    let (browser, page) = Browser::open(app, pt, "").await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("src=\"https:&#x2f;&#x2f;cdn.example.com&#x2f;acme.svg\""),
        "{html}"
    );
    let (_, css) = get(format!("/login/brand.css?public_token={pt}")).await;
    assert!(css.contains("--tsr-primary-bg:#facc15") && css.contains("--tsr-primary-text:#111827"));
    assert!(css.contains("--tsr-page:#0f172a"), "{css}");
    let (status, css) = get("/login/brand.css?public_token=nope".into()).await;
    assert_eq!((status, css.as_str()), (StatusCode::OK, ""));

    // Forms: a bad address, a form from another page (no or another CSRF value), garbage.
    let bad = browser
        .post(
            "/login/email",
            &[("email", "not an email"), ("method", "code")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let html = bad.text().await.unwrap();
    assert_eq!(alert(&html), Some("Enter a valid email address."));
    assert!(html.contains("value=\"not an email\""));
    let forged = Browser {
        csrf: "forged".into(),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: app.base_url.clone(),
        public_token: pt.clone(),
    };
    for path in ["/login/email", "/login/code"] {
        let res = http
            .post(format!("{}{path}", app.base_url))
            .form(&[
                ("public_token", pt.as_str()),
                ("redirect_url", APP),
                ("csrf", &browser.csrf),
                ("email", "ada@example.com"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} without the cookie"
        );
        assert!(res.text().await.unwrap().contains("This page has expired."));
    }
    let res = http
        .post(format!("{}/login/email", app.base_url))
        .header("cookie", format!("tessera_login_csrf={}", browser.csrf))
        .form(&[
            ("public_token", pt.as_str()),
            ("redirect_url", APP),
            ("csrf", &forged.csrf),
            ("email", "ada@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.smtp.count_to("ada@example.com"), 0);
    for body in ["%%%", "public_token=a&public_token=b", "\u{0}"] {
        let res = http
            .post(format!("{}/login/code", app.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        assert!(res.text().await.unwrap().contains(invalid));
    }
    // A code form with no code or no method: the form again with an error, nothing spent.
    let res = browser.post("/login/code", &[("method_id", "")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(alert(&res.text().await.unwrap()).is_some());
}
