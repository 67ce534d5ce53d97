//! The admin console (`serve --admin`): server-rendered pages without script behind an
//! administrator's login (password and authenticator code), short sessions in an HttpOnly
//! `SameSite=Strict` cookie, every form checked against its session's CSRF value, every action
//! written to the security log. The actions themselves are the admin channel's commands
//! (`admin::execute`, as the CLI runs them) and the services'.

mod projects;
mod users;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cookie::{Cookie, SameSite};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use super::extract::Client;
use crate::admin::{self, AdminRequest, Held};
use crate::error::{Error, ErrorType};
use crate::model::Timestamp;
use crate::service::admins::{self, AdminSession, Credentials};
use crate::service::security_log;
use crate::state::AppState;

/// The admin session's cookie (path `/admin`).
const COOKIE: &str = "tessera_admin";
/// A form's fields by name.
type Fields = std::collections::HashMap<String, String>;

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    for (name, text) in [
        ("base.html", include_str!("../../../assets/admin/base.html")),
        (
            "login.html",
            include_str!("../../../assets/admin/login.html"),
        ),
        (
            "overview.html",
            include_str!("../../../assets/admin/overview.html"),
        ),
        (
            "projects.html",
            include_str!("../../../assets/admin/projects.html"),
        ),
        (
            "project.html",
            include_str!("../../../assets/admin/project.html"),
        ),
        (
            "users.html",
            include_str!("../../../assets/admin/users.html"),
        ),
        ("user.html", include_str!("../../../assets/admin/user.html")),
        ("once.html", include_str!("../../../assets/admin/once.html")),
    ] {
        env.add_template(name, text)
            .expect("the embedded templates parse");
    }
    env
});

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/admin.css",
            get(|| async {
                let css = include_str!("../../../assets/admin/admin.css");
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], css)
            }),
        )
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin", get(overview))
        .merge(projects::routes())
        .merge(users::routes())
}

/// A logged-in administrator; without one, a request is sent to the login page.
pub(super) struct Admin {
    session: AdminSession,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        let token = cookie_value(&parts.headers);
        let session = match token {
            None => None,
            Some(t) => admins::session(app.store(), &t, Timestamp::now())
                .await
                .map_err(|e| failed(&e))?,
        };
        let session = session.ok_or_else(|| see_other("/admin/login"))?;
        // For the form extractor, which comes after and checks the CSRF value.
        parts.extensions.insert(session.clone());
        Ok(Admin { session })
    }
}

/// The fields of a form of the admin's session (it must come after [`Admin`]): a form
/// without the session's CSRF value gets a 403 page, and its handler never runs.
pub(super) struct Checked(pub(super) Fields);

impl FromRequest<AppState> for Checked {
    type Rejection = Response;

    async fn from_request(req: Request, app: &AppState) -> Result<Self, Response> {
        let csrf = req
            .extensions()
            .get::<AdminSession>()
            .map(|s| s.csrf.clone());
        let fields = fields(Form::<Fields>::from_request(req, app).await);
        let given = fields.get("csrf").map_or(&[][..], |s| s.as_bytes());
        match csrf {
            Some(want) if given.len() == want.len() && bool::from(given.ct_eq(want.as_bytes())) => {
                Ok(Checked(fields))
            }
            _ => Err(render(
                "once.html",
                json!({
                    "heading": "This form has expired",
                    "intro": "It was not sent from a page of your current session. Nothing was changed.",
                    "items": [], "back": "/admin",
                }),
                StatusCode::FORBIDDEN,
            )),
        }
    }
}

impl Admin {
    /// Writes an action to the security log.
    fn did(&self, action: &str, project_id: &str, target: &str, detail: &str) {
        security_log::admin_action(&self.session.email, action, project_id, target, detail);
    }

    /// The page `name` for this administrator, with `data`.
    fn page(&self, name: &str, here: &str, mut data: Value, status: StatusCode) -> Response {
        data["admin"] = json!({ "email": self.session.email, "csrf": self.session.csrf });
        data["here"] = Value::from(here);
        render(name, data, status)
    }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(|c| c.ok())
        .find(|c| c.name() == COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
}

/// Renders a template with the console's headers: no framing, no script, forms to itself.
fn render(name: &str, data: Value, status: StatusCode) -> Response {
    let html = match TEMPLATES.get_template(name).and_then(|t| t.render(&data)) {
        Ok(html) => html,
        Err(e) => {
            return Error::Internal(anyhow::anyhow!("admin page {name}: {e}")).into_response();
        }
    };
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// A redirect after a form (so that reloading the page sends nothing again).
fn see_other(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A page for an error no form caused (the database is away, …).
fn failed(e: &Error) -> Response {
    let status = match e.kind() {
        ErrorType::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "admin console");
    }
    render(
        "once.html",
        json!({"heading": "Something went wrong", "intro": "Try again in a moment.", "items": [], "back": "/admin"}),
        status,
    )
}

/// The message of a flash key (`?done=saved`): fixed texts, never the query's own.
fn flash(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "revoked" => "Revoked.",
        "rotated" => "A new signing key is current.",
        "created" => "Created.",
        _ => return None,
    })
}

/// Runs an admin channel command as the CLI would, and drops what this instance cached.
async fn command(app: &AppState, req: AdminRequest) -> anyhow::Result<Value> {
    let held = Held {
        store: app.store().clone(),
        master: std::sync::Arc::clone(app.sessions.master_key()),
    };
    let out = admin::execute(&held, req).await;
    if out.is_ok() {
        app.projects.clear();
        app.sessions.forget_keys();
    }
    out
}

/// A form's fields, or none when the body is not a form.
fn fields(form: Result<Form<Fields>, FormRejection>) -> Fields {
    form.map(|f| f.0).unwrap_or_default()
}

#[derive(serde::Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn login_page(headers: HeaderMap, State(app): State<AppState>) -> Response {
    if let Some(t) = cookie_value(&headers)
        && let Ok(Some(_)) = admins::session(app.store(), &t, Timestamp::now()).await
    {
        return see_other("/admin");
    }
    render("login.html", json!({ "email": "" }), StatusCode::OK)
}

async fn login(
    State(app): State<AppState>,
    client: Client,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let f = fields(form);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let creds = Credentials {
        email: get("email"),
        password: get("password"),
        code: get("code"),
    };
    let email = creds.email.clone();
    let held = (
        app.store(),
        app.sessions.master_key().as_ref(),
        &app.passwords.hasher,
    );
    match admins::login(held, creds, &client.0.ip_address, Timestamp::now()).await {
        Ok((token, _)) => {
            let mut res = see_other("/admin");
            let c = Cookie::build((COOKIE, token))
                .http_only(true)
                .secure(true)
                .same_site(SameSite::Strict)
                .path("/admin")
                .max_age(cookie::time::Duration::minutes(admins::SESSION_MINUTES))
                .build();
            if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            let (status, text) = match e.kind() {
                ErrorType::TooManyRequests => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts: wait a few minutes.",
                ),
                ErrorType::UnauthorizedCredentials => (
                    StatusCode::UNAUTHORIZED,
                    "That email, password and code do not match an administrator.",
                ),
                _ => return failed(&e),
            };
            render(
                "login.html",
                json!({ "email": email, "error": text }),
                status,
            )
        }
    }
}

async fn logout(
    admin: Admin,
    headers: HeaderMap,
    State(app): State<AppState>,
    _: Checked,
) -> Response {
    if let Some(t) = cookie_value(&headers)
        && let Err(e) = admins::logout(app.store(), &t).await
    {
        return failed(&e);
    }
    admin.did("logout", "", "", "");
    let mut res = see_other("/admin/login");
    let mut c = Cookie::build((COOKIE, "")).path("/admin").build();
    c.make_removal();
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Sign-ins and failed logins since midnight (UTC) and live sessions, by project.
async fn overview(admin: Admin, State(app): State<AppState>, Query(q): Query<Done>) -> Response {
    let store = app.store();
    let now = Timestamp::now();
    let midnight = Timestamp::from_millis(now.millis() - now.millis().rem_euclid(86_400_000));
    let tally = async {
        let mut rows = Vec::new();
        let (mut sign_ins, mut failures, mut active) = (0, 0, 0);
        for p in store.list_projects().await? {
            let pid = &p.project_id;
            let s = store
                .count_events_since(pid, "session.created", midnight)
                .await?;
            let f = store
                .count_events_since(pid, "user.login_failed", midnight)
                .await?;
            let a = store.count_project_sessions(pid, now).await?;
            (sign_ins, failures, active) = (sign_ins + s, failures + f, active + a);
            rows.push(json!({"project_id": pid, "name": p.name, "sign_ins": s, "failures": f, "active": a}));
        }
        Ok::<_, crate::store::StoreError>((
            rows,
            json!({"sign_ins": sign_ins, "failures": failures, "active": active}),
        ))
    };
    match tally.await {
        Ok((rows, totals)) => admin.page(
            "overview.html",
            "overview",
            json!({ "rows": rows, "totals": totals, "flash": flash(q.done.as_deref()) }),
            StatusCode::OK,
        ),
        Err(e) => failed(&e.into()),
    }
}
