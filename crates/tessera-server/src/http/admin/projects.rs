//! The console's project screens: the list and creation, a project's settings (URLs, policy,
//! branding), secrets, signing keys, OAuth providers and webhooks.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Admin, Checked, Done, Fields, command, failed, flash, see_other};
use crate::admin::AdminRequest;
use crate::model::Timestamp;
use crate::model::oauth::{Provider, ProviderSettings};
use crate::model::project::PolicyChange;
use crate::service::projects;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/projects", get(list).post(create))
        .route("/admin/projects/{pid}", get(show))
        .route("/admin/projects/{pid}/urls", post(urls))
        .route("/admin/projects/{pid}/policy", post(policy))
        .route("/admin/projects/{pid}/secrets", post(secret_create))
        .route("/admin/projects/{pid}/{kind}/{id}/delete", post(delete))
        .route("/admin/projects/{pid}/keys/rotate", post(rotate))
        .route("/admin/projects/{pid}/oauth", post(oauth_set))
        .route("/admin/projects/{pid}/webhooks", post(webhook_add))
}

async fn list(admin: Admin, State(app): State<AppState>, Query(q): Query<Done>) -> Response {
    match app.store().list_projects().await {
        Ok(ps) => {
            let rows: Vec<Value> = ps
                .iter()
                .map(|p| json!({"project_id": p.project_id, "name": p.name, "env": p.env.as_str()}))
                .collect();
            let data = json!({"projects": rows, "flash": flash(q.done.as_deref())});
            admin.page("projects.html", "projects", data, StatusCode::OK)
        }
        Err(e) => failed(&e.into()),
    }
}

/// A value shown once (a new secret, token or webhook key).
fn once(admin: &Admin, heading: &str, intro: &str, items: Value, back: &str) -> Response {
    let data = json!({"heading": heading, "intro": intro, "items": items, "back": back});
    admin.page("once.html", "projects", data, StatusCode::OK)
}

async fn create(admin: Admin, State(app): State<AppState>, Checked(f): Checked) -> Response {
    let name = f.get("name").map_or("", |s| s.trim()).to_owned();
    let live = f.get("environment").is_some_and(|e| e == "live");
    if name.is_empty() || name.len() > 100 {
        let data =
            json!({"projects": [], "error": "A project needs a name of at most 100 characters."});
        return admin.page("projects.html", "projects", data, StatusCode::BAD_REQUEST);
    }
    let req = AdminRequest::ProjectCreate {
        name,
        live,
        redirect_urls: vec![],
        authorized_origins: vec![],
        policy: PolicyChange::default(),
    };
    match command(&app, req).await {
        Ok(v) => {
            let pid = v["project_id"].as_str().unwrap_or_default().to_owned();
            admin.did("project_create", &pid, &pid, "");
            let items = json!([
                {"label": "Project id", "value": v["project_id"]},
                {"label": "Secret", "value": v["secret"]},
                {"label": "Public token", "value": v["public_token"]},
            ]);
            let intro = "Give the secret to your backend (HTTP Basic project_id:secret).";
            once(
                &admin,
                "Project created",
                intro,
                items,
                &format!("/admin/projects/{pid}"),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "admin console: project create");
            failed(&crate::error::Error::Internal(e))
        }
    }
}

/// A project's page, with `flash` or `error` shown.
async fn page(
    admin: &Admin,
    app: &AppState,
    pid: &str,
    (note, error): (Option<&str>, Option<String>),
) -> Response {
    let store = app.store();
    let project = match store.project(pid).await {
        Ok(Some(p)) => p,
        Ok(None) => return see_other("/admin/projects"),
        Err(e) => return failed(&e.into()),
    };
    let extra = async {
        let secrets = projects::list_secrets(store, pid).await?;
        let oauth = crate::service::oauth::config::list(store, pid).await?;
        let webhooks = crate::service::webhooks::list(store, pid).await?;
        Ok::<_, anyhow::Error>((secrets, oauth, webhooks))
    };
    let (secrets, oauth, webhooks) = match extra.await {
        Ok(x) => x,
        Err(e) => return failed(&crate::error::Error::Internal(e)),
    };
    let secrets: Vec<Value> = secrets
        .iter()
        .map(|s| json!({"secret_id": s.secret_id, "created": Timestamp::from_millis(s.created_at).to_rfc3339()}))
        .collect();
    let webhooks: Vec<Value> = webhooks
        .iter()
        .map(|w| json!({"endpoint_id": w.endpoint_id, "url": w.url, "event_types": w.events}))
        .collect();
    let hosted = project.redirect_urls.first().map(|u| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("public_token", &project.public_token);
        q.append_pair("redirect_url", u);
        format!("/login?{}", q.finish())
    });
    let providers: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
    let data = json!({
        "p": {
            "project_id": project.project_id, "name": project.name, "env": project.env.as_str(),
            "public_token": project.public_token, "redirect_urls": project.redirect_urls,
            "authorized_origins": project.authorized_origins, "policy": project.policy,
        },
        "hosted": hosted, "secrets": secrets, "oauth": oauth, "webhooks": webhooks,
        "providers": providers, "flash": note, "error": error,
    });
    let status = if data["error"].is_null() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    admin.page("project.html", "projects", data, status)
}

async fn show(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    page(&admin, &app, &pid, (flash(q.done.as_deref()), None)).await
}

/// After an action on project `pid`: back to its page, or the page again with the error.
async fn after(
    admin: &Admin,
    app: &AppState,
    pid: &str,
    (action, target): (&str, &str),
    outcome: anyhow::Result<&str>,
) -> Response {
    match outcome {
        Ok(done) => {
            admin.did(action, pid, target, "");
            see_other(&format!("/admin/projects/{pid}?done={done}"))
        }
        Err(e) => page(admin, app, pid, (None, Some(format!("{e:#}")))).await,
    }
}

/// Lines of a textarea, trimmed, blank ones dropped.
fn lines(f: &Fields, key: &str) -> Vec<String> {
    f.get(key)
        .map(|t| {
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

async fn urls(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    Checked(f): Checked,
) -> Response {
    let (redirects, origins) = (lines(&f, "redirect_urls"), lines(&f, "authorized_origins"));
    let outcome = projects::set_urls(app.store(), &pid, (&redirects, &origins)).await;
    if outcome.is_ok() {
        app.projects.clear();
    }
    after(
        &admin,
        &app,
        &pid,
        ("project_urls", &pid),
        outcome.map(|_| "saved"),
    )
    .await
}

/// A choice of the form (a select) by its wire name.
fn named<T: serde::de::DeserializeOwned>(f: &Fields, key: &str) -> anyhow::Result<Option<T>> {
    f.get(key)
        .map(|s| serde_json::from_value(Value::String(s.clone())))
        .transpose()
        .map_err(|_| anyhow::anyhow!("{} is not one of the choices", key.replace('_', " ")))
}

/// The policy form as a change: every field it has, numbers checked.
fn policy_change(f: &Fields) -> anyhow::Result<PolicyChange> {
    let number = |key: &str| -> anyhow::Result<Option<i64>> {
        match f.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| anyhow::anyhow!("{} must be a whole number", key.replace('_', " "))),
        }
    };
    let text = |key: &str| f.get(key).map(|s| s.trim().to_owned());
    Ok(PolicyChange {
        session_idle_timeout_minutes: number("session_idle_timeout_minutes")?,
        session_max_lifetime_minutes: number("session_max_lifetime_minutes")?,
        recent_auth_minutes: number("recent_auth_minutes")?,
        password_strength: named(f, "password_strength")?,
        cookie_mode: named(f, "cookie_mode")?,
        cookie_domain: text("cookie_domain"),
        brand_logo_url: text("brand_logo_url"),
        brand_primary_color: text("brand_primary_color"),
        brand_background_color: text("brand_background_color"),
        ..Default::default()
    })
}

async fn policy(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    Checked(f): Checked,
) -> Response {
    let outcome = match policy_change(&f) {
        Ok(change) => {
            let req = AdminRequest::ProjectUpdate {
                project_id: pid.clone(),
                policy: change,
            };
            command(&app, req).await.map(|_| "saved")
        }
        Err(e) => Err(e),
    };
    after(&admin, &app, &pid, ("project_policy", &pid), outcome).await
}

async fn secret_create(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    _: Checked,
) -> Response {
    let req = AdminRequest::SecretCreate {
        project_id: pid.clone(),
    };
    match command(&app, req).await {
        Ok(v) => {
            admin.did(
                "secret_create",
                &pid,
                v["secret_id"].as_str().unwrap_or(""),
                "",
            );
            let items = json!([{"label": "Secret", "value": v["secret"]}]);
            let back = format!("/admin/projects/{pid}");
            once(
                &admin,
                "Secret created",
                "Use it as the password of HTTP Basic project_id:secret.",
                items,
                &back,
            )
        }
        Err(e) => page(&admin, &app, &pid, (None, Some(format!("{e:#}")))).await,
    }
}

async fn rotate(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    _: Checked,
) -> Response {
    let req = AdminRequest::KeysRotate {
        project: Some(pid.clone()),
    };
    let outcome = command(&app, req).await.map(|_| "rotated");
    after(&admin, &app, &pid, ("keys_rotate", &pid), outcome).await
}

async fn oauth_set(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    Checked(f): Checked,
) -> Response {
    let get = |k: &str| f.get(k).map_or("", |s| s.trim()).to_owned();
    let provider = get("provider");
    let req = AdminRequest::OauthSet {
        project_id: pid.clone(),
        provider: provider.clone(),
        settings: ProviderSettings {
            client_id: get("client_id"),
            issuer: Some(get("issuer")).filter(|i| !i.is_empty()),
            ..Default::default()
        },
        client_secret: get("client_secret"),
    };
    let outcome = command(&app, req).await.map(|_| "saved");
    after(&admin, &app, &pid, ("oauth_set", &provider), outcome).await
}

async fn webhook_add(
    admin: Admin,
    State(app): State<AppState>,
    Path(pid): Path<String>,
    Checked(f): Checked,
) -> Response {
    let events: Vec<String> = f
        .get("events")
        .map(|e| {
            e.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let req = AdminRequest::WebhookAdd {
        project_id: pid.clone(),
        url: f.get("url").map_or("", |s| s.trim()).to_owned(),
        events,
    };
    match command(&app, req).await {
        Ok(v) => {
            admin.did(
                "webhook_add",
                &pid,
                v["endpoint_id"].as_str().unwrap_or(""),
                "",
            );
            let items = json!([{"label": "Signing secret", "value": v["secret"]}]);
            let intro =
                "Verify each delivery's webhook-signature header with it (Standard Webhooks).";
            once(
                &admin,
                "Webhook endpoint added",
                intro,
                items,
                &format!("/admin/projects/{pid}"),
            )
        }
        Err(e) => page(&admin, &app, &pid, (None, Some(format!("{e:#}")))).await,
    }
}

/// Deletes a project's secret (`secrets`), OAuth provider (`oauth`) or webhook endpoint
/// (`webhooks`).
async fn delete(
    admin: Admin,
    State(app): State<AppState>,
    Path((pid, kind, id)): Path<(String, String, String)>,
    _: Checked,
) -> Response {
    let project_id = pid.clone();
    let (action, req) = match kind.as_str() {
        "secrets" => (
            "secret_delete",
            AdminRequest::SecretDelete {
                project_id,
                secret_id: id.clone(),
            },
        ),
        "oauth" => (
            "oauth_delete",
            AdminRequest::OauthDelete {
                project_id,
                provider: id.clone(),
            },
        ),
        "webhooks" => (
            "webhook_delete",
            AdminRequest::WebhookDelete {
                project_id,
                endpoint_id: id.clone(),
            },
        ),
        _ => return see_other(&format!("/admin/projects/{pid}")),
    };
    let outcome = command(&app, req).await.map(|_| "deleted");
    after(&admin, &app, &pid, (action, &id), outcome).await
}
