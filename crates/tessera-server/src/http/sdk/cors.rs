use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cookies;
use super::extract::Caller;
use crate::error::{Error, ErrorType, Result};
use crate::http::extract::basic_credentials;
use crate::model::project::CookieMode;
use crate::service::projects;
use crate::state::AppState;

const ALLOW_METHODS: &str = "GET, POST, PUT, DELETE, OPTIONS";
const ALLOW_HEADERS: &str = "Authorization, Content-Type, X-SDK-Client, X-SDK-Parent-Host";

/// Identifies the caller and enforces the project's authorized origins, and answers CORS:
///
/// * a preflight carries no credentials, so it is answered for any origin some project lists
///   (and refused otherwise); the request that follows is checked against its own project;
/// * a request from a browser (`Origin` present) whose origin the project does not list is
///   refused with `bad_domain_for_stytch_sdk` and no CORS headers, so the page cannot read
///   anything; requests without `Origin` (servers, native apps) are not browser-bound and pass;
/// * every answer to an allowed origin, errors included, echoes that exact origin with
///   credentials allowed, so the SDK can read the error type and stop retrying;
/// * in HttpOnly cookie mode, a caller without a session in the Basic secret may name it by
///   Tessera's cookie, and answers carrying tokens set cookies instead ([`cookies`]).
pub(crate) async fn guard(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        return preflight_answer(&app, origin.as_deref()).await;
    }
    let caller = match caller(&app, req.headers()).await {
        Ok(c) => c,
        Err(e) => return answer_anywhere(&app, origin.as_deref(), e.into_response()).await,
    };
    let Some(caller) = caller else {
        // No credentials: only the telemetry endpoint (and bootstrap, which names its project
        // in the path) can succeed; the handlers refuse the rest.
        let res = next.run(req).await;
        return answer_anywhere(&app, origin.as_deref(), res).await;
    };
    let mut caller = caller;
    if let Some(o) = &origin
        && !caller.project.authorized_origins.iter().any(|a| a == o)
    {
        if !own_origin(o, &req) {
            return refused(o).into_response();
        }
        // The hosted login page: for this request its origin is one of the project's, so
        // that everything keyed on them (WebAuthn's origins and relying-party ids) takes it.
        let mut project = (*caller.project).clone();
        project.authorized_origins.push(o.clone());
        caller.project = std::sync::Arc::new(project);
    }
    let mut from_cookie = false;
    if caller.session_token.is_none() {
        let policy = &caller.project.policy.cookies;
        match cookies::session_token(policy, req.headers(), origin.as_deref()) {
            Ok(token) => {
                from_cookie = token.is_some();
                caller.session_token = token;
            }
            Err(e) => return answer_anywhere(&app, origin.as_deref(), e.into_response()).await,
        }
    }
    let project = caller.project.clone();
    let logout = req.uri().path().ends_with("/sessions/revoke");
    req.extensions_mut().insert(caller);
    let mut res = next.run(req).await;
    if project.policy.cookies.mode == CookieMode::Httponly {
        res = cookies::hand_over(&project.policy.cookies, logout, from_cookie, res).await;
    }
    if let Some(o) = &origin {
        allow(res.headers_mut(), o);
    }
    res
}

async fn caller(app: &AppState, headers: &HeaderMap) -> Result<Option<Caller>> {
    let Some((public_token, secret)) = basic_credentials(headers)? else {
        return Ok(None);
    };
    let project = projects::by_public_token(app.store(), &app.projects, &public_token).await?;
    let session_token = (!secret.is_empty() && secret != public_token).then_some(secret);
    Ok(Some(Caller {
        project,
        session_token,
    }))
}

/// Whether `origin` is this server's own (its host and port are the request's `Host`): the
/// hosted login page's prebuilt form calls the frontend API from there. Tessera serves no page
/// of anyone else, so its own origin is authorized for every project. The scheme is not
/// compared: behind a TLS proxy the server sees `http`.
fn own_origin(origin: &str, req: &Request) -> bool {
    // HTTP/1.1 names the host in `Host`, HTTP/2 in the request's authority.
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    let Some(host) = host else {
        return false;
    };
    let Ok(o) = url::Url::parse(origin) else {
        return false;
    };
    let Some(name) = o.host_str() else {
        return false;
    };
    let given = match o.port() {
        Some(p) => format!("{name}:{p}"),
        None => name.to_owned(),
    };
    given.eq_ignore_ascii_case(host)
}

async fn preflight_answer(app: &AppState, origin: Option<&str>) -> Response {
    let Some(origin) = origin else {
        return Error::with_message(ErrorType::BadRequest, "A CORS preflight needs an Origin.")
            .into_response();
    };
    match projects::origin_known(app.store(), &app.projects, origin).await {
        Ok(true) => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            let h = res.headers_mut();
            allow(h, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            res
        }
        Ok(false) => refused(origin).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Adds CORS headers to an answer given before the project is known, when some project lists
/// the origin.
async fn answer_anywhere(app: &AppState, origin: Option<&str>, mut res: Response) -> Response {
    if let Some(o) = origin
        && let Ok(true) = projects::origin_known(app.store(), &app.projects, o).await
    {
        allow(res.headers_mut(), o);
    }
    res
}

fn refused(origin: &str) -> Error {
    Error::with_message(
        ErrorType::BadDomainForStytchSdk,
        format!(
            "The origin {origin} is not one of this project's authorized origins \
             (`tessera project create --authorized-origin`)."
        ),
    )
}

fn allow(h: &mut HeaderMap, origin: &str) {
    if let Ok(v) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}
