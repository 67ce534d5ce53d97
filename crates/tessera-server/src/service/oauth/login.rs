//! `oauth/authenticate` (the callback's single-use token becomes a session with the `oauth`
//! factor and the provider's tokens), `oauth/attach` and deleting a user's registration.

use crate::crypto::{Digest256, random_b64_nopad};
use crate::error::{Error, ErrorType, Result};
use crate::model::oauth::Provider;
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::User;
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated};
use crate::service::master_key::oauth_context;
use crate::service::sessions::{ClientAttributes, Locator, SessionEngine, SessionRequest, resolve};
use crate::service::{sandbox, security_log, users};

use super::{FLOW_MINUTES, Handed, hex, protocol::Grant};

/// A validated `oauth/authenticate`.
#[derive(Debug)]
pub struct AuthenticateInput {
    /// The callback's token.
    pub token: String,
    /// The app's PKCE verifier.
    pub code_verifier: Option<String>,
    /// Session creation or attachment.
    pub session: SessionRequest,
    /// This request's attributes.
    pub attrs: ClientAttributes,
}

/// A successful `oauth/authenticate`.
#[derive(Debug)]
pub struct OauthAuthenticated {
    /// The session and user.
    pub done: Authenticated,
    /// Which provider.
    pub provider: Provider,
    /// The registration.
    pub registration_id: String,
    /// The provider's `sub`.
    pub provider_subject: String,
    /// The provider's tokens.
    pub grant: Grant,
}

fn not_found() -> Error {
    Error::new(ErrorType::OauthTokenNotFound)
}

/// Turns the callback's token into a session (or steps up the named one). A session of another
/// user is ignored, as Stytch documents: the token's user gets a session of their own.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    mut input: AuthenticateInput,
    now: Timestamp,
) -> Result<OauthAuthenticated> {
    let store = engine.store();
    let pid = &project.project_id;
    if let Some(ok) = sandbox::sandbox_oauth_token(project, &input.token) {
        if !ok {
            return Err(not_found());
        }
        return sandboxed(engine, project, input, now).await;
    }
    if input.token.is_empty() || input.token.len() > 128 {
        return Err(not_found());
    }
    let key = hex(&Digest256::of(&input.token));
    let row = store
        .oauth_token(pid, &key, now)
        .await?
        .ok_or_else(not_found)?;
    factors::check_pkce(
        row.code_challenge.as_deref(),
        input.code_verifier.as_deref(),
    )?;
    if let Some(loc) = &input.session.existing
        && resolve(engine, project, loc, now).await?.user_id != row.user_id
    {
        input.session.existing = None;
    }
    let user = users::get(store, project, &row.user_id).await?;
    let reg = user
        .providers
        .iter()
        .find(|p| p.registration_id == row.registration_id)
        .cloned()
        .ok_or_else(not_found)?;
    let provider = Provider::parse(&reg.provider).ok_or_else(not_found)?;
    if !store.take_oauth_token(pid, &key, now).await? {
        return Err(not_found());
    }
    let handed: Handed = engine
        .master_key()
        .open(&oauth_context("grant", pid, &key), &row.grant_sealed)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("an OAuth grant does not open")))?;
    let factor = AuthFactor::new(
        FactorKind::Oauth(provider),
        FactorSubject::Oauth {
            registration_id: reg.registration_id.clone(),
            provider_subject: reg.provider_subject.clone(),
            email_id: handed.email_id,
        },
        now,
    );
    let who = (user, reg.registration_id.clone());
    let done = factors::complete(
        engine,
        project,
        who,
        factor,
        input.session,
        &input.attrs,
        now,
    )
    .await?;
    Ok(OauthAuthenticated {
        done,
        provider,
        registration_id: reg.registration_id,
        provider_subject: reg.provider_subject,
        grant: handed.grant,
    })
}

/// Stytch's sandbox OAuth token: the sandbox user, by Google, every time.
async fn sandboxed(
    engine: &SessionEngine,
    project: &Project,
    input: AuthenticateInput,
    now: Timestamp,
) -> Result<OauthAuthenticated> {
    let store = engine.store();
    sandbox::ensure(store, project).await?;
    factors::check_attachable(engine, project, &input.session, sandbox::USER_ID, now).await?;
    let user = users::get(store, project, sandbox::USER_ID).await?;
    let factor = AuthFactor::new(
        FactorKind::Oauth(Provider::Google),
        FactorSubject::Oauth {
            registration_id: sandbox::OAUTH_REGISTRATION_ID.into(),
            provider_subject: sandbox::OAUTH_SUBJECT.into(),
            email_id: Some(sandbox::EMAIL_ID.into()),
        },
        now,
    );
    let who = (user, sandbox::OAUTH_REGISTRATION_ID.to_owned());
    let done = factors::complete(
        engine,
        project,
        who,
        factor,
        input.session,
        &input.attrs,
        now,
    )
    .await?;
    Ok(OauthAuthenticated {
        done,
        provider: Provider::Google,
        registration_id: sandbox::OAUTH_REGISTRATION_ID.into(),
        provider_subject: sandbox::OAUTH_SUBJECT.into(),
        grant: Grant {
            access_token: "sandbox-access-token".into(),
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            ..Default::default()
        },
    })
}

/// Who an attach token is for: a user by id, or the owner of a session.
#[derive(Debug)]
pub enum AttachTarget {
    /// By id.
    User(String),
    /// By session.
    Session(Locator),
}

/// `oauth/attach`: a single-use token that makes the next flow with `provider` log into this
/// user instead of signing up.
pub async fn attach(
    engine: &SessionEngine,
    project: &Project,
    provider: &str,
    target: AttachTarget,
    now: Timestamp,
) -> Result<String> {
    let provider =
        Provider::parse(provider).ok_or_else(|| Error::new(ErrorType::InvalidOauthProvider))?;
    let store = engine.store();
    let user_id = match target {
        AttachTarget::User(id) => users::get(store, project, &id).await?.user_id,
        AttachTarget::Session(loc) => resolve(engine, project, &loc, now).await?.user_id,
    };
    let token = random_b64_nopad(33);
    store
        .insert_attach_token(
            &project.project_id,
            &Digest256::of(&token).0,
            (&user_id, provider.name()),
            now.plus_minutes(FLOW_MINUTES),
        )
        .await?;
    Ok(token)
}

/// Deletes a registration by id; its user.
pub async fn delete(engine: &SessionEngine, project: &Project, id: &str) -> Result<User> {
    let store = engine.store();
    let user_id = store
        .delete_oauth_registration(&project.project_id, id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::OauthUserRegistrationNotFound))?;
    security_log::factor_removed(project, &user_id, id, "backend");
    users::get(store, project, &user_id).await
}

/// A signed-in user deletes one of its own registrations (the frontend API), with a factor
/// proven within the project's `recent_auth_minutes`.
pub async fn delete_own(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    id: &str,
    now: Timestamp,
) -> Result<User> {
    let owns = |u: &User| u.providers.iter().any(|p| p.registration_id == id);
    let missing = ErrorType::OauthUserRegistrationNotFound;
    factors::check_own_recent(engine, project, (loc, now), owns, missing).await?;
    delete(engine, project, id).await
}
