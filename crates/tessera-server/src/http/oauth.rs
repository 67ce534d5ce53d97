//! `/v1/public/oauth/{provider}/start` and Tessera's callback (browser navigations: they answer
//! redirects or an HTML error page, never JSON), `/v1/oauth/authenticate`, `/v1/oauth/attach`,
//! `/v1/users/oauth/{id}`, impersonation and `sessions/migrate`.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tessera_proto::ErrorResponse;
use tessera_proto::oauth as wire;
use tessera_proto::sessions::FactorAuthenticateResponse;
use tessera_proto::users::UserFactorResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Client, Json, Path, ProjectAuth, Query, RequestId};
use super::sessions::{concluded, session_request};
use crate::error::{Error, ErrorType, Result};
use crate::model::{Project, Timestamp};
use crate::service::oauth::login::{self, AttachTarget, OauthAuthenticated};
use crate::service::oauth::{self, CallbackInput, FLOW_MINUTES, StartInput};
use crate::service::sessions::{ClientAttributes, Locator, SessionRequest};
use crate::service::{impersonation, limits, notify, projects};
use crate::state::AppState;

/// The browser navigations (start and callback): redirects and HTML pages, outside the JSON
/// API and its OpenAPI document.
pub(crate) fn browser_routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route(
            "/v1/public/oauth/{provider}/start",
            axum::routing::get(start),
        )
        .route(
            "/v1/public/oauth/callback",
            axum::routing::get(callback).post(callback_post),
        )
}

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authenticate))
        .routes(routes!(attach))
        .routes(routes!(delete_registration))
        .routes(routes!(impersonation_authenticate))
        .routes(routes!(impersonation_token))
        .routes(routes!(migrate))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page a browser sees when a flow cannot go on: never a redirect to anywhere unlisted.
fn error_page(e: Error) -> Response {
    let kind = e.kind();
    let (status, default) = super::error::describe(kind);
    if let Error::Internal(cause) = &e {
        tracing::error!(
            error = format!("{cause:#}"),
            "internal error in an OAuth flow"
        );
    }
    let message = match &e {
        Error::Api {
            message: Some(m), ..
        } => m.to_string(),
        _ => default.to_owned(),
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>Sign-in failed</title>\
         </head><body><main><h1>Sign-in failed</h1><p id=\"message\">{}</p>\
         <p><small>Error: <code id=\"error-type\">{}</code></small></p></main></body></html>",
        escape(&message),
        kind.as_str()
    );
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    res
}

fn redirect(to: &str, cookie: Option<String>) -> Response {
    let mut res = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    res
}

/// `https` unless the browser reached a loopback or `localhost` host (then `http`), when no
/// `--public-url` is set.
fn scheme_of(host: &str) -> &'static str {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let loopback = name == "localhost"
        || name.ends_with(".localhost")
        || name
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback { "http" } else { "https" }
}

/// Start an OAuth login: a 302 to the provider, the flow bound to this browser by a cookie.
async fn start(
    State(app): State<AppState>,
    Path(provider): Path<String>,
    uri: axum::http::Uri,
    client: Client,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    // HTTP/2 carries the host as the request's authority, HTTP/1.1 in `Host`.
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let scheme = match uri.scheme_str() {
        Some("https") => "https",
        _ => scheme_of(&host),
    };
    let run = async {
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        let token =
            get("public_token").ok_or_else(|| Error::new(ErrorType::UnauthorizedCredentials))?;
        let project = projects::by_public_token(app.store(), &app.projects, &token).await?;
        // Each start stores a flow: counted like a login attempt, per client IP.
        let now = Timestamp::now();
        limits::check_authenticate(app.store(), &project, &client.0.ip_address, now).await?;
        let input = StartInput {
            provider,
            login_redirect_url: get("login_redirect_url"),
            signup_redirect_url: get("signup_redirect_url"),
            custom_scopes: get("custom_scopes"),
            provider_params: params
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix("provider_")
                        .map(|k| (k.to_owned(), v.clone()))
                })
                .collect(),
            code_challenge: get("code_challenge"),
            oauth_attach_token: get("oauth_attach_token"),
            callback: app.oauth.callback_url(scheme, &host),
        };
        oauth::start(&app.sessions, &app.oauth, &project, input, now).await
    };
    match run.await {
        Ok(s) => {
            // SameSite=None so that a provider's form post (Apple) carries it back; the flow's
            // state is needed as well, so the cookie alone grants nothing.
            let same_site = if scheme == "https" {
                "None; Secure"
            } else {
                "Lax"
            };
            let cookie = format!(
                "{}={}; Path=/v1/public/oauth; HttpOnly; SameSite={same_site}; Max-Age={}",
                s.cookie_name,
                s.browser_secret,
                FLOW_MINUTES * 60
            );
            redirect(&s.location, Some(cookie))
        }
        Err(e) => error_page(e),
    }
}

/// The provider's answer, as query parameters or a form post.
#[derive(Debug, Default, serde::Deserialize)]
struct ProviderAnswer {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

async fn finish_callback(app: AppState, headers: HeaderMap, a: ProviderAnswer) -> Response {
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .filter(|(k, _)| k.starts_with(oauth::BROWSER_COOKIE))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let name = oauth::browser_cookie(a.state.as_deref().unwrap_or_default());
    let input = CallbackInput {
        state: a.state,
        code: a.code,
        error: a.error,
        cookies,
    };
    let clear = format!("{name}=; Path=/v1/public/oauth; HttpOnly; Max-Age=0");
    match oauth::callback(&app.sessions, &app.oauth, input, Timestamp::now()).await {
        Ok(to) => redirect(&to, Some(clear)),
        Err(e) => {
            let mut res = error_page(e);
            if let Ok(v) = HeaderValue::from_str(&clear) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
    }
}

/// Where providers send the browser back (register `<public URL>/v1/public/oauth/callback`).
async fn callback(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(a): Query<ProviderAnswer>,
) -> Response {
    finish_callback(app, headers, a).await
}

/// The callback as a form post (`response_mode=form_post`, Apple).
async fn callback_post(
    State(app): State<AppState>,
    headers: HeaderMap,
    form: std::result::Result<Form<ProviderAnswer>, axum::extract::rejection::FormRejection>,
) -> Response {
    let a = form.map(|Form(a)| a).unwrap_or_default();
    finish_callback(app, headers, a).await
}

/// The wire answer of an OAuth login; `frontend` adds the session under `session` too.
pub(crate) fn oauth_response(
    request_id: RequestId,
    o: OauthAuthenticated,
    now: Timestamp,
    frontend: bool,
) -> wire::AuthenticateResponse {
    let a = o.done;
    let roles = a.user.effective_roles();
    let (session_token, session_jwt, session) = super::wire::issued(a.issued, roles);
    let g = o.grant;
    wire::AuthenticateResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: a.user.user_id.clone(),
        user: super::wire::user(a.user, now),
        provider_subject: o.provider_subject,
        provider_type: o.provider.provider_type().to_owned(),
        session_token,
        session_jwt,
        provider_values: wire::ProviderValues {
            access_token: g.access_token,
            refresh_token: g.refresh_token,
            id_token: g.id_token,
            scopes: g.scopes,
            expires_at: g
                .expires_at
                .map(|ms| Timestamp::from_millis(ms).to_rfc3339()),
        },
        reset_sessions: false,
        oauth_user_registration_id: o.registration_id,
        session: if frontend { session.clone() } else { None },
        user_session: session,
    }
}

/// Logs, notifies and returns an OAuth login's outcome.
pub(crate) async fn logged(
    app: &AppState,
    project: &Project,
    outcome: Result<OauthAuthenticated>,
    attrs: &ClientAttributes,
) -> Result<OauthAuthenticated> {
    match &outcome {
        Ok(o) => {
            let session = o
                .done
                .issued
                .as_ref()
                .map(|i| (i.session.session_id.as_str(), i.created));
            crate::service::security_log::login_succeeded(
                project,
                "oauth",
                &o.done.user.user_id,
                session,
                &attrs.ip_address,
            );
            notify::after_factor(&app.delivery, project, &o.done, attrs).await;
        }
        Err(e) => {
            crate::service::security_log::login_failed(
                project,
                "oauth",
                e.kind().as_str(),
                &attrs.ip_address,
            );
            let client = (attrs.ip_address.as_str(), attrs.user_agent.as_str());
            let (pid, reason) = (&project.project_id, e.kind().as_str());
            crate::service::events::login_failed(app.store(), pid, "oauth", reason, client).await;
        }
    }
    outcome
}

/// Turn the token the app received into a session, with the provider's tokens.
#[utoipa::path(post, operation_id = "oauth_authenticate", path = "/v1/oauth/authenticate", tag = "oauth",
    request_body = wire::AuthenticateRequest,
    responses((status = 200, body = wire::AuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn authenticate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::AuthenticateRequest>,
) -> Result<axum::Json<wire::AuthenticateResponse>> {
    let input = login::AuthenticateInput {
        token: req.token,
        code_verifier: req.code_verifier.filter(|v| !v.is_empty()),
        session: session_request(req.session)?,
        attrs: client.0,
    };
    let now = Timestamp::now();
    let attrs = input.attrs.clone();
    let outcome = login::authenticate(&app.sessions, &project, input, now).await;
    let o = logged(&app, &project, outcome, &attrs).await?;
    Ok(axum::Json(oauth_response(request_id, o, now, false)))
}

/// A single-use token that makes the next OAuth flow with this provider log into the user.
#[utoipa::path(post, path = "/v1/oauth/attach", tag = "oauth",
    request_body = wire::AttachRequest,
    responses((status = 200, body = wire::AttachResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn attach(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::AttachRequest>,
) -> Result<axum::Json<wire::AttachResponse>> {
    let given = [&req.user_id, &req.session_token, &req.session_jwt]
        .iter()
        .filter(|v| v.as_deref().is_some_and(|s| !s.is_empty()))
        .count();
    let target = match (given, req.user_id, req.session_token, req.session_jwt) {
        (0, ..) => return Err(Error::new(ErrorType::NoUserSelectionArguments)),
        (1, Some(u), ..) if !u.is_empty() => AttachTarget::User(u),
        (1, _, Some(t), _) if !t.is_empty() => AttachTarget::Session(Locator::Token(t)),
        (1, _, _, Some(j)) => AttachTarget::Session(Locator::Jwt(j)),
        _ => return Err(Error::new(ErrorType::TooManyUserSelectionArguments)),
    };
    let token = login::attach(
        &app.sessions,
        &project,
        &req.provider,
        target,
        Timestamp::now(),
    )
    .await?;
    Ok(axum::Json(wire::AttachResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        oauth_attach_token: token,
    }))
}

/// Delete a user's OAuth registration.
#[utoipa::path(delete, operation_id = "oauth_delete_registration", path = "/v1/users/oauth/{oauth_user_registration_id}", tag = "users",
    params(("oauth_user_registration_id" = String, Path)),
    responses((status = 200, body = UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_registration(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<UserFactorResponse>> {
    let user = login::delete(&app.sessions, &project, &id).await?;
    Ok(super::users::factor_response(request_id, user))
}

/// Start a 60-minute, non-extendable session as the user an administrator impersonates.
#[utoipa::path(post, path = "/v1/impersonation/authenticate", tag = "impersonation",
    request_body = wire::ImpersonationAuthenticateRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn impersonation_authenticate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::ImpersonationAuthenticateRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let now = Timestamp::now();
    let attrs = client.0;
    let a = impersonation::authenticate(
        &app.sessions,
        &project,
        &req.impersonation_token,
        &attrs,
        now,
    )
    .await;
    concluded(
        (&app, &project),
        ("impersonation", a, &attrs),
        request_id,
        now,
    )
    .await
}

/// Mint an impersonation token (a Tessera extension; also `tessera impersonate`).
#[utoipa::path(post, path = "/v1/impersonation/tokens", tag = "impersonation",
    request_body = wire::ImpersonationTokenRequest,
    responses((status = 200, body = wire::ImpersonationTokenResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn impersonation_token(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::ImpersonationTokenRequest>,
) -> Result<axum::Json<wire::ImpersonationTokenResponse>> {
    let who = (req.impersonator_email.as_str(), req.reason.as_str());
    let (token, expires) =
        impersonation::mint(app.store(), &project, &req.user_id, who, Timestamp::now()).await?;
    Ok(axum::Json(wire::ImpersonationTokenResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        impersonation_token: token,
        expires_at: expires.to_rfc3339(),
    }))
}

/// Import a session from another identity provider through its userinfo endpoint.
#[utoipa::path(post, operation_id = "oauth_migrate", path = "/v1/sessions/migrate", tag = "sessions",
    request_body = wire::MigrateRequest,
    responses((status = 200, body = FactorAuthenticateResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn migrate(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    client: Client,
    State(app): State<AppState>,
    Json(req): Json<wire::MigrateRequest>,
) -> Result<axum::Json<FactorAuthenticateResponse>> {
    let session = SessionRequest::parse(
        None,
        None,
        req.session_duration_minutes,
        req.session_custom_claims,
    )?;
    let now = Timestamp::now();
    let attrs = client.0;
    let a = oauth::migrate::migrate(
        &app.sessions,
        &app.oauth,
        &project,
        &req.session_token,
        (session, &attrs),
        now,
    )
    .await;
    concluded((&app, &project), ("imported", a, &attrs), request_id, now).await
}
