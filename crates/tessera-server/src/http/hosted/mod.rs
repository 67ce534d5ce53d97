//! The hosted login page: `GET /login`, its two forms (`POST /login/email`, `POST /login/code`)
//! and stylesheets, as server-rendered HTML that works without JavaScript. The strings and the
//! stylesheet are the prebuilt UI's (`sdk/js/scripts/hosted-assets.mjs` copies them here), the
//! decisions `service::hosted`'s.

mod screen;

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cookie::{Cookie, SameSite};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::extract::Client;
use crate::crypto;
use crate::error::ErrorType;
use crate::model::Timestamp;
use crate::model::user::EmailAddress;
use crate::service::factors::{Channel, Destination};
use crate::service::hosted::{self, Handback, Visit};
use crate::state::AppState;
use screen::{HOSTED_JS, PAGE_CSS, Screen, UI_CSS, UI_JS, css, language, script, shown, text_on};

/// The double-submit cookie that ties a form to the browser that loaded it.
const CSRF_COOKIE: &str = "tessera_login_csrf";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(page))
        .route("/login/email", post(email))
        .route("/login/code", post(code))
        .route("/login/password", post(password))
        .route("/login/handback", post(handback))
        .route("/login/ui.js", get(|| async { script(UI_JS) }))
        .route("/login/hosted.js", get(|| async { script(HOSTED_JS) }))
        .route("/login/ui.css", get(|| async { css(UI_CSS.to_owned()) }))
        .route(
            "/login/page.css",
            get(|| async { css(PAGE_CSS.to_owned()) }),
        )
        .route("/login/brand.css", get(brand))
}

#[derive(Deserialize, Default)]
struct VisitParams {
    public_token: Option<String>,
    redirect_url: Option<String>,
    locale: Option<String>,
}

#[derive(Deserialize, Default)]
struct EmailForm {
    #[serde(flatten)]
    visit: VisitParams,
    csrf: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    method: Option<String>,
}

#[derive(Deserialize, Default)]
struct PasswordForm {
    #[serde(flatten)]
    visit: VisitParams,
    csrf: Option<String>,
    email: Option<String>,
    password: Option<String>,
    action: Option<String>,
}

#[derive(Deserialize, Default)]
struct HandbackForm {
    #[serde(flatten)]
    visit: VisitParams,
    csrf: Option<String>,
    session_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct CodeForm {
    #[serde(flatten)]
    visit: VisitParams,
    csrf: Option<String>,
    email: Option<String>,
    method_id: Option<String>,
    code: Option<String>,
}

/// The visit the parameters name, or the page that says the link is not valid.
async fn visit_of(
    app: &AppState,
    params: &VisitParams,
    lang: &'static str,
) -> Result<Visit, Response> {
    let (Some(token), Some(url)) = (&params.public_token, &params.redirect_url) else {
        return Err(invalid(params, lang, StatusCode::BAD_REQUEST));
    };
    hosted::visit((app.store(), &app.projects), token, url)
        .await
        .map_err(|e| match e.kind() {
            ErrorType::DatabaseUnavailable => {
                let mut s = Screen::new("invalid", params, lang, "");
                s.error = Some("error.generic");
                s.render(StatusCode::SERVICE_UNAVAILABLE)
            }
            _ => invalid(params, lang, StatusCode::BAD_REQUEST),
        })
}

fn invalid(params: &VisitParams, lang: &'static str, status: StatusCode) -> Response {
    let mut s = Screen::new("invalid", params, lang, "");
    s.error = Some("hosted.invalid");
    s.render(status)
}

fn csrf_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(|c| c.ok())
        .find(|c| c.name() == CSRF_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// Whether the form came from a page this browser loaded: its `csrf` field equals the cookie.
fn same_browser(headers: &HeaderMap, field: Option<&str>) -> bool {
    match (csrf_cookie(headers), field) {
        (Some(c), Some(f)) => c.len() == f.len() && bool::from(c.as_bytes().ct_eq(f.as_bytes())),
        _ => false,
    }
}

/// The visit a form names and the page's language, once the form is shown to come from a page
/// this browser loaded; else the page that says why not.
async fn form_visit(
    app: &AppState,
    headers: &HeaderMap,
    params: &VisitParams,
    csrf: Option<&str>,
) -> Result<(Visit, &'static str), Box<Response>> {
    let lang = language(params.locale.as_deref(), headers);
    let visit = visit_of(app, params, lang).await.map_err(Box::new)?;
    if !same_browser(headers, csrf) {
        return Err(Box::new(expired(params, &visit, lang)));
    }
    Ok((visit, lang))
}

fn expired(params: &VisitParams, visit: &Visit, lang: &'static str) -> Response {
    let mut s = Screen::new("invalid", params, lang, "");
    s.visit = Some(visit);
    s.error = Some("hosted.expired");
    s.render(StatusCode::FORBIDDEN)
}

/// `GET /login?public_token=…&redirect_url=…[&locale=fr]`: the email form.
async fn page(
    State(app): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    query: Result<Query<VisitParams>, QueryRejection>,
) -> Response {
    let params = query.map(|q| q.0).unwrap_or_default();
    let lang = language(params.locale.as_deref(), &headers);
    let visit = match visit_of(&app, &params, lang).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let oauth = match hosted::oauth_links(app.store(), &visit).await {
        Ok(links) => links,
        Err(e) => {
            let (key, status) = shown(&e);
            let mut s = Screen::new("invalid", &params, lang, "");
            s.error = Some(key);
            return s.render(status);
        }
    };
    let csrf = csrf_cookie(&headers).unwrap_or_else(|| crypto::random_b64_nopad(32));
    let mut s = Screen::new("main", &params, lang, &csrf);
    s.visit = Some(&visit);
    s.texts = texts_possible(&app, &visit);
    s.script = Some(serde_json::json!({
        "sms": s.texts,
        "passkeyDomain": passkey_domain(&visit, headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or_else(|| uri.authority().map(|a| a.as_str()))),
        "publicToken": visit.project.public_token,
        "redirectUrl": visit.redirect_url,
        "lang": lang,
        "csrf": csrf,
        "projectName": visit.project.name,
        "logo": visit.project.policy.branding.logo_url,
        "cookieMode": visit.project.policy.cookies.mode.as_str(),
        "oauth": oauth.iter().map(|(name, _, _)| name).collect::<Vec<_>>(),
    }));
    s.oauth = oauth
        .into_iter()
        .map(|(_, name, href)| (name, href))
        .collect();
    let mut res = s.render(StatusCode::OK);
    let c = Cookie::build((CSRF_COOKIE, csrf.clone()))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/login")
        .build();
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The relying-party id passkeys use on the page: the most general of the project's WebAuthn
/// domains that the page's host is or is under (so a passkey made on `app.example.com` for
/// `example.com` works on `auth.example.com`); none: the page offers no passkey. The page's
/// own host counts among the defaults, as the frontend API takes its origin as the project's.
fn passkey_domain(visit: &Visit, host: Option<&str>) -> Option<String> {
    let host = host?;
    let host = host
        .rsplit_once(':')
        .map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        })
        .to_ascii_lowercase();
    let mut project = (*visit.project).clone();
    project.authorized_origins.push(format!("https://{host}"));
    crate::service::webauthn::allowed_domains(&project)
        .into_iter()
        .filter(|d| host == *d || host.ends_with(&format!(".{d}")))
        .min_by_key(String::len)
}

/// Whether the page offers codes by text message: the server can send the project texts.
fn texts_possible(app: &AppState, visit: &Visit) -> bool {
    let live = visit.project.env == crate::model::Environment::Live;
    app.delivery.texts_possible(live)
}

/// `POST /login/email`: sends the link (`method=link`), an email code (`method=code`), a code
/// by text message (`method=sms` or `whatsapp`, with `phone`), or shows the password form
/// (`method=password`).
async fn email(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<EmailForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let (visit, lang) = match form_visit(&app, &headers, &f.visit, f.csrf.as_deref()).await {
        Ok(v) => v,
        Err(res) => return *res,
    };
    let csrf = f.csrf.as_deref().unwrap_or("");
    let method = f.method.as_deref().unwrap_or("link");
    let mut s = Screen::new("main", &f.visit, lang, csrf);
    s.visit = Some(&visit);
    s.texts = texts_possible(&app, &visit);
    let text = match method {
        "sms" => Some(Channel::Sms),
        "whatsapp" => Some(Channel::Whatsapp),
        _ => None,
    };
    let to = if let Some(channel) = text {
        s.phone = f.phone.as_deref().unwrap_or("").trim();
        s.email = s.phone;
        match channel.destination(None, Some(s.phone)) {
            Ok(to) => to,
            Err(_) => {
                s.error = Some("error.invalidPhone");
                return s.render(StatusCode::BAD_REQUEST);
            }
        }
    } else {
        s.email = f.email.as_deref().unwrap_or("").trim();
        match EmailAddress::parse(s.email) {
            Ok(a) => Destination::Email(a),
            Err(_) => {
                s.error = Some("error.invalidEmail");
                return s.render(StatusCode::BAD_REQUEST);
            }
        }
    };
    if method == "password" {
        s.name = "password";
        s.title = "password.title";
        return s.render(StatusCode::OK);
    }
    // Texts go out in the page's language when there are texts in it.
    let channel = text.unwrap_or(Channel::Email);
    let locale = channel
        .check_locale(Some(lang))
        .is_ok()
        .then(|| lang.to_owned());
    let now = Timestamp::now();
    let engines = (&app.sessions, &app.delivery);
    let sent = match (method, to) {
        ("code" | "sms" | "whatsapp", to) => {
            hosted::send_code(engines, &visit, (to, locale), client.0, now)
                .await
                .map(Some)
        }
        (_, Destination::Email(address)) => {
            let held = (app.store(), &app.delivery);
            hosted::send_link(held, &visit, (&address, locale), client.0, now)
                .await
                .map(|()| None)
        }
        (_, Destination::Phone(..)) => Ok(None),
    };
    match sent {
        Ok(Some(method_id)) => {
            s.name = "code";
            s.title = "code.title";
            s.method_id = &method_id;
            s.render(StatusCode::OK)
        }
        Ok(None) => {
            s.name = "sent";
            s.title = "sent.title";
            s.render(StatusCode::OK)
        }
        Err(e) => {
            let (key, status) = shown(&e);
            s.error = Some(key);
            s.render(status)
        }
    }
}

/// `POST /login/password`: checks the password (`action=login`) or makes the account
/// (`action=create`), and sends the user back to the app.
async fn password(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let (visit, lang) = match form_visit(&app, &headers, &f.visit, f.csrf.as_deref()).await {
        Ok(v) => v,
        Err(res) => return *res,
    };
    let given = f.email.as_deref().unwrap_or("").trim();
    let mut s = Screen::new("password", &f.visit, lang, f.csrf.as_deref().unwrap_or(""));
    s.visit = Some(&visit);
    s.title = "password.title";
    s.email = given;
    let outcome = match EmailAddress::parse(given) {
        Ok(address) => {
            let create = f.action.as_deref() == Some("create");
            let secret = f.password.clone().unwrap_or_default();
            hosted::password(
                (&app.sessions, &app.delivery, &app.passwords),
                &visit,
                (&address, secret, create),
                client.0,
                Timestamp::now(),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(back) => hand_back(&visit, back),
        Err(e) => {
            let (key, status) = shown(&e);
            s.error = Some(key);
            s.render(status)
        }
    }
}

/// The redirect of a login on the page: to the token link, or with the session's cookies.
fn hand_back(visit: &Visit, back: Handback) -> Response {
    match back {
        Handback::Token(url) => see_other(&url),
        Handback::Session(issued) => {
            let mut res = see_other(&visit.redirect_url);
            super::sdk::set_session_cookies(
                res.headers_mut(),
                &visit.project.policy.cookies,
                (issued.token, issued.jwt),
                issued.session.expires_at,
            );
            res
        }
    }
}

/// `POST /login/handback`: with script on, the session the prebuilt form made on the page goes
/// back to the app as a token (the page's session ends).
async fn handback(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<HandbackForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let (visit, lang) = match form_visit(&app, &headers, &f.visit, f.csrf.as_deref()).await {
        Ok(v) => v,
        Err(res) => return *res,
    };
    let token = f.session_token.unwrap_or_default();
    match hosted::session_handback(&app.sessions, &visit, &token, client.0, Timestamp::now()).await
    {
        Ok(back) => hand_back(&visit, back),
        Err(e) => {
            let (key, status) = shown(&e);
            let mut s = Screen::new("invalid", &f.visit, lang, "");
            s.visit = Some(&visit);
            s.error = Some(if e.kind() == ErrorType::SessionNotFound {
                "hosted.expired"
            } else {
                key
            });
            s.render(status)
        }
    }
}

/// `POST /login/code`: checks the code and sends the user back to the app.
async fn code(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let (visit, lang) = match form_visit(&app, &headers, &f.visit, f.csrf.as_deref()).await {
        Ok(v) => v,
        Err(res) => return *res,
    };
    let method_id = f.method_id.clone().unwrap_or_default();
    let given = f.code.as_deref().unwrap_or("").trim().to_owned();
    let outcome = hosted::verify_code(
        (&app.sessions, &app.delivery),
        &visit,
        (method_id.clone(), given),
        client.0,
        Timestamp::now(),
    )
    .await;
    match outcome {
        Ok(back) => hand_back(&visit, back),
        Err(e) => {
            let (key, status) = shown(&e);
            let mut s = Screen::new("code", &f.visit, lang, f.csrf.as_deref().unwrap_or(""));
            s.visit = Some(&visit);
            s.title = "code.title";
            s.error = Some(key);
            s.email = f.email.as_deref().unwrap_or("");
            s.method_id = &method_id;
            s.render(status)
        }
    }
}

fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// `GET /login/brand.css?public_token=…`: the project's colours as the UI's CSS variables.
async fn brand(
    State(app): State<AppState>,
    query: Result<Query<VisitParams>, QueryRejection>,
) -> Response {
    let token = query
        .ok()
        .and_then(|q| q.0.public_token)
        .unwrap_or_default();
    let project =
        crate::service::projects::by_public_token(app.store(), &app.projects, &token).await;
    let mut rules = String::new();
    if let Ok(p) = project {
        // Colours are checked as #rrggbb when set: nothing else reaches the stylesheet.
        let b = &p.policy.branding;
        if let Some(c) = &b.primary_color {
            let text = text_on(c);
            rules.push_str(&format!(
                ".tsr{{--tsr-primary-bg:{c};--tsr-primary-border:{c};--tsr-primary-text:{text};\
                 --tsr-focus:{c}}}\n"
            ));
        }
        if let Some(c) = &b.background_color {
            rules.push_str(&format!("html{{--tsr-page:{c}}}\n"));
        }
    }
    css(rules)
}
