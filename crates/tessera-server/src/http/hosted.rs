//! The hosted login page: `GET /login`, its two forms (`POST /login/email`, `POST /login/code`)
//! and stylesheets, as server-rendered HTML that works without JavaScript. The strings and the
//! stylesheet are the prebuilt UI's (`sdk/js/scripts/hosted-assets.mjs` copies them here), the
//! decisions `service::hosted`'s.

use std::collections::HashMap;
use std::sync::LazyLock;

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
use crate::error::{Error, ErrorType};
use crate::model::Timestamp;
use crate::model::user::EmailAddress;
use crate::service::hosted::{self, Handback, Visit};
use crate::state::AppState;

const TEMPLATE: &str = include_str!("../../assets/login/login.html");
const UI_CSS: &str = include_str!("../../assets/login/ui.css");
const PAGE_CSS: &str = include_str!("../../assets/login/page.css");
const MESSAGES: &str = include_str!("../../assets/login/messages.json");
/// The double-submit cookie that ties a form to the browser that loaded it.
const CSRF_COOKIE: &str = "tessera_login_csrf";

type Table = HashMap<String, String>;

/// The message tables by language (`en`, `fr`); a unit test checks the embedded JSON.
static TABLES: LazyLock<HashMap<String, Table>> =
    LazyLock::new(|| serde_json::from_str(MESSAGES).unwrap_or_default());

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    env.add_template("login.html", TEMPLATE)
        .expect("the embedded template parses");
    env
});

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(page))
        .route("/login/email", post(email))
        .route("/login/code", post(code))
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
    method: Option<String>,
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

/// One rendering of the page.
struct Screen<'a> {
    name: &'static str,
    title: &'static str,
    error: Option<&'static str>,
    visit: Option<&'a Visit>,
    params: &'a VisitParams,
    lang: &'static str,
    csrf: &'a str,
    email: &'a str,
    method_id: &'a str,
}

impl<'a> Screen<'a> {
    fn new(name: &'static str, params: &'a VisitParams, lang: &'static str, csrf: &'a str) -> Self {
        Screen {
            name,
            title: "login.title",
            error: None,
            visit: None,
            params,
            lang,
            csrf,
            email: "",
            method_id: "",
        }
    }

    /// The page's address with its visit, to start again.
    fn again(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair(
            "public_token",
            self.params.public_token.as_deref().unwrap_or(""),
        );
        q.append_pair(
            "redirect_url",
            self.params.redirect_url.as_deref().unwrap_or(""),
        );
        q.append_pair("locale", self.lang);
        format!("/login?{}", q.finish())
    }

    fn render(&self, status: StatusCode) -> Response {
        let Some(t) = TABLES.get(self.lang) else {
            return Error::Internal(anyhow::anyhow!("login page: no {} strings", self.lang))
                .into_response();
        };
        let fill = |key: &str, var: &str, value: &str| {
            t.get(key)
                .map_or_else(String::new, |s| s.replace(&format!("{{{var}}}"), value))
        };
        let sent = match self.name {
            "sent" => fill("sent.body", "email", self.email)
                .replace("{minutes}", &hosted::LINK_MINUTES.to_string()),
            "code" => fill("code.body", "to", self.email),
            _ => String::new(),
        };
        let project = self.visit.map(|v| &v.project);
        let ctx = minijinja::context! {
            lang => self.lang,
            t => t,
            title => self.title,
            error => self.error,
            screen => self.name,
            project_name => project.map(|p| p.name.clone()),
            logo => project.and_then(|p| p.policy.branding.logo_url.clone()),
            public_token => self.params.public_token,
            redirect_url => self.params.redirect_url,
            csrf => self.csrf,
            email => self.email,
            method_id => self.method_id,
            sent => sent,
            again => (self.name != "invalid" || self.visit.is_some()).then(|| self.again()),
        };
        let html = match TEMPLATES
            .get_template("login.html")
            .and_then(|tpl| tpl.render(ctx))
        {
            Ok(html) => html,
            Err(e) => return Error::Internal(anyhow::anyhow!("login page: {e}")).into_response(),
        };
        let mut res = (status, html).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        secure_headers(h, self.visit.map(|v| v.redirect_url.as_str()));
        res
    }
}

/// No framing, no script, forms only to this server (and the redirect after them to the app).
fn secure_headers(h: &mut HeaderMap, redirect: Option<&str>) {
    let app = redirect
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src https: data:; form-action 'self' {app}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

fn css(text: String) -> Response {
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    res
}

/// The language of the page: `locale` when it is one of the tables, else the first of
/// `Accept-Language` that is, else English.
fn language(locale: Option<&str>, headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let wanted = locale
        .into_iter()
        .chain(accept.split(',').map(|l| l.split(';').next().unwrap_or("")));
    for l in wanted {
        let lang = l
            .trim()
            .split('-')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if let Some((k, _)) = TABLES.get_key_value(lang.as_str()) {
            return if k == "fr" { "fr" } else { "en" };
        }
    }
    "en"
}

/// The message key and status an error is shown with.
fn shown(e: &Error) -> (&'static str, StatusCode) {
    // The page exists: a refused form is a 400 (a 429 or 5xx stays what it is).
    let status = match crate::http::error::describe(e.kind()).0 {
        s if s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS => StatusCode::BAD_REQUEST,
        s => s,
    };
    let key = match e.kind() {
        ErrorType::OtpCodeNotFound | ErrorType::UnableToAuthOtpCode | ErrorType::InvalidCode => {
            "error.badCode"
        }
        ErrorType::InvalidEmail => "error.invalidEmail",
        ErrorType::TooManyRequests => "error.tooMany",
        _ => "error.generic",
    };
    (key, status)
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
    query: Result<Query<VisitParams>, QueryRejection>,
) -> Response {
    let params = query.map(|q| q.0).unwrap_or_default();
    let lang = language(params.locale.as_deref(), &headers);
    let visit = match visit_of(&app, &params, lang).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    let csrf = csrf_cookie(&headers).unwrap_or_else(|| crypto::random_b64_nopad(32));
    let mut s = Screen::new("main", &params, lang, &csrf);
    s.visit = Some(&visit);
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

/// `POST /login/email`: sends the link (`method=link`) or the code (`method=code`).
async fn email(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<EmailForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let lang = language(f.visit.locale.as_deref(), &headers);
    let visit = match visit_of(&app, &f.visit, lang).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    if !same_browser(&headers, f.csrf.as_deref()) {
        return expired(&f.visit, &visit, lang);
    }
    let csrf = f.csrf.as_deref().unwrap_or("");
    let given = f.email.as_deref().unwrap_or("").trim();
    let mut s = Screen::new("main", &f.visit, lang, csrf);
    s.visit = Some(&visit);
    s.email = given;
    let address = match EmailAddress::parse(given) {
        Ok(a) => a,
        Err(_) => {
            s.error = Some("error.invalidEmail");
            return s.render(StatusCode::BAD_REQUEST);
        }
    };
    let locale = Some(lang.to_owned());
    let now = Timestamp::now();
    let sent = if f.method.as_deref() == Some("code") {
        hosted::send_code(
            (&app.sessions, &app.delivery),
            &visit,
            (&address, locale),
            client.0,
            now,
        )
        .await
        .map(Some)
    } else {
        hosted::send_link(
            (app.store(), &app.delivery),
            &visit,
            (&address, locale),
            client.0,
            now,
        )
        .await
        .map(|()| None)
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

/// `POST /login/code`: checks the code and sends the user back to the app.
async fn code(
    State(app): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<CodeForm>, FormRejection>,
) -> Response {
    let f = form.map(|f| f.0).unwrap_or_default();
    let lang = language(f.visit.locale.as_deref(), &headers);
    let visit = match visit_of(&app, &f.visit, lang).await {
        Ok(v) => v,
        Err(res) => return res,
    };
    if !same_browser(&headers, f.csrf.as_deref()) {
        return expired(&f.visit, &visit, lang);
    }
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
        Ok(Handback::Token(url)) => see_other(&url),
        Ok(Handback::Session(issued)) => {
            let mut res = see_other(&visit.redirect_url);
            super::sdk::set_session_cookies(
                res.headers_mut(),
                &visit.project.policy.cookies,
                (issued.token, issued.jwt),
                issued.session.expires_at,
            );
            res
        }
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

/// White or near-black: whichever has the higher contrast on `#rrggbb` (WCAG relative
/// luminance), so a project's colour never makes its buttons unreadable.
fn text_on(colour: &str) -> &'static str {
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&colour[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.040_45 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    // Contrast with white (1.05 / (l + 0.05)) against contrast with #111827 (l ≈ 0.0123).
    if 1.05 / (l + 0.05) >= (l + 0.05) / 0.0623 {
        "#fff"
    } else {
        "#111827"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_text_stays_readable_on_any_brand_colour() {
        assert_eq!(text_on("#1d4ed8"), "#fff");
        assert_eq!(text_on("#000000"), "#fff");
        assert_eq!(text_on("#ffffff"), "#111827");
        assert_eq!(text_on("#facc15"), "#111827");
    }

    #[test]
    fn the_language_comes_from_locale_then_accept_language() {
        let mut h = HeaderMap::new();
        assert_eq!(language(None, &h), "en");
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE, fr-CA;q=0.8"),
        );
        assert_eq!(language(None, &h), "fr");
        assert_eq!(language(Some("en"), &h), "en");
        assert_eq!(language(Some("xx"), &HeaderMap::new()), "en");
    }

    #[test]
    fn the_embedded_tables_have_every_string_the_page_uses() {
        for lang in ["en", "fr"] {
            let t = &TABLES[lang];
            // Every `t["…"]` and `t['…']` of the template.
            for used in TEMPLATE.split("t[").skip(1) {
                let quote = used.chars().next().unwrap_or(' ');
                if quote == '"' || quote == '\'' {
                    let key = used[1..].split(quote).next().unwrap_or("");
                    assert!(t.contains_key(key), "{lang}: {key}");
                }
            }
            for key in [
                "login.title",
                "code.title",
                "sent.title",
                "sent.body",
                "code.body",
                "hosted.invalid",
                "hosted.expired",
                "hosted.again",
                "error.badCode",
                "error.invalidEmail",
                "error.tooMany",
                "error.generic",
            ] {
                assert!(t.contains_key(key), "{lang}: {key}");
            }
        }
    }

    #[test]
    fn every_screen_renders_with_both_tables() {
        for lang in ["en", "fr"] {
            for name in ["main", "sent", "code", "invalid"] {
                let params = VisitParams::default();
                let mut s = Screen::new(name, &params, lang, "x");
                s.error = Some("error.badCode");
                let res = s.render(StatusCode::OK);
                assert_eq!(res.status(), StatusCode::OK, "{lang} {name}");
            }
        }
    }
}
