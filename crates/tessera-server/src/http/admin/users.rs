//! The console's user screens: search (the Users API's filters), a user's factors, sessions and
//! timeline, and revoking, deleting and impersonating.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Admin, Checked, command, failed, flash, see_other};
use crate::admin::AdminRequest;
use crate::error::ErrorType;
use crate::model::event::{EndReason, EventFilter};
use crate::model::user::{User, UserStatus};
use crate::model::{Project, Timestamp};
use crate::service::sessions::{self, RevokeBy};
use crate::service::{events, users};
use crate::state::AppState;
use crate::store::UserFilter;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/projects/{pid}/users", get(search))
        .route("/admin/projects/{pid}/users/{uid}", get(show))
        .route(
            "/admin/projects/{pid}/users/{uid}/sessions/{sid}/revoke",
            post(revoke),
        )
        .route(
            "/admin/projects/{pid}/users/{uid}/sessions/revoke_all",
            post(revoke_all),
        )
        .route("/admin/projects/{pid}/users/{uid}/delete", post(delete))
        .route(
            "/admin/projects/{pid}/users/{uid}/impersonate",
            post(impersonate),
        )
}

#[derive(serde::Deserialize, Default, serde::Serialize)]
struct SearchQuery {
    done: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    status: Option<String>,
}

async fn project(app: &AppState, pid: &str) -> Result<Project, Box<Response>> {
    match app.store().project(pid).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(Box::new(see_other("/admin/projects"))),
        Err(e) => Err(Box::new(failed(&e.into()))),
    }
}

fn project_json(p: &Project) -> Value {
    json!({"project_id": p.project_id, "name": p.name})
}

fn user_row(u: &User) -> Value {
    json!({
        "user_id": u.user_id,
        "emails": u.emails.iter().map(|e| e.email.as_str()).collect::<Vec<_>>(),
        "phones": u.phone_numbers.iter().map(|p| p.phone_number.as_str()).collect::<Vec<_>>(),
        "status": u.status.as_str(),
        "created": u.created_at.to_rfc3339(),
    })
}

async fn search(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    query: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let p = match project(&app, &pid).await {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let q = query.map(|q| q.0).unwrap_or_default();
    let mut conditions = Vec::new();
    if let Some(e) = q.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        conditions.push(UserFilter::EmailFuzzy(e.to_lowercase()));
    }
    if let Some(ph) = q.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        conditions.push(UserFilter::PhoneNumbers(vec![ph.replace([' ', '-'], "")]));
    }
    match q.status.as_deref() {
        Some("active") => conditions.push(UserFilter::Status(UserStatus::Active)),
        Some("pending") => conditions.push(UserFilter::Status(UserStatus::Pending)),
        _ => {}
    }
    let filter = UserFilter::And(conditions);
    let note = flash(q.done.as_deref());
    let mut data = match users::search(app.store(), &p, filter, None, Some(50)).await {
        Ok(page) => json!({
            "p": project_json(&p), "q": q, "total": page.total,
            "users": page.users.iter().map(user_row).collect::<Vec<_>>(),
        }),
        Err(e) => json!({
            "p": project_json(&p), "q": q, "total": 0, "users": [],
            "error": format!("The search was refused: {e}"),
        }),
    };
    data["flash"] = json!(note);
    admin.page("users.html", "projects", data, StatusCode::OK)
}

/// Every factor of a user, as rows of the factors table.
fn factors(u: &User) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut row = |kind: &str, value: String, id: &str| {
        rows.push(json!({"kind": kind, "value": value, "id": id}));
    };
    for e in &u.emails {
        let verified = if e.verified {
            "verified"
        } else {
            "not verified"
        };
        row(
            "Email",
            format!("{} ({verified})", e.email.as_str()),
            &e.email_id,
        );
    }
    for ph in &u.phone_numbers {
        row("Phone", ph.phone_number.as_str().to_owned(), &ph.phone_id);
    }
    if let Some(pw) = &u.password {
        row("Password", String::new(), &pw.password_id);
    }
    for t in &u.totps {
        row(
            "TOTP",
            if t.verified {
                "verified"
            } else {
                "not verified"
            }
            .into(),
            &t.totp_id,
        );
    }
    for o in &u.providers {
        row("OAuth", o.provider.clone(), &o.registration_id);
    }
    for w in &u.webauthn_registrations {
        row("Passkey", w.domain.clone(), &w.registration_id);
    }
    for c in &u.crypto_wallets {
        row(
            "Wallet",
            format!("{} {}", c.wallet_type, c.address),
            &c.wallet_id,
        );
    }
    rows
}

#[derive(serde::Deserialize, Default)]
struct ShowQuery {
    done: Option<String>,
    session: Option<String>,
}

async fn page(
    admin: &Admin,
    app: &AppState,
    (pid, uid): (&str, &str),
    q: ShowQuery,
    error: Option<&str>,
) -> Response {
    let p = match project(app, pid).await {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let now = Timestamp::now();
    let (user, live) = match sessions::list(&app.sessions, &p, uid, now).await {
        Ok(x) => x,
        Err(e) if e.kind() == ErrorType::UserNotFound => {
            return see_other(&format!("/admin/projects/{pid}/users"));
        }
        Err(e) => return failed(&e),
    };
    let filter = EventFilter {
        user_id: q.session.is_none().then(|| uid.to_owned()),
        session_id: q.session.clone(),
        ..Default::default()
    };
    let timeline = match events::list(app.store(), &p, &filter, Some(events::MAX_PAGE)).await {
        Ok(page) => page.events,
        Err(e) => return failed(&e),
    };
    let sessions: Vec<Value> = live
        .iter()
        .map(|s| {
            json!({
                "session_id": s.session_id, "started": s.started_at.to_rfc3339(),
                "expires": s.expires_at.to_rfc3339(),
                "factors": s.factors.iter().map(|f| f.kind.wire().0).collect::<Vec<_>>(),
            })
        })
        .collect();
    let timeline: Vec<Value> = timeline
        .iter()
        .map(|e| {
            json!({
                "when": e.created_at.to_rfc3339(), "type": e.kind, "actor": e.actor,
                "session_id": e.session_id, "data": Value::Object(e.data.clone()).to_string(),
            })
        })
        .collect();
    let data = json!({
        "p": project_json(&p), "u": {"user_id": user.user_id}, "factors": factors(&user),
        "sessions": sessions, "events": timeline, "session": q.session,
        "flash": flash(q.done.as_deref()), "error": error,
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    admin.page("user.html", "projects", data, status)
}

async fn show(
    admin: Admin,
    State(app): State<AppState>,
    Path((pid, uid)): Path<(String, String)>,
    query: Result<Query<ShowQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    page(&admin, &app, (&pid, &uid), q, None).await
}

fn back(pid: &str, uid: &str, done: &str) -> Response {
    see_other(&format!("/admin/projects/{pid}/users/{uid}?done={done}"))
}

async fn revoke(
    admin: Admin,
    State(app): State<AppState>,
    Path((pid, uid, sid)): Path<(String, String, String)>,
    _: Checked,
) -> Response {
    let p = match project(&app, &pid).await {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let by = (RevokeBy::Id(sid.clone()), EndReason::RevokedByApi);
    match sessions::revoke(&app.sessions, &p, by, Timestamp::now()).await {
        Ok(()) => {
            admin.did("session_revoke", &pid, &sid, "");
            back(&pid, &uid, "revoked")
        }
        // Already ended (expired, revoked in another tab): the page shows it gone.
        Err(e) if e.kind() == ErrorType::SessionNotFound => back(&pid, &uid, "revoked"),
        Err(e) => failed(&e),
    }
}

async fn revoke_all(
    admin: Admin,
    State(app): State<AppState>,
    Path((pid, uid)): Path<(String, String)>,
    _: Checked,
) -> Response {
    let p = match project(&app, &pid).await {
        Ok(p) => p,
        Err(res) => return *res,
    };
    let now = Timestamp::now();
    let reason = EndReason::RevokedByApi;
    match sessions::revoke_others(&app.sessions, &p, (&uid, None), reason, now).await {
        Ok(n) => {
            admin.did("sessions_revoke_all", &pid, &uid, &n.to_string());
            back(&pid, &uid, "revoked")
        }
        Err(e) => failed(&e),
    }
}

async fn delete(
    admin: Admin,
    State(app): State<AppState>,
    Path((pid, uid)): Path<(String, String)>,
    Checked(f): Checked,
) -> Response {
    if f.get("confirm").map(|c| c.trim()) != Some(uid.as_str()) {
        let error = "Type the user id exactly to delete the user.";
        return page(
            &admin,
            &app,
            (&pid, &uid),
            ShowQuery::default(),
            Some(error),
        )
        .await;
    }
    let p = match project(&app, &pid).await {
        Ok(p) => p,
        Err(res) => return *res,
    };
    match users::delete(app.store(), &p, &uid).await {
        Ok(_) => {
            admin.did("user_delete", &pid, &uid, "");
            see_other(&format!("/admin/projects/{pid}/users?done=deleted"))
        }
        Err(e) => failed(&e),
    }
}

async fn impersonate(
    admin: Admin,
    State(app): State<AppState>,
    Path((pid, uid)): Path<(String, String)>,
    Checked(f): Checked,
) -> Response {
    let reason = f.get("reason").map_or("", |r| r.trim()).to_owned();
    let req = AdminRequest::Impersonate {
        project_id: pid.clone(),
        user_id: uid.clone(),
        impersonator: admin.session.email.clone(),
        reason: reason.clone(),
    };
    match command(&app, req).await {
        Ok(v) => {
            admin.did("impersonate", &pid, &uid, &reason);
            let items = json!([
                {"label": "Impersonation token", "value": v["impersonation_token"]},
                {"label": "Valid until", "value": v["expires_at"]},
            ]);
            let data = json!({
                "heading": "Impersonation token",
                "intro": "Open your app's impersonation link with it: it starts a 60-minute session as this user, once.",
                "items": items, "back": format!("/admin/projects/{pid}/users/{uid}"),
            });
            admin.page("once.html", "projects", data, StatusCode::OK)
        }
        Err(e) => {
            let data = json!({
                "heading": "Impersonation refused", "intro": format!("{e:#}"), "items": [],
                "back": format!("/admin/projects/{pid}/users/{uid}"),
            });
            admin.page("once.html", "projects", data, StatusCode::BAD_REQUEST)
        }
    }
}
