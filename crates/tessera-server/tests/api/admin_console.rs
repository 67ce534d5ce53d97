//! The admin console over HTTP, on both backends, as an operator uses it: off unless `--admin`;
//! an administrator made by `tessera admin create`; logins with password and authenticator
//! code (wrong ones, a reused code and too many attempts refused); forms refused without the
//! session's CSRF value; a project created and configured; a user found, their session
//! revoked, impersonated and deleted; logout. (`prebuilt_ui.rs` drives the pages in Chromium.)

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use tessera_client::Client;
use tessera_client::proto::sessions::AuthenticateSessionRequest;
use totp_rs::TOTP;

use crate::harness::{
    Backend, TestApp, both_backends, fresh_database, spawn_with, tessera_command,
};

both_backends!(the_console_is_off_unless_asked_for);

async fn the_console_is_off_unless_asked_for(app: &TestApp) {
    for path in ["/admin", "/admin/login"] {
        let res = reqwest::get(app.url(path)).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error_type"], "route_not_found");
    }
}

mod an_operator_runs_the_console {
    #[tokio::test(flavor = "multi_thread")]
    async fn sqlite() {
        super::operator(super::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread")]
    async fn postgres() {
        super::operator(super::Backend::Postgres).await;
    }
}

/// A server with the console on.
pub(crate) async fn spawn_console(backend: Backend) -> TestApp {
    let (database, dir) = fresh_database(backend);
    let mut config = tessera_server::Config::for_tests(database);
    config.admin = true;
    spawn_with(config, dir).await
}

/// `tessera admin create EMAIL --password-stdin` against the app's database: the TOTP.
pub(crate) fn create_admin(app: &TestApp, email: &str, password: &str) -> TOTP {
    use std::io::Write;
    let mut child = tessera_command(
        &app.database,
        &["admin", "create", email, "--password-stdin"],
    )
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("Administrator {email} created.")),
        "{stdout}"
    );
    assert!(
        !stdout.contains(password),
        "a given password is never printed"
    );
    let uri = stdout
        .lines()
        .find(|l| l.starts_with("otpauth://totp/"))
        .expect("an otpauth URI");
    TOTP::from_url_unchecked(uri).unwrap()
}

/// A browser without script on the console: its session cookie and CSRF value.
pub(crate) struct Console {
    http: reqwest::Client,
    base: String,
    cookie: String,
    pub(crate) csrf: String,
}

impl Console {
    pub(crate) fn new(app: &TestApp) -> Self {
        Console {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base_url.clone(),
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    pub(crate) async fn login(
        &mut self,
        email: &str,
        password: &str,
        code: &str,
    ) -> reqwest::Response {
        let res = self
            .http
            .post(format!("{}/admin/login", self.base))
            .form(&[("email", email), ("password", password), ("code", code)])
            .send()
            .await
            .unwrap();
        if let Some(c) = res.headers().get(SET_COOKIE) {
            let c = c.to_str().unwrap();
            for attr in [
                "HttpOnly",
                "Secure",
                "SameSite=Strict",
                "Path=/admin",
                "Max-Age=1800",
            ] {
                assert!(c.contains(attr), "{c}");
            }
            self.cookie = c.split(';').next().unwrap().to_owned();
            let (_, html) = self.get("/admin").await;
            self.csrf = hidden(&html, "csrf");
        }
        res
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    /// Posts a form with the session's CSRF value.
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The values a once page shows, by label.
fn shown(html: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for part in html.split("<p><strong>").skip(1) {
        let label = &part[..part.find('<').unwrap()];
        let start = part.find("class=\"once\">").unwrap() + 13;
        let value = &part[start..start + part[start..].find('<').unwrap()];
        out.insert(
            label.to_owned(),
            value.replace("&#x2f;", "/").replace("&#x3d;", "="),
        );
    }
    out
}

fn location(res: &reqwest::Response) -> String {
    res.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn operator(backend: Backend) {
    crate::security_log::lines();
    let app = spawn_console(backend).await;
    let password = "correct horse battery staple";
    let totp = create_admin(&app, "ops@example.com", password);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };

    // Not logged in: every page sends to the login page.
    let mut c = Console::new(&app);
    for path in ["/admin", "/admin/projects", "/admin/projects/x/users"] {
        let res = c
            .http
            .get(format!("{}{path}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/admin/login");
    }
    let (status, html) = c.get("/admin/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Authenticator code"));

    // Wrong password, wrong code: the same refusal.
    for (pw, code) in [
        ("wrong password!", totp.generate(now())),
        (password, "000000".into()),
    ] {
        let res = c.login("ops@example.com", pw, &code).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("do not match an administrator")
        );
    }
    let code = totp.generate(now());
    let res = c.login("ops@example.com", password, &code).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin");
    // The same code again (another browser): refused.
    let mut other = Console::new(&app);
    let res = other.login("ops@example.com", password, &code).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = c
        .http
        .get(format!("{}/admin", c.base))
        .header("cookie", &c.cookie)
        .send()
        .await
        .unwrap();
    let csp = res.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(res.text().await.unwrap().contains("<h1>Overview</h1>"));

    // A form without the session's CSRF value changes nothing.
    let forged = c
        .http
        .post(format!("{}/admin/projects", c.base))
        .header("cookie", &c.cookie)
        .form(&[("name", "Forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(!c.get("/admin/projects").await.1.contains("Forged"));

    // A project: its credentials shown once, and they work.
    let res = c
        .post(
            "/admin/projects",
            &[("name", "Acme <Shop>"), ("environment", "test")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let once = shown(&res.text().await.unwrap());
    let (pid, secret, public_token) = (&once["Project id"], &once["Secret"], &once["Public token"]);
    let backend_client = Client::new(&app.base_url, pid, secret).unwrap();
    let (_, list) = c.get("/admin/projects").await;
    assert!(list.contains("Acme &lt;Shop&gt;") && list.contains(pid.as_str()));

    // URLs and policy; a bad value shows an error and changes nothing.
    let app_url = "https://shop.example.com/auth";
    let res = c
        .post(
            &format!("/admin/projects/{pid}/urls"),
            &[
                ("redirect_urls", &format!("{app_url}\n\n")),
                ("authorized_origins", "https://shop.example.com"),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("/admin/projects/{pid}?done=saved"));
    let hosted = reqwest::get(app.url(&format!(
        "/login?public_token={public_token}&redirect_url={}",
        url::form_urlencoded::byte_serialize(app_url.as_bytes()).collect::<String>()
    )))
    .await
    .unwrap();
    assert_eq!(
        hosted.status(),
        StatusCode::OK,
        "the hosted page takes the new redirect URL"
    );
    let bad = c
        .post(
            &format!("/admin/projects/{pid}/policy"),
            &[("brand_primary_color", "red")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("#rrggbb"));
    let res = c
        .post(
            &format!("/admin/projects/{pid}/policy"),
            &[
                ("session_idle_timeout_minutes", "30"),
                ("session_max_lifetime_minutes", "0"),
                ("recent_auth_minutes", "10"),
                ("password_strength", "luds"),
                ("cookie_mode", "readable"),
                ("cookie_domain", ""),
                ("brand_primary_color", "#7C3AED"),
                ("brand_logo_url", ""),
                ("brand_background_color", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get(&format!("/admin/projects/{pid}")).await;
    assert!(
        page.contains("value=\"30\"") && page.contains("value=\"#7c3aed\""),
        "{page}"
    );
    assert!(page.contains("<option value=\"luds\" selected>"));

    // Secrets: a second one works, the first can then go.
    let res = c.post(&format!("/admin/projects/{pid}/secrets"), &[]).await;
    let second = shown(&res.text().await.unwrap())["Secret"].clone();
    let by_second = Client::new(&app.base_url, pid, &second).unwrap();
    let login = crate::harness::login(&by_second, &app.smtp, "shopper@example.com", 60).await;
    let first_id = {
        let (_, page) = c.get(&format!("/admin/projects/{pid}")).await;
        let at = page.find("secret-id-").unwrap();
        page[at..at + 22].to_owned()
    };
    let res = c
        .post(
            &format!("/admin/projects/{pid}/secrets/{first_id}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get(&format!("/admin/projects/{pid}")).await;
    assert!(!page.contains(&first_id), "{first_id} still listed");
    let _ = backend_client;
    let res = c
        .post(&format!("/admin/projects/{pid}/keys/rotate"), &[])
        .await;
    assert_eq!(
        location(&res),
        format!("/admin/projects/{pid}?done=rotated")
    );

    // The overview counts the sign-in.
    let (_, overview) = c.get("/admin").await;
    assert!(
        overview.contains("Acme &lt;Shop&gt;</a></td><td>1</td>"),
        "{overview}"
    );

    // The user: found, their session revoked, impersonated, deleted.
    let uid = login.user_id.clone();
    let (_, found) = c
        .get(&format!("/admin/projects/{pid}/users?email=SHOPPER"))
        .await;
    assert!(found.contains(&uid) && found.contains("1 user"), "{found}");
    let (_, user) = c.get(&format!("/admin/projects/{pid}/users/{uid}")).await;
    let sid = &login.session.as_ref().unwrap().session_id;
    assert!(user.contains("shopper@example.com (verified)") && user.contains(sid.as_str()));
    assert!(user.contains("session.created"), "the timeline");
    let res = c
        .post(
            &format!("/admin/projects/{pid}/users/{uid}/sessions/{sid}/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let gone = by_second
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(login.session_token.clone()),
            ..Default::default()
        })
        .await;
    assert!(gone.is_err(), "the revoked session no longer authenticates");
    let res = c
        .post(
            &format!("/admin/projects/{pid}/users/{uid}/impersonate"),
            &[("reason", "ticket 4242")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!shown(&res.text().await.unwrap())["Impersonation token"].is_empty());
    let res = c
        .post(
            &format!("/admin/projects/{pid}/users/{uid}/delete"),
            &[("confirm", "nope")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = c
        .post(
            &format!("/admin/projects/{pid}/users/{uid}/delete"),
            &[("confirm", &uid)],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("/admin/projects/{pid}/users?done=deleted")
    );
    assert!(by_second.users().get(&uid).await.is_err());

    // Logout ends the session: the old cookie is refused.
    let res = c.post("/admin/logout", &[]).await;
    assert_eq!(location(&res), "/admin/login");
    let res = c
        .http
        .get(format!("{}/admin", c.base))
        .header("cookie", &c.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Every action is in the security log, with the administrator and the impersonation's
    // reason, and no password, code or secret anywhere in it.
    let events = crate::security_log::all_events();
    let actions: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "admin_action" && e["project_id"] == pid.as_str())
        .map(|e| {
            assert_eq!(e["admin"], "ops@example.com");
            e["action"].as_str().unwrap().to_owned()
        })
        .collect();
    for a in [
        "project_create",
        "project_urls",
        "project_policy",
        "secret_create",
        "secret_delete",
        "keys_rotate",
        "session_revoke",
        "impersonate",
        "user_delete",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not in {actions:?}");
    }
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "impersonate" && e["detail"] == "ticket 4242")
    );
    let logins: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "admin_login" && e["admin"] == "ops@example.com")
        .collect();
    assert!(logins.iter().any(|e| e["ok"] == true));
    assert!(logins.iter().any(|e| e["reason"] == "wrong_password"));
    assert!(logins.iter().any(|e| e["reason"] == "code_reused"));
    let text = String::from_utf8_lossy(&crate::security_log::lines().lock().unwrap()).into_owned();
    for secret in [password, code.as_str(), second.as_str(), c.csrf.as_str()] {
        assert!(!text.contains(secret), "a secret in the log");
    }

    // Too many attempts from one client: refused before any check.
    let mut last = StatusCode::OK;
    for _ in 0..12 {
        last = other
            .login("ops@example.com", "wrong password!", "123456")
            .await
            .status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}
