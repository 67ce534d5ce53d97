//! OAuth and OpenID Connect logins. A browser flow is `start` (state, nonce and a PKCE verifier
//! kept sealed server-side, bound to the browser by a cookie) → the provider → `callback`
//! (the state taken once, the cookie checked, the code exchanged, the user found or created)
//! → the app with a single-use token that `oauth/authenticate` turns into a session.

pub mod config;
pub mod login;
pub mod migrate;
pub mod protocol;

use serde::{Deserialize, Serialize};

use crate::crypto::{Digest256, random_b64_nopad};
use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::oauth::Provider;
use crate::model::user::{EmailAddress, Name};
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Destination};
use crate::service::links::{self, LinkKind};
use crate::service::master_key::oauth_context;
use crate::service::sessions::SessionEngine;
use crate::service::{security_log, users};
use crate::store::oauth::{NewRegistration, OauthTokenRow, StateRow};
use crate::store::users::FactorRef;

pub use protocol::Providers;

/// How long a browser has between start and callback, and the app between callback and
/// `oauth/authenticate`.
pub const FLOW_MINUTES: i64 = 10;
/// The prefix of the cookie that binds a flow to the browser that started it.
pub const BROWSER_COOKIE: &str = "tessera_oauth";

/// The name of the binding cookie of the flow with this `state`: one per flow, so that two
/// flows started in two tabs of one browser both finish.
pub fn browser_cookie(state: &str) -> String {
    let d = Digest256::of(state);
    let tag: String = d.0[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{BROWSER_COOKIE}_{tag}")
}
/// Authorization parameters a `provider_*` parameter may not set.
const RESERVED: [&str; 10] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "response_mode",
    "client_secret",
];

/// Lower-case hex of a digest (the key of flows and tokens).
pub(crate) fn hex(d: &Digest256) -> String {
    d.0.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a flow remembers between start and callback (sealed at rest).
#[derive(Debug, Serialize, Deserialize)]
struct Flow {
    provider: Provider,
    nonce: String,
    verifier: String,
    callback: String,
    login_redirect: String,
    signup_redirect: String,
    code_challenge: Option<String>,
    attach_user: Option<String>,
    scopes: Vec<String>,
}

/// A validated `GET /v1/public/oauth/{provider}/start`.
#[derive(Debug, Default)]
pub struct StartInput {
    /// The provider's name.
    pub provider: String,
    /// Where a returning user lands.
    pub login_redirect_url: Option<String>,
    /// Where a new user lands.
    pub signup_redirect_url: Option<String>,
    /// More scopes (space-separated).
    pub custom_scopes: Option<String>,
    /// `provider_<key>=<value>` parameters, the prefix removed.
    pub provider_params: Vec<(String, String)>,
    /// The app's PKCE challenge.
    pub code_challenge: Option<String>,
    /// From `oauth/attach`.
    pub oauth_attach_token: Option<String>,
    /// Tessera's callback URL.
    pub callback: String,
}

/// Where to send the browser, and the cookie that binds the flow to it.
#[derive(Debug)]
pub struct Started {
    /// The provider's authorization URL.
    pub location: String,
    /// The binding cookie's name ([`browser_cookie`]).
    pub cookie_name: String,
    /// The binding cookie's value.
    pub browser_secret: String,
}

/// The app's redirect URL: one of the project's, where a loopback URL (`http://127.0.0.1` or
/// `http://[::1]`) matches a listed one on any port, as RFC 8252 §7.3 asks for native apps.
fn redirect(project: &Project, given: Option<&str>, kind: LinkKind) -> Result<String> {
    if let Some(g) = given
        && let Ok(u) = url::Url::parse(g)
        && u.scheme() == "http"
        && matches!(u.host_str(), Some("127.0.0.1" | "[::1]"))
    {
        let portless = |mut u: url::Url| {
            let _ = u.set_port(None);
            u
        };
        let want = portless(u);
        let listed = project
            .redirect_urls
            .iter()
            .filter_map(|a| url::Url::parse(a).ok())
            .any(|a| portless(a) == want);
        if listed {
            return Ok(g.to_owned());
        }
    }
    links::redirect_url(project, given, kind).map_err(|e| match e.kind() {
        ErrorType::InvalidMagicLinkUrl | ErrorType::NoMatchForProvidedMagicLinkUrl => {
            Error::new(ErrorType::InvalidRedirectUrl)
        }
        _ => e,
    })
}

/// Starts a browser flow.
pub async fn start(
    engine: &SessionEngine,
    providers: &Providers,
    project: &Project,
    input: StartInput,
    now: Timestamp,
) -> Result<Started> {
    let provider = Provider::parse(&input.provider)
        .ok_or_else(|| Error::new(ErrorType::InvalidOauthProvider))?;
    let store = engine.store();
    let pid = &project.project_id;
    let mut c = config::configured(store, engine.master_key(), pid, provider).await?;
    let login_redirect = redirect(
        project,
        input.login_redirect_url.as_deref(),
        LinkKind::Login,
    )?;
    let signup_redirect = redirect(
        project,
        input.signup_redirect_url.as_deref(),
        LinkKind::Signup,
    )?;
    if let Some(ch) = &input.code_challenge
        && !(43..=128).contains(&ch.trim_end_matches('=').len())
    {
        return Err(Error::with_message(
            ErrorType::InvalidArgument,
            "code_challenge must be a base64url SHA-256 of the verifier.",
        ));
    }
    for s in input
        .custom_scopes
        .iter()
        .flat_map(|s| s.split_whitespace())
    {
        if s.len() > 200
            || s.chars()
                .any(|ch| ch.is_control() || ch == '"' || ch == '\\')
        {
            return Err(Error::with_message(
                ErrorType::InvalidArgument,
                "custom_scopes holds an invalid scope.",
            ));
        }
        if !c.scopes.iter().any(|have| have == s) {
            c.scopes.push(s.to_owned());
        }
    }
    for (k, _) in &input.provider_params {
        if RESERVED.contains(&k.as_str()) {
            return Err(Error::with_message(
                ErrorType::InvalidArgument,
                format!("provider_{k} cannot be set: Tessera sets it."),
            ));
        }
    }
    let attach_user = match &input.oauth_attach_token {
        None => None,
        Some(t) => {
            let (user, for_provider) = store
                .take_attach_token(pid, &Digest256::of(t).0, now)
                .await?
                .ok_or_else(|| Error::new(ErrorType::InvalidOauthAttachToken))?;
            if for_provider != provider.name() {
                return Err(Error::new(ErrorType::InvalidOauthAttachToken));
            }
            Some(user)
        }
    };
    let (state, nonce, verifier) = (
        random_b64_nopad(32),
        random_b64_nopad(32),
        random_b64_nopad(32),
    );
    let browser_secret = random_b64_nopad(32);
    let location = providers
        .authorize_url(
            &c,
            &input.callback,
            (&state, &nonce, &verifier),
            &input.provider_params,
        )
        .await?;
    let flow = Flow {
        provider,
        nonce,
        verifier,
        callback: input.callback,
        login_redirect,
        signup_redirect,
        code_challenge: input.code_challenge,
        attach_user,
        scopes: c.scopes,
    };
    let state_key = hex(&Digest256::of(&state));
    let row = StateRow {
        project_id: pid.clone(),
        browser_digest: Digest256::of(&browser_secret).0.to_vec(),
        flow_sealed: engine.master_key().seal(
            &oauth_context("flow", pid, &state_key),
            &serde_json::to_vec(&flow).unwrap_or_default(),
        ),
    };
    store
        .insert_oauth_state(&state_key, &row, now.plus_minutes(FLOW_MINUTES))
        .await?;
    Ok(Started {
        location,
        cookie_name: browser_cookie(&state),
        browser_secret,
    })
}

/// The provider's answer at Tessera's callback.
#[derive(Debug, Default)]
pub struct CallbackInput {
    /// `state`.
    pub state: Option<String>,
    /// `code`.
    pub code: Option<String>,
    /// `error`, when the provider refused.
    pub error: Option<String>,
    /// The cookies the browser sent for the callback's path, by name.
    pub cookies: Vec<(String, String)>,
}

fn callback_error(message: &str) -> Error {
    Error::with_message(ErrorType::OauthFlowCallbackError, message.to_owned())
}

/// What the provider's tokens and the proved email are kept as until `oauth/authenticate`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Handed {
    pub(crate) grant: protocol::Grant,
    pub(crate) email_id: Option<String>,
}

/// Finishes a browser flow: the app's redirect URL with `stytch_token_type=oauth&token=…`.
pub async fn callback(
    engine: &SessionEngine,
    providers: &Providers,
    input: CallbackInput,
    now: Timestamp,
) -> Result<String> {
    let state = input
        .state
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .ok_or_else(|| callback_error("The provider's answer has no state."))?;
    let store = engine.store();
    let state_key = hex(&Digest256::of(&state));
    let row = store
        .take_oauth_state(&state_key, now)
        .await?
        .ok_or_else(|| {
            callback_error("This sign-in has expired or was already finished; start it again.")
        })?;
    let name = browser_cookie(&state);
    let bound = input
        .cookies
        .iter()
        .find(|(k, _)| *k == name)
        .is_some_and(|(_, b)| Digest256::of(b).ct_eq(&row.browser_digest));
    if !bound {
        return Err(callback_error(
            "This sign-in was started in another browser; start it again here.",
        ));
    }
    let pid = row.project_id;
    let flow: Flow = engine
        .master_key()
        .open(&oauth_context("flow", &pid, &state_key), &row.flow_sealed)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| callback_error("This sign-in can no longer be read; start it again."))?;
    if let Some(e) = input.error {
        security_log::login_failed_for(&pid, "oauth", &format!("provider_error:{e}"));
        return Err(callback_error(
            "The provider did not sign you in (it answered with an error); start again.",
        ));
    }
    let code = input
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or_else(|| callback_error("The provider's answer has no code."))?;
    let project = store
        .project(&pid)
        .await?
        .ok_or_else(|| callback_error("This project no longer exists."))?;
    let c = config::configured(store, engine.master_key(), &pid, flow.provider).await?;
    let (who, grant) = providers
        .exchange(&c, &flow.callback, &code, (&flow.nonce, &flow.verifier))
        .await
        .inspect_err(|e| security_log::login_failed_for(&pid, "oauth", e.kind().as_str()))?;
    let (user_id, registration_id, email_id, created) = link(
        engine,
        &project,
        flow.provider,
        flow.attach_user.as_deref(),
        &who,
        now,
    )
    .await?;
    let token = random_b64_nopad(33);
    let token_key = hex(&Digest256::of(&token));
    let handed = Handed { grant, email_id };
    let row = OauthTokenRow {
        user_id,
        registration_id,
        grant_sealed: engine.master_key().seal(
            &oauth_context("grant", &pid, &token_key),
            &serde_json::to_vec(&handed).unwrap_or_default(),
        ),
        code_challenge: flow.code_challenge,
    };
    store
        .insert_oauth_token(&pid, &token_key, &row, now.plus_minutes(FLOW_MINUTES))
        .await?;
    let to = if created {
        &flow.signup_redirect
    } else {
        &flow.login_redirect
    };
    Ok(links::typed_link(to, "oauth", &token))
}

/// The user a provider account belongs to: the user attaching it; else the one it is
/// registered to; else the owner of the email the provider says it verified; else a new user.
/// Its `(user_id, registration_id, email_id, created)`.
async fn link(
    engine: &SessionEngine,
    project: &Project,
    provider: Provider,
    attach_user: Option<&str>,
    who: &protocol::Identity,
    now: Timestamp,
) -> Result<(String, String, Option<String>, bool)> {
    let store = engine.store();
    let pid = &project.project_id;
    let registered = store
        .oauth_registration(pid, provider.name(), &who.subject)
        .await?;
    let verified_email = match (&who.email, who.email_verified) {
        (Some(e), true) => EmailAddress::parse(e).ok(),
        _ => None,
    };
    let (user, created) = match (attach_user, &registered) {
        (Some(u), Some((_, holder))) if holder != u => {
            return Err(callback_error(
                "This provider account is already linked to another user.",
            ));
        }
        (Some(u), _) => (users::get(store, project, u).await?, false),
        (None, Some((_, holder))) => (users::get(store, project, holder).await?, false),
        (None, None) => {
            let new = users::NewUser {
                name: Name {
                    first: who.given_name.clone(),
                    middle: String::new(),
                    last: who.family_name.clone(),
                },
                ..Default::default()
            };
            match &verified_email {
                Some(e) => {
                    let to = Destination::Email(e.clone());
                    factors::owner_or_create(store, project, &to, new, now).await?
                }
                None => (users::create_any(store, project, new, now).await?, true),
            }
        }
    };
    // The provider vouches for the address: it is verified on the user.
    let mut email_id = None;
    if let Some(e) = &verified_email
        && let Some(mine) = user.emails.iter().find(|m| m.email == *e)
    {
        if !mine.verified {
            let f = FactorRef::Email(mine.email_id.clone());
            store
                .verify_factor(pid, &user.user_id, &f, user.activates_on_verify())
                .await?;
        }
        email_id = Some(mine.email_id.clone());
    }
    let (registration_id, holder) = store
        .insert_oauth_registration(
            pid,
            &NewRegistration {
                registration_id: IdKind::OauthRegistration.mint(project.env),
                user_id: user.user_id.clone(),
                provider: provider.name().to_owned(),
                provider_subject: who.subject.clone(),
                email_id: email_id.clone(),
                profile_picture_url: who.picture.clone(),
                locale: who.locale.clone(),
            },
            now,
        )
        .await?;
    if holder != user.user_id {
        return Err(callback_error(
            "This provider account was just linked to another user; sign in again.",
        ));
    }
    if registered.is_none() {
        security_log::factor_added(project, &user.user_id, &registration_id);
    }
    Ok((user.user_id, registration_id, email_id, created))
}
