//! OAuth and OpenID Connect against a real provider (npm `oidc-provider` on loopback), on both
//! backends: sign-up and login through the browser flow, linking by a verified email only,
//! GitHub-style OAuth 2.0 with userinfo, attach, PKCE, and every refusal the issue names
//! (tampered state, another browser, replayed token, a foreign `aud`, a wrong nonce, an
//! unlisted redirect URL); `sessions/migrate` from the provider's userinfo; impersonation.

use std::sync::Arc;

use serde_json::{Value, json};
use tessera_server::model::oauth::ProviderSettings;
use tessera_server::model::project::{PolicyChange, ProjectCredentials};
use tessera_server::service::oauth::config;
use tessera_server::service::projects::{self, NewProject};

use crate::harness::{TestApp, both_backends};
use crate::oidc::OidcProvider;

both_backends!(
    signup_login_link_and_refusals,
    plain_oauth2_attach_pkce_and_delete,
    sessions_migrate_imports_from_userinfo,
    impersonation_is_single_use_and_fixed,
    sandbox_tokens_and_bad_input
);

const LOGIN: &str = "http://app.test/login";
const SIGNUP: &str = "http://app.test/signup";

struct Setup {
    provider: OidcProvider,
    creds: ProjectCredentials,
    http: reqwest::Client,
}

impl Setup {
    async fn new(app: &TestApp) -> Self {
        let callback = format!("{}/v1/public/oauth/callback", app.base_url);
        let client = |id: &str, fault: Option<&str>| {
            json!({"client_id": id, "client_secret": format!("{id}-secret"),
                   "redirect_uris": [callback], "fault": fault})
        };
        let provider = OidcProvider::start(json!([
            client("good", None),
            client("ms", None),
            client("foreign", Some("foreign_aud")),
            client("nonce", Some("bad_nonce")),
            client("plain", None),
        ]));
        let issuer = provider.issuer.clone();
        let creds = projects::create(
            (&app.store, &app.master),
            NewProject {
                name: "oauth".into(),
                redirect_urls: vec![
                    LOGIN.into(),
                    SIGNUP.into(),
                    "http://127.0.0.1/callback".into(),
                ],
                policy: PolicyChange {
                    migrate_userinfo_url: Some(format!("{issuer}/me")),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let oidc = |id: &str| ProviderSettings {
            client_id: id.into(),
            issuer: Some(issuer.clone()),
            ..Default::default()
        };
        let pid = &creds.project_id;
        let set = |name: &'static str, s: ProviderSettings, secret: String| {
            let (store, master) = (app.store.clone(), Arc::clone(&app.master));
            let pid = pid.clone();
            async move {
                config::set(&store, &master, &pid, name, s, &secret)
                    .await
                    .unwrap()
            }
        };
        set("google", oidc("good"), "good-secret".into()).await;
        set("microsoft", oidc("ms"), "ms-secret".into()).await;
        set("linkedin", oidc("foreign"), "foreign-secret".into()).await;
        set("gitlab", oidc("nonce"), "nonce-secret".into()).await;
        let plain = ProviderSettings {
            client_id: "plain".into(),
            scopes: "openid email profile".into(),
            authorization_url: Some(format!("{issuer}/auth")),
            token_url: Some(format!("{issuer}/token")),
            userinfo_url: Some(format!("{issuer}/me")),
            ..Default::default()
        };
        set("github", plain, "plain-secret".into()).await;
        Setup {
            provider,
            creds,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn start_url(&self, app: &TestApp, provider: &str, extra: &str) -> String {
        format!(
            "{}/v1/public/oauth/{provider}/start?public_token={}&login_redirect_url={LOGIN}&signup_redirect_url={SIGNUP}{extra}",
            app.base_url, self.creds.public_token
        )
    }

    /// Logs in as `who` through the whole browser flow; the app URL it lands on.
    async fn land(&self, app: &TestApp, provider: &str, who: &str, extra: &str) -> url::Url {
        let out = self
            .provider
            .login(&self.start_url(app, provider, extra), who, &[])
            .await;
        let to = out["location"]
            .as_str()
            .unwrap_or_else(|| panic!("no redirect to the app: {out}"));
        url::Url::parse(to).unwrap()
    }

    async fn call(&self, app: &TestApp, method: &str, path: &str, body: Value) -> (u16, Value) {
        let req = match method {
            "DELETE" => self.http.delete(app.url(path)),
            "GET" => self.http.get(app.url(path)),
            _ => self.http.post(app.url(path)).json(&body),
        };
        let res = req
            .basic_auth(&self.creds.project_id, Some(&self.creds.secret))
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    async fn post(&self, app: &TestApp, path: &str, body: Value) -> (u16, Value) {
        self.call(app, "POST", path, body).await
    }
}

fn token_of(u: &url::Url) -> String {
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert_eq!(q["stytch_token_type"], "oauth", "{u}");
    q["token"].clone()
}

fn sub_of(login: &str) -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(login.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sub-{}", &hex[..16])
}

async fn signup_login_link_and_refusals(app: &TestApp) {
    let s = Setup::new(app).await;

    // A new user signs up: the signup URL, then a session with the provider's tokens.
    let to = s.land(app, "google", "alice@example.com", "").await;
    assert_eq!(to.path(), "/signup", "{to}");
    let token = token_of(&to);
    assert_eq!(token.len(), 44);
    let body = json!({"token": token, "session_duration_minutes": 60});
    let (st, a) = s.post(app, "/v1/oauth/authenticate", body.clone()).await;
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["provider_type"], "Google");
    assert_eq!(a["provider_subject"], sub_of("alice@example.com"));
    let pv = &a["provider_values"];
    assert!(pv["access_token"].as_str().unwrap().len() > 10, "{pv}");
    assert_eq!(pv["id_token"].as_str().unwrap().split('.').count(), 3);
    assert!(
        pv["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "email")
    );
    let user = &a["user"];
    assert_eq!(user["emails"][0]["email"], "alice@example.com");
    assert_eq!(user["emails"][0]["verified"], true);
    assert_eq!(user["name"]["first_name"], "Alice");
    let reg = a["oauth_user_registration_id"].as_str().unwrap();
    assert_eq!(user["providers"][0]["oauth_user_registration_id"], reg);
    assert_eq!(user["providers"][0]["provider_type"], "Google");
    let f = &a["user_session"]["authentication_factors"][0];
    assert_eq!(
        (f["type"].as_str(), f["delivery_method"].as_str()),
        (Some("oauth"), Some("oauth_google"))
    );
    assert_eq!(f["google_oauth_factor"]["id"], reg);
    assert_eq!(
        f["google_oauth_factor"]["provider_subject"],
        sub_of("alice@example.com")
    );
    assert!(a["session_jwt"].as_str().unwrap().len() > 100);

    // The token works once.
    let (st, e) = s.post(app, "/v1/oauth/authenticate", body).await;
    assert_eq!(
        (st, e["error_type"].as_str()),
        (400, Some("oauth_token_not_found"))
    );

    // Alice again: the login URL, the same user.
    let to = s.land(app, "google", "alice@example.com", "").await;
    assert_eq!(to.path(), "/login");
    let (_, again) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token_of(&to)}),
        )
        .await;
    assert_eq!(again["user_id"], a["user_id"]);
    assert_eq!(again["session_token"], "");

    // A verified provider email links to the user holding it (and verifies it there).
    let (_, bob) = s
        .post(app, "/v1/users", json!({"email": "bob@example.com"}))
        .await;
    let to = s.land(app, "google", "bob@example.com", "").await;
    assert_eq!(to.path(), "/login");
    let (_, b) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token_of(&to)}),
        )
        .await;
    assert_eq!(b["user_id"], bob["user_id"]);
    assert_eq!(b["user"]["emails"][0]["verified"], true);

    // An unverified one does not: a new user, without the address.
    let carol = "unverified-carol@example.com";
    let (_, c0) = s.post(app, "/v1/users", json!({"email": carol})).await;
    let to = s.land(app, "google", carol, "").await;
    assert_eq!(to.path(), "/signup");
    let (_, c) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token_of(&to)}),
        )
        .await;
    assert_ne!(c["user_id"], c0["user_id"]);
    assert_eq!(c["user"]["emails"], json!([]));

    // A second OpenID provider (Microsoft-style): its own registration on the same user.
    let to = s.land(app, "microsoft", "alice@example.com", "").await;
    assert_eq!(to.path(), "/login");
    let (st, m) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token_of(&to), "session_duration_minutes": 5}),
        )
        .await;
    assert_eq!(st, 200, "{m}");
    assert_eq!(m["user_id"], a["user_id"]);
    assert_eq!(m["provider_type"], "Microsoft");
    let f = &m["user_session"]["authentication_factors"][0];
    assert_eq!(
        f["microsoft_oauth_factor"]["provider_subject"],
        sub_of("alice@example.com")
    );
    assert_eq!(m["user"]["providers"].as_array().unwrap().len(), 2);

    // A foreign audience and a wrong nonce are refused on Tessera's page, not redirected.
    for provider in ["linkedin", "gitlab"] {
        let out = s
            .provider
            .login(&s.start_url(app, provider, ""), "mallory@example.com", &[])
            .await;
        assert_eq!(out["status"], 400, "{provider}: {out}");
        assert!(
            out["body"]
                .as_str()
                .unwrap()
                .contains("oauth_flow_callback_error"),
            "{out}"
        );
        assert!(out["location"].is_null());
    }

    // An unlisted redirect URL is refused before the provider is even asked.
    let bad = s
        .start_url(app, "google", "")
        .replace(LOGIN, "https://evil.test/steal");
    let res = s.http.get(&bad).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("invalid_redirect_url"));

    // A tampered state, then the real one from another browser, then replayed: all refused.
    let cb = format!("{}/v1/public/oauth/callback", app.base_url);
    let out = s
        .provider
        .login(
            &s.start_url(app, "google", ""),
            "alice@example.com",
            &["--stop-at-callback", &cb],
        )
        .await;
    let real = out["location"].as_str().unwrap().to_owned();
    let u = url::Url::parse(&real).unwrap();
    let state: String = u
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let tampered = real.replace(&state, &format!("{state}x"));
    let r = s.provider.request(&tampered, &out["cookies"]).await;
    assert_eq!(r["status"], 400, "{r}");
    let r = s.provider.request(&real, &json!({})).await;
    assert_eq!(r["status"], 400, "{r}");
    assert!(
        r["body"].as_str().unwrap().contains("another browser"),
        "{r}"
    );
    let r = s.provider.request(&real, &out["cookies"]).await;
    assert_eq!(r["status"], 400, "{r}");
    assert!(
        r["body"].as_str().unwrap().contains("already finished"),
        "{r}"
    );

    // Two flows started in one browser (two tabs) both finish: one binding cookie per flow.
    let start = s.start_url(app, "google", "");
    let first = s
        .provider
        .login(&start, "alice@example.com", &["--stop-at-callback", &cb])
        .await;
    let mut seeded = vec!["--stop-at-callback".to_owned(), cb.clone()];
    for (host, jar) in first["cookies"].as_object().unwrap() {
        for (name, value) in jar.as_object().unwrap() {
            seeded.push("--cookie".into());
            seeded.push(format!("{host}={name}={}", value.as_str().unwrap()));
        }
    }
    let seeded: Vec<&str> = seeded.iter().map(String::as_str).collect();
    let second = s.provider.login(&start, "bob@example.com", &seeded).await;
    for flow in [&first, &second] {
        let at = flow["location"].as_str().unwrap();
        let r = s.provider.request(at, &second["cookies"]).await;
        assert_eq!(r["status"], 302, "{r}");
        assert!(r["location"].as_str().unwrap().starts_with(LOGIN), "{r}");
    }
}

async fn plain_oauth2_attach_pkce_and_delete(app: &TestApp) {
    let s = Setup::new(app).await;

    // GitHub-style OAuth 2.0: the user from the userinfo call, no id_token.
    let to = s.land(app, "github", "dave@example.com", "").await;
    let (st, d) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token_of(&to), "session_duration_minutes": 30}),
        )
        .await;
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["provider_type"], "GitHub");
    assert_eq!(d["provider_values"]["id_token"], "");
    assert_eq!(d["user"]["emails"][0]["email"], "dave@example.com");
    let f = &d["user_session"]["authentication_factors"][0];
    assert_eq!(f["delivery_method"], "oauth_github");

    // Attach: Dave's session gets a token; the next Google flow logs into Dave, whatever the
    // provider's email.
    let (_, at) = s
        .post(
            app,
            "/v1/oauth/attach",
            json!({"provider": "google", "session_token": d["session_token"]}),
        )
        .await;
    let attach = at["oauth_attach_token"].as_str().unwrap();
    let to = s
        .land(
            app,
            "google",
            "dave.work@example.org",
            &format!("&oauth_attach_token={attach}"),
        )
        .await;
    assert_eq!(to.path(), "/login");
    let (_, g) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token_of(&to)}),
        )
        .await;
    assert_eq!(g["user_id"], d["user_id"]);
    assert_eq!(g["user"]["providers"].as_array().unwrap().len(), 2);
    // An attach token works once.
    let out = s
        .provider
        .login(
            &s.start_url(app, "google", &format!("&oauth_attach_token={attach}")),
            "x@example.com",
            &[],
        )
        .await;
    assert_eq!(out["status"], 400);
    assert!(
        out["body"]
            .as_str()
            .unwrap()
            .contains("invalid_oauth_attach_token")
    );
    for (body, want) in [
        (json!({"provider": "google"}), "no_user_selection_arguments"),
        (
            json!({"provider": "google", "user_id": d["user_id"], "session_token": "x"}),
            "too_many_user_selection_arguments",
        ),
        (
            json!({"provider": "myspace", "user_id": d["user_id"]}),
            "invalid_oauth_provider",
        ),
    ] {
        let (st, e) = s.post(app, "/v1/oauth/attach", body).await;
        assert_eq!((st, e["error_type"].as_str()), (400, Some(want)));
    }

    // PKCE: the token stays unspent until the right verifier comes.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let to = s
        .land(
            app,
            "google",
            "erin@example.com",
            &format!("&code_challenge={challenge}"),
        )
        .await;
    let token = token_of(&to);
    for (v, want) in [
        (None, "pkce_expected_code_verifier"),
        (
            Some("wrong-verifier-wrong-verifier-wrong-verifier"),
            "pkce_mismatch",
        ),
    ] {
        let (st, e) = s
            .post(
                app,
                "/v1/oauth/authenticate",
                json!({"token": token, "code_verifier": v}),
            )
            .await;
        assert_eq!((st, e["error_type"].as_str()), (400, Some(want)));
    }
    let (st, e) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token, "code_verifier": verifier}),
        )
        .await;
    assert_eq!(st, 200, "{e}");

    // Fifty concurrent uses of one token: exactly one session.
    let to = s.land(app, "google", "erin@example.com", "").await;
    let token = token_of(&to);
    let s = Arc::new(s);
    let mut tasks = vec![];
    for _ in 0..50 {
        let (s, url, body) = (
            Arc::clone(&s),
            app.url("/v1/oauth/authenticate"),
            json!({"token": token}),
        );
        tasks.push(tokio::spawn(async move {
            s.http
                .post(url)
                .basic_auth(&s.creds.project_id, Some(&s.creds.secret))
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += u32::from(t.await.unwrap() == 200);
    }
    assert_eq!(ok, 1);

    // Deleting a registration takes it off the user.
    let reg = d["oauth_user_registration_id"].as_str().unwrap();
    let (st, del) = s
        .call(
            app,
            "DELETE",
            &format!("/v1/users/oauth/{reg}"),
            Value::Null,
        )
        .await;
    assert_eq!(st, 200, "{del}");
    assert_eq!(del["user"]["providers"].as_array().unwrap().len(), 1);
    let (st, e) = s
        .call(
            app,
            "DELETE",
            &format!("/v1/users/oauth/{reg}"),
            Value::Null,
        )
        .await;
    assert_eq!(
        (st, e["error_type"].as_str()),
        (404, Some("oauth_user_registration_not_found"))
    );
}

async fn sessions_migrate_imports_from_userinfo(app: &TestApp) {
    let s = Setup::new(app).await;
    // An access token the other provider issued (here through a login at it).
    let (_, existing) = s
        .post(app, "/v1/users", json!({"email": "frank@example.com"}))
        .await;
    let to = s.land(app, "github", "frank@example.com", "").await;
    let (_, a) = s
        .post(
            app,
            "/v1/oauth/authenticate",
            json!({"token": token_of(&to)}),
        )
        .await;
    let access = a["provider_values"]["access_token"].as_str().unwrap();
    let (st, m) = s
        .post(
            app,
            "/v1/sessions/migrate",
            json!({"session_token": access, "session_duration_minutes": 60}),
        )
        .await;
    assert_eq!(st, 200, "{m}");
    assert_eq!(m["user_id"], existing["user_id"]);
    assert!(m["session_token"].as_str().unwrap().len() > 20);
    let f = &m["session"]["authentication_factors"][0];
    assert_eq!(
        (f["type"].as_str(), f["delivery_method"].as_str()),
        (Some("imported"), Some("oauth_access_token_exchange"))
    );
    // The imported session is a session like any other.
    let (st, _) = s
        .post(
            app,
            "/v1/sessions/authenticate",
            json!({"session_token": m["session_token"]}),
        )
        .await;
    assert_eq!(st, 200);
    // A token the provider does not know.
    let (st, e) = s
        .post(
            app,
            "/v1/sessions/migrate",
            json!({"session_token": "not-a-token"}),
        )
        .await;
    assert_eq!(
        (st, e["error_type"].as_str()),
        (401, Some("migrate_from_external_missing_userinfo"))
    );
    // A project without a userinfo URL.
    let (st, e) = s
        .call_as(
            app,
            "/v1/sessions/migrate",
            json!({"session_token": access}),
        )
        .await;
    assert_eq!(
        (st, e["error_type"].as_str()),
        (400, Some("invalid_userinfo_url"))
    );
}

impl Setup {
    /// POST as the test server's first project (no OAuth, no userinfo URL).
    async fn call_as(&self, app: &TestApp, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(app.url(path))
            .basic_auth(&app.creds.project_id, Some(&app.creds.secret))
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }
}

async fn impersonation_is_single_use_and_fixed(app: &TestApp) {
    let s = Setup::new(app).await;
    let (_, u) = s
        .post(app, "/v1/users", json!({"email": "gina@example.com"}))
        .await;
    let mint = json!({"user_id": u["user_id"], "impersonator_email": "support@example.com", "reason": "ticket 42"});
    let (st, t) = s.post(app, "/v1/impersonation/tokens", mint.clone()).await;
    assert_eq!(st, 200, "{t}");
    let token = t["impersonation_token"].as_str().unwrap();
    let (st, a) = s
        .post(
            app,
            "/v1/impersonation/authenticate",
            json!({"impersonation_token": token}),
        )
        .await;
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["user_id"], u["user_id"]);
    let session = &a["session"];
    let f = &session["authentication_factors"][0];
    assert_eq!(
        (f["type"].as_str(), f["delivery_method"].as_str()),
        (Some("impersonated"), Some("impersonation"))
    );
    assert_eq!(
        f["impersonated_factor"]["impersonator_email_address"],
        "support@example.com"
    );
    let started = time::OffsetDateTime::parse(
        session["started_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        session["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - started).whole_minutes(), 60);
    // It cannot be extended.
    let (st, ext) = s
        .post(
            app,
            "/v1/sessions/authenticate",
            json!({"session_token": a["session_token"], "session_duration_minutes": 600}),
        )
        .await;
    assert_eq!(st, 200, "{ext}");
    assert_eq!(ext["session"]["expires_at"], session["expires_at"]);
    // The token works once.
    let (st, e) = s
        .post(
            app,
            "/v1/impersonation/authenticate",
            json!({"impersonation_token": token}),
        )
        .await;
    assert_eq!(
        (st, e["error_type"].as_str()),
        (401, Some("unable_to_auth_impersonation_token"))
    );
    // A reason is required; a project may forbid impersonation altogether.
    let (st, _) = s
        .post(app, "/v1/impersonation/tokens", json!({"user_id": u["user_id"], "impersonator_email": "support@example.com", "reason": ""}))
        .await;
    assert_eq!(st, 400);
    let closed = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "no impersonation".into(),
            policy: PolicyChange {
                impersonation: Some(false),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (_, v) = s
        .http
        .post(app.url("/v1/users"))
        .basic_auth(&closed.project_id, Some(&closed.secret))
        .json(&json!({"email": "hal@example.com"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .map(|v| ((), v))
        .unwrap();
    let res = s
        .http
        .post(app.url("/v1/impersonation/tokens"))
        .basic_auth(&closed.project_id, Some(&closed.secret))
        .json(&json!({"user_id": v["user_id"], "impersonator_email": "support@example.com", "reason": "ticket 43"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["error_type"], "user_impersonation_not_allowed");
}

async fn sandbox_tokens_and_bad_input(app: &TestApp) {
    let s = Setup::new(app).await;
    let (st, a) = s
        .call_as(app, "/v1/oauth/authenticate", json!({"token": "hdPVZHHX0UoRa7hJTuuPHi1vlddffSnoweRbVFf5-H8g", "session_duration_minutes": 60}))
        .await;
    assert_eq!(st, 200, "{a}");
    assert_eq!(
        a["user_id"],
        "user-test-e3795c81-f849-4167-bfda-e4a6e9c280fd"
    );
    let (st, e) = s
        .call_as(
            app,
            "/v1/oauth/authenticate",
            json!({"token": "59cnLELtq5cFVS6uYK9f-pAWzBkhqZl8AvLhbhOvKNWw"}),
        )
        .await;
    assert_eq!(
        (st, e["error_type"].as_str()),
        (400, Some("oauth_token_not_found"))
    );
    for body in [
        json!({}),
        json!({"token": 5}),
        json!({"token": "x".repeat(5000)}),
    ] {
        let (st, e) = s.post(app, "/v1/oauth/authenticate", body).await;
        assert!((400..500).contains(&st), "{e}");
        assert!(e["error_type"].is_string());
    }
    // Start: an unknown provider, one not configured, a reserved provider parameter.
    for (provider, extra, want) in [
        ("myspace", "", "invalid_oauth_provider"),
        ("yahoo", "", "oauth_config_not_found"),
        (
            "google",
            "&provider_redirect_uri=https://evil.test",
            "invalid_argument",
        ),
    ] {
        let res = s
            .http
            .get(s.start_url(app, provider, extra))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains(want), "{provider}");
    }
    // Provider parameters and custom scopes reach the provider's URL.
    let res = s
        .http
        .get(s.start_url(
            app,
            "google",
            "&provider_prompt=consent&custom_scopes=offline_access",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let to = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&s.provider.issuer), "{to}");
    assert!(
        to.contains("prompt=consent") && to.contains("offline_access"),
        "{to}"
    );
    assert!(
        to.contains("code_challenge_method=S256") && to.contains("nonce="),
        "{to}"
    );
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("tessera_oauth_") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

both_backends!(
    official_python_sdk_runs_oauth,
    official_node_sdk_runs_oauth,
    rust_sdk_runs_oauth
);

/// The Rust SDK: the backend client's OAuth, migrate and impersonation calls, and the headless
/// client's loopback login (RFC 8252: the browser comes back to a port the client listens on).
async fn rust_sdk_runs_oauth(app: &TestApp) {
    use tessera_client::headless::HeadlessClient;
    use tessera_client::proto::oauth as w;
    let s = Setup::new(app).await;
    let backend =
        tessera_client::Client::new(&app.base_url, &s.creds.project_id, &s.creds.secret).unwrap();
    let headless = HeadlessClient::builder(&app.base_url, &s.creds.public_token)
        .build()
        .unwrap();
    let login = headless
        .oauth()
        .login_via_loopback("google", 60, std::time::Duration::from_secs(60), |url| {
            s.provider
                .login_in_background(url.to_string(), "rusty@example.com");
        })
        .await
        .unwrap();
    assert_eq!(login.provider_type, "Google");
    assert_eq!(login.provider_subject, sub_of("rusty@example.com"));
    let session = headless
        .session()
        .get_sync()
        .expect("the client holds the session");
    assert_eq!(session.session_id, login.session.session_id);
    assert_eq!(
        session.authentication_factors[0].delivery_method,
        "oauth_google"
    );

    // Backend: attach, migrate, impersonation, delete.
    let user_id = session.user_id.clone();
    let attach = backend
        .oauth()
        .attach(&w::AttachRequest {
            provider: "github".into(),
            user_id: Some(user_id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let start = backend.oauth().start_url(
        "github",
        &s.creds.public_token,
        &[
            ("login_redirect_url", LOGIN),
            ("oauth_attach_token", &attach.oauth_attach_token),
        ],
    );
    let out = s
        .provider
        .login(start.as_str(), "rusty.gh@example.com", &[])
        .await;
    let token = token_of(&url::Url::parse(out["location"].as_str().unwrap()).unwrap());
    let gh = backend
        .oauth()
        .authenticate(&w::AuthenticateRequest {
            token,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(gh.user_id, user_id);
    assert_eq!(gh.user.providers.len(), 2);
    let migrated = backend
        .sessions()
        .migrate(&w::MigrateRequest {
            session_token: login.provider_values.access_token.clone(),
            session_duration_minutes: Some(30),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(migrated.user_id, user_id);
    let minted = backend
        .impersonation()
        .mint(&w::ImpersonationTokenRequest {
            user_id: user_id.clone(),
            impersonator_email: "support@example.com".into(),
            reason: "Rust SDK test".into(),
        })
        .await
        .unwrap();
    let other = HeadlessClient::builder(&app.base_url, &s.creds.public_token)
        .build()
        .unwrap();
    let imp = other
        .impersonation()
        .authenticate(&minted.impersonation_token)
        .await
        .unwrap();
    assert_eq!(imp.authentication_factors[0].factor_type, "impersonated");
    let e = backend
        .impersonation()
        .authenticate(&w::ImpersonationAuthenticateRequest {
            impersonation_token: minted.impersonation_token,
        })
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), Some("unable_to_auth_impersonation_token"));
    let after = backend
        .oauth()
        .delete_registration(&gh.oauth_user_registration_id)
        .await
        .unwrap();
    assert_eq!(after.user.providers.len(), 1);
}

/// Runs an official SDK's OAuth script against the OAuth project, answering its requests for
/// tokens with real browser flows at the provider and minted impersonation tokens.
async fn run_sdk_script(app: &TestApp, program: std::path::PathBuf, script: &str) {
    let s = Setup::new(app).await;
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg(crate::sdk::repo().join(script))
        .env(
            "TESSERA_URL",
            format!("http://127.0.0.1:{}", app.addr.port()),
        )
        .env("PROJECT_ID", &s.creds.project_id)
        .env("SECRET", &s.creds.secret);
    crate::sdk::drive(cmd, async |req: &Value| {
        let to = req["to"].as_str().unwrap();
        match req["need"].as_str().unwrap() {
            "oauth_token" => {
                let mut parts = to.splitn(3, ':');
                let (provider, who) = (parts.next().unwrap(), parts.next().unwrap());
                let extra = parts
                    .next()
                    .map(|t| format!("&oauth_attach_token={t}"))
                    .unwrap_or_default();
                token_of(&s.land(app, provider, who, &extra).await)
            }
            "impersonation_token" => {
                let body = json!({"user_id": to, "impersonator_email": "support@example.com", "reason": "SDK test"});
                let (_, t) = s.post(app, "/v1/impersonation/tokens", body).await;
                t["impersonation_token"].as_str().unwrap().to_owned()
            }
            other => panic!("unknown request {other}"),
        }
    })
    .await;
}

async fn official_python_sdk_runs_oauth(app: &TestApp) {
    let python = crate::sdk::installed(crate::sdk::repo().join("target/sdk-env/python/bin/python"));
    run_sdk_script(app, python, "sdk-tests/python/oauth.py").await;
}

async fn official_node_sdk_runs_oauth(app: &TestApp) {
    crate::sdk::installed(crate::sdk::repo().join("sdk-tests/node/node_modules/stytch"));
    run_sdk_script(app, "node".into(), "sdk-tests/node/oauth.js").await;
}
