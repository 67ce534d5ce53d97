//! The hosted login page (`/login`): which project and app a visit is for, the email link or
//! code it sends, and how a login on the page goes back to the app.
//!
//! The app sends the browser to `/login?public_token=…&redirect_url=…` with a redirect URL of
//! its project's list. Whatever path the user takes, the app gets them back in the one way it
//! already handles for Stytch's email magic links:
//!
//! * **a link**: the email links straight to the redirect URL with
//!   `?stytch_token_type=magic_links&token=…`;
//! * **a code** (sent by email or text message) **or a password** typed on the page: in the
//!   project's readable cookie mode the page redirects there with a single-use magic-link token
//!   of [`HANDBACK_MINUTES`]; in HttpOnly mode it creates the session itself, sets the project's
//!   session cookies and redirects plainly;
//! * **an OAuth provider** of the project: its start link names the redirect URL, so the
//!   provider's answer reaches the app as `?stytch_token_type=oauth&token=…`;
//! * **with script on**, the prebuilt form logs in through the frontend API on the page's own
//!   origin; then the page's session is [handed back](session_handback) like a code's login
//!   (HttpOnly projects need nothing: their cookies are set).
//!
//! The app's backend exchanges the token with `magic_links/authenticate` (or
//! `oauth/authenticate`) of any Stytch backend SDK, or its page with the browser SDK's
//! `authenticateByUrl`.

use std::sync::Arc;

use crate::delivery::Delivery;
use crate::error::Result;
use crate::model::Project;
use crate::model::Timestamp;
use crate::model::project::CookieMode;
use crate::model::user::EmailAddress;
use crate::service::factors::Authenticated;
use crate::service::factors::{self, DEFAULT_SESSION_MINUTES, Destination, MatchOptions};
use crate::service::links::{self, LinkKind};
use crate::service::otps::{self, SendInput, SendMode};
use crate::service::passwords::{self, Passwords};
use crate::service::projects::{self, ProjectCache};
use crate::service::sessions::{ClientAttributes, Issued, SessionEngine, SessionRequest};
use crate::service::{limits, magic_links, notify};
use crate::store::Store;

/// How long the token a code login hands back to the app lives: the redirect is immediate.
pub const HANDBACK_MINUTES: i64 = 5;
/// How long an emailed link works (the page says so), for a new user as for a known one.
pub const LINK_MINUTES: i64 = 60;

/// A visit of the page: the project (by its public token) and where the user goes back to.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The project.
    pub project: Arc<Project>,
    /// One of the project's redirect URLs.
    pub redirect_url: String,
}

/// The visit `public_token` and `redirect_url` name: the token must be a project's and the URL
/// one of its redirect URLs, exactly.
pub async fn visit(
    (store, cache): (&Store, &ProjectCache),
    public_token: &str,
    redirect_url: &str,
) -> Result<Visit> {
    let project = projects::by_public_token(store, cache, public_token).await?;
    let redirect_url = links::redirect_url(&project, Some(redirect_url), LinkKind::Login)?;
    Ok(Visit {
        project,
        redirect_url,
    })
}

/// Emails a login (or signup) link to the redirect URL, creating the user when the address is
/// new. Rate-limited like the frontend API's sends.
pub async fn send_link(
    (store, delivery): (&Store, &Delivery),
    visit: &Visit,
    (email, locale): (&EmailAddress, Option<String>),
    attrs: ClientAttributes,
    now: Timestamp,
) -> Result<()> {
    let project = &visit.project;
    limits::check_send(store, project, email.as_str(), &attrs.ip_address, now).await?;
    let input = magic_links::EmailLinkInput {
        email: Some(email.clone()),
        login_url: Some(visit.redirect_url.clone()),
        signup_url: Some(visit.redirect_url.clone()),
        login_minutes: Some(LINK_MINUTES),
        signup_minutes: Some(LINK_MINUTES),
        code_challenge: None,
        attrs,
        locale,
    };
    magic_links::login_or_create((store, delivery), project, input, false, now).await?;
    Ok(())
}

/// Sends a code by email or text message, creating the user when the address or number is
/// new; returns the `method_id` the code is checked against.
pub async fn send_code(
    (engine, delivery): (&SessionEngine, &Delivery),
    visit: &Visit,
    (to, locale): (Destination, Option<String>),
    attrs: ClientAttributes,
    now: Timestamp,
) -> Result<String> {
    let project = &visit.project;
    limits::check_send(engine.store(), project, to.as_str(), &attrs.ip_address, now).await?;
    let input = SendInput {
        to,
        minutes: None,
        attrs,
        locale,
    };
    let mode = SendMode::LoginOrCreate { pending: false };
    Ok(otps::send((engine, delivery), project, input, mode, now)
        .await?
        .method_id)
}

/// How a login on the page goes back to the app.
#[derive(Debug)]
pub enum Handback {
    /// Redirect here: the redirect URL with a single-use magic-link token.
    Token(String),
    /// Set these session cookies and redirect to the redirect URL (HttpOnly cookie mode).
    Session(Box<Issued>),
}

/// Checks a code typed on the page (rate-limited and logged like the frontend API's), and
/// hands the login back as the project's cookie mode says.
pub async fn verify_code(
    (engine, delivery): (&SessionEngine, &Delivery),
    visit: &Visit,
    (method_id, code): (String, String),
    attrs: ClientAttributes,
    now: Timestamp,
) -> Result<Handback> {
    let project = &visit.project;
    let store = engine.store();
    limits::check_authenticate(store, project, &attrs.ip_address, now).await?;
    let session = session_request(visit);
    let input = otps::AuthenticateInput {
        method_id,
        code,
        options: MatchOptions::default(),
        attrs: attrs.clone(),
        session,
    };
    let outcome = otps::authenticate(engine, project, input, now).await;
    hand_back((engine, delivery), visit, ("otp", outcome), attrs, now).await
}

/// The session a login on the page asks for: one of its own in HttpOnly mode (its cookies go
/// back), none otherwise (a token goes back).
fn session_request(visit: &Visit) -> SessionRequest {
    let cookies = visit.project.policy.cookies.mode == CookieMode::Httponly;
    SessionRequest {
        duration_minutes: cookies.then_some(DEFAULT_SESSION_MINUTES),
        ..Default::default()
    }
}

/// Checks a password typed on the page, or makes the account (`create`), and hands the login
/// back; rate-limited and logged like the frontend API's.
pub async fn password(
    (engine, delivery, pw): (&SessionEngine, &Delivery, &Passwords),
    visit: &Visit,
    (email, password, create): (&EmailAddress, String, bool),
    attrs: ClientAttributes,
    now: Timestamp,
) -> Result<Handback> {
    let project = &visit.project;
    limits::check_authenticate(engine.store(), project, &attrs.ip_address, now).await?;
    let session = session_request(visit);
    let outcome = if create {
        let input = passwords::CreateInput {
            email: email.clone(),
            password,
            user: Default::default(),
            session,
            attrs: attrs.clone(),
        };
        passwords::create((engine, pw), project, input, now).await
    } else {
        let input = passwords::AuthenticateInput {
            email: email.clone(),
            password,
            session,
            attrs: attrs.clone(),
        };
        passwords::authenticate((engine, pw), project, input, now).await
    };
    hand_back((engine, delivery), visit, ("password", outcome), attrs, now).await
}

/// How every login on the page ends: logged, then its session's cookies or a token go back.
async fn hand_back(
    (engine, delivery): (&SessionEngine, &Delivery),
    visit: &Visit,
    (factor, outcome): (&str, Result<Authenticated>),
    attrs: ClientAttributes,
    now: Timestamp,
) -> Result<Handback> {
    let (project, store) = (&visit.project, engine.store());
    factors::log_outcome(project, factor, &outcome, &attrs);
    factors::record_failure(store, project, factor, &outcome, &attrs).await;
    let a = outcome?;
    notify::after_factor(delivery, project, &a, &attrs).await;
    match a.issued {
        Some(issued) => Ok(Handback::Session(Box::new(issued))),
        None => {
            let (_, token) = magic_links::create_embeddable(
                store,
                project,
                &a.user.user_id,
                Some(HANDBACK_MINUTES),
                attrs,
                now,
            )
            .await?;
            Ok(Handback::Token(links::typed_link(
                &visit.redirect_url,
                "magic_links",
                &token,
            )))
        }
    }
}

/// The login the prebuilt form made on the page (its session's token), handed back to the app
/// as a single-use token; the page's own session ends (it was only the way there).
pub async fn session_handback(
    engine: &SessionEngine,
    visit: &Visit,
    session_token: &str,
    attrs: ClientAttributes,
    now: Timestamp,
) -> Result<Handback> {
    use crate::model::event::EndReason;
    use crate::service::sessions::{self, Locator, RevokeBy};
    let project = &visit.project;
    let loc = Locator::Token(session_token.to_owned());
    let (session, user) = sessions::resolve_with_user(engine, project, &loc, now).await?;
    let (_, token) = magic_links::create_embeddable(
        engine.store(),
        project,
        &user.user_id,
        Some(HANDBACK_MINUTES),
        attrs,
        now,
    )
    .await?;
    let by = (RevokeBy::Id(session.session_id), EndReason::Logout);
    sessions::revoke(engine, project, by, now).await?;
    Ok(Handback::Token(links::typed_link(
        &visit.redirect_url,
        "magic_links",
        &token,
    )))
}

/// The project's OAuth providers as `(name, display name, start link)`: each link sends the
/// user to the provider and the answer to the redirect URL.
pub async fn oauth_links(store: &Store, visit: &Visit) -> Result<Vec<(String, String, String)>> {
    let providers = crate::service::oauth::config::list(store, &visit.project.project_id).await?;
    Ok(providers
        .into_iter()
        .map(|p| {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("public_token", &visit.project.public_token);
            q.append_pair("login_redirect_url", &visit.redirect_url);
            q.append_pair("signup_redirect_url", &visit.redirect_url);
            let link = format!("/v1/public/oauth/{}/start?{}", p.provider, q.finish());
            (p.provider, p.provider_type, link)
        })
        .collect())
}
