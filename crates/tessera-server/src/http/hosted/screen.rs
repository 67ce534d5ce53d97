//! The hosted login page's rendering: the message tables and template embedded in the binary,
//! the page's language, its security headers, how an error is shown, and the brand's colours.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::VisitParams;
use crate::error::{Error, ErrorType};
use crate::service::hosted::{self, Visit};

const TEMPLATE: &str = include_str!("../../../assets/login/login.html");
pub(super) const UI_CSS: &str = include_str!("../../../assets/login/ui.css");
pub(super) const PAGE_CSS: &str = include_str!("../../../assets/login/page.css");
/// The prebuilt UI's `<script>` build, copied from `sdk/js` by its `hosted-assets` script.
pub(super) const UI_JS: &str = include_str!("../../../assets/login/ui.js");
/// What mounts it on the page.
pub(super) const HOSTED_JS: &str = include_str!("../../../assets/login/hosted.js");
const MESSAGES: &str = include_str!("../../../assets/login/messages.json");

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

/// One rendering of the page.
pub(super) struct Screen<'a> {
    pub(super) name: &'static str,
    pub(super) title: &'static str,
    pub(super) error: Option<&'static str>,
    pub(super) visit: Option<&'a Visit>,
    pub(super) params: &'a VisitParams,
    pub(super) lang: &'static str,
    pub(super) csrf: &'a str,
    pub(super) email: &'a str,
    pub(super) method_id: &'a str,
    /// The project's OAuth providers: display name and start link.
    pub(super) oauth: Vec<(String, String)>,
    /// With this configuration, the page loads the prebuilt form over its own.
    pub(super) script: Option<serde_json::Value>,
    /// The project can be sent texts: the page offers a code by SMS.
    pub(super) texts: bool,
    /// The phone number typed (shown again with an error).
    pub(super) phone: &'a str,
}

impl<'a> Screen<'a> {
    pub(super) fn new(
        name: &'static str,
        params: &'a VisitParams,
        lang: &'static str,
        csrf: &'a str,
    ) -> Self {
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
            oauth: Vec::new(),
            script: None,
            texts: false,
            phone: "",
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

    pub(super) fn render(&self, status: StatusCode) -> Response {
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
            script => self.script,
            texts => self.texts,
            phone => self.phone,
            oauth => self.oauth.iter().map(|(name, href)| minijinja::context! {
                label => fill("login.oauth", "provider", name), href => href,
            }).collect::<Vec<_>>(),
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
pub(super) fn secure_headers(h: &mut HeaderMap, redirect: Option<&str>) {
    let app = redirect
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
         img-src https: data:; form-action 'self' {app}; frame-ancestors 'none'; base-uri 'none'"
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

pub(super) fn script(text: &'static str) -> Response {
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    res
}

pub(super) fn css(text: String) -> Response {
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    res
}

/// The language of the page: `locale` when it is one of the tables, else the first of
/// `Accept-Language` that is, else English.
pub(super) fn language(locale: Option<&str>, headers: &HeaderMap) -> &'static str {
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
pub(super) fn shown(e: &Error) -> (&'static str, StatusCode) {
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
        ErrorType::InvalidPhoneNumber => "error.invalidPhone",
        ErrorType::UnauthorizedCredentials
        | ErrorType::EmailNotFound
        | ErrorType::NoUserPassword => "error.badPassword",
        ErrorType::WeakPassword => "error.weakPassword",
        ErrorType::DuplicateEmail | ErrorType::PasswordAlreadyExists => "error.exists",
        ErrorType::ResetPassword => "error.resetPassword",
        ErrorType::UserLockLimitReached => "error.tooMany",
        ErrorType::TooManyRequests => "error.tooMany",
        _ => "error.generic",
    };
    (key, status)
}

/// White or near-black: whichever has the higher contrast on `#rrggbb` (WCAG relative
/// luminance), so a project's colour never makes its buttons unreadable.
pub(super) fn text_on(colour: &str) -> &'static str {
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

    fn body_of(res: Response) -> String {
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(res.into_body(), 1 << 20))
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

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
            for name in ["main", "sent", "code", "password", "invalid"] {
                let params = VisitParams::default();
                let mut s = Screen::new(name, &params, lang, "x");
                s.error = Some("error.badCode");
                s.script = Some(serde_json::json!({"publicToken": "</script><b>"}));
                let res = s.render(StatusCode::OK);
                assert_eq!(res.status(), StatusCode::OK, "{lang} {name}");
                let body = body_of(res);
                // JSON in a script element cannot close it.
                assert!(!body.contains("</script><b>"), "{body}");
            }
        }
    }
}
