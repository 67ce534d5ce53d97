//! The three password resets: by an emailed link (PKCE, single use, proves the email), with the
//! current password, and from a session with a recent password or email factor. Each revokes
//! the user's other sessions.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::{Passwords, check_new, factor, user_with_password, verify};
use crate::crypto::Digest256;
use crate::delivery::Delivery;
use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::session::FactorKind;
use crate::model::user::{EmailAddress, User};
use crate::model::{Environment, Project, Timestamp};
use crate::service::factors::{self, Authenticated, MatchOptions};
use crate::service::links::{LinkKind, redirect_url, typed_link};
use crate::service::sessions::{self, ClientAttributes, Locator, SessionEngine, SessionRequest};
use crate::service::{security_log, users};
use crate::store::passwords::ResetRecord;
use crate::store::users::FactorRef;

/// A reset link's default lifetime.
pub const DEFAULT_MINUTES: i64 = 30;
/// How recent a session's password or email factor must be for a session reset.
pub const SESSION_RESET_WINDOW_MS: i64 = 5 * 60_000;

/// A validated `email/reset/start`.
#[derive(Debug)]
pub struct StartInput {
    /// The user's email.
    pub email: EmailAddress,
    /// Where the link goes (a project redirect URL).
    pub redirect_url: Option<String>,
    /// Link lifetime, 5..=10080 minutes.
    pub minutes: Option<i64>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// Starter's attributes.
    pub attrs: ClientAttributes,
}

/// What a start answers.
#[derive(Debug)]
pub struct Started {
    /// The user.
    pub user_id: String,
    /// The email the link went to.
    pub email_id: String,
}

/// `email/reset/start`: emails a single-use reset link to a known email.
pub async fn start(
    (engine, delivery): (&SessionEngine, &Delivery),
    project: &Project,
    input: StartInput,
    now: Timestamp,
) -> Result<Started> {
    let minutes = input.minutes.unwrap_or(DEFAULT_MINUTES);
    if !(5..=10_080).contains(&minutes) {
        return Err(Error::with_message(
            ErrorType::InvalidExpiration,
            "reset_password_expiration_minutes must be between 5 and 10080.",
        ));
    }
    let redirect = redirect_url(project, input.redirect_url.as_deref(), LinkKind::Login)?;
    let store = engine.store();
    let to = factors::Destination::Email(input.email.clone());
    let user = factors::owner(store, project, &to)
        .await?
        .ok_or_else(|| Error::new(ErrorType::EmailNotFound))?;
    let email_id = super::email_id_of(&user, &input.email);
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let record = ResetRecord {
        user_id: user.user_id.clone(),
        email_id: email_id.clone(),
        code_challenge: input.code_challenge,
        ip_address: input.attrs.ip_address,
        user_agent: input.attrs.user_agent,
        expires_at: now.plus_minutes(minutes).millis(),
    };
    store
        .put_password_reset(&project.project_id, Digest256::of(&token), &record)
        .await?;
    let link = typed_link(&redirect, "reset_password", &token);
    let body = format!(
        "Someone asked to reset the password of your {name} account. To choose a new one, open \
         this link within {minutes} minutes:\n\n{link}\n\nIf it was not you, ignore this email: \
         your password stays as it is.",
        name = project.name
    );
    let live = project.env == Environment::Live;
    let subject = format!("Reset your {} password", project.name);
    delivery
        .email(live, input.email.as_str(), &subject, body)
        .await?;
    Ok(Started {
        user_id: user.user_id,
        email_id,
    })
}

/// Sets the new password, revokes the user's other sessions, and completes the login.
async fn finish(
    (engine, pw): (&SessionEngine, &Passwords),
    project: &Project,
    (user, email_id): (User, String),
    (password, req, attrs): (String, SessionRequest, &ClientAttributes),
    now: Timestamp,
) -> Result<Authenticated> {
    let store = engine.store();
    let hash = pw.hasher.hash(password).await?;
    let new_id = IdKind::Password.mint(project.env);
    store
        .set_password(&project.project_id, &user.user_id, &new_id, &hash, now)
        .await?;
    security_log::credential_changed(&project.project_id, "password_reset", &user.user_id);
    let user = users::get(store, project, &user.user_id).await?;
    let password_id = user
        .password
        .as_ref()
        .map(|p| p.password_id.clone())
        .unwrap_or(new_id);
    let keep = match &req.existing {
        Some(loc) => Some(
            sessions::resolve(engine, project, loc, now)
                .await?
                .session_id,
        ),
        None => None,
    };
    let mut done = factors::complete(
        engine,
        project,
        (user.clone(), email_id),
        factor(&password_id, now),
        req,
        attrs,
        now,
    )
    .await?;
    let keep = keep.or_else(|| done.issued.as_ref().map(|i| i.session.session_id.clone()));
    sessions::revoke_others(
        engine,
        project,
        (&user.user_id, keep.as_deref()),
        crate::model::event::EndReason::PasswordReset,
        now,
    )
    .await?;
    done.reset_sessions = true;
    Ok(done)
}

/// A validated `email/reset`.
#[derive(Debug)]
pub struct EmailResetInput {
    /// The link's token.
    pub token: String,
    /// The new password.
    pub password: String,
    /// PKCE verifier.
    pub code_verifier: Option<String>,
    /// Attribute matching.
    pub options: MatchOptions,
    /// This request's attributes.
    pub attrs: ClientAttributes,
    /// Session creation or attachment.
    pub session: SessionRequest,
}

/// `email/reset`: spends the link (once, however many requests race), sets the password,
/// marks the email verified, revokes the other sessions.
pub async fn by_email(
    parts: (&SessionEngine, &Passwords),
    project: &Project,
    input: EmailResetInput,
    now: Timestamp,
) -> Result<Authenticated> {
    let (engine, pw) = parts;
    let store = engine.store();
    let pid = &project.project_id;
    let digest = Digest256::of(&input.token);
    let dead = || Error::new(ErrorType::UnableToAuthPasswordResetToken);
    let record = store.password_reset(pid, digest).await?.ok_or_else(dead)?;
    if record.expires_at <= now.millis() {
        return Err(dead());
    }
    factors::check_pkce(
        record.code_challenge.as_deref(),
        input.code_verifier.as_deref(),
    )?;
    factors::check_attributes(
        input.options,
        (&record.ip_address, &record.user_agent),
        &input.attrs,
    )?;
    let user = users::get(store, project, &record.user_id).await?;
    let email = user
        .emails
        .iter()
        .find(|e| e.email_id == record.email_id)
        .map(|e| e.email.as_str().to_owned())
        .ok_or_else(dead)?;
    check_new(pw, project, &input.password, &email).await?;
    factors::check_attachable(engine, project, &input.session, &user.user_id, now).await?;
    if !store.spend_password_reset(pid, digest).await? {
        return Err(dead());
    }
    if user.needs_verifying(&record.email_id) {
        let activate = user.activates_on_verify();
        let email = FactorRef::Email(record.email_id.clone());
        store
            .verify_factor(pid, &user.user_id, &email, activate)
            .await?;
    }
    let attrs = input.attrs;
    let rest = (input.password, input.session, &attrs);
    finish(parts, project, (user, record.email_id), rest, now).await
}

/// A validated `existing_password/reset`.
#[derive(Debug)]
pub struct ExistingInput {
    /// The user's email.
    pub email: EmailAddress,
    /// The current password.
    pub existing: String,
    /// The new password.
    pub new: String,
    /// Session creation or attachment.
    pub session: SessionRequest,
    /// This request's attributes.
    pub attrs: ClientAttributes,
}

/// `existing_password/reset`: the current password (under the lockout) for a new one. A
/// password that must be reset can be reset this way.
pub async fn with_existing(
    parts: (&SessionEngine, &Passwords),
    project: &Project,
    input: ExistingInput,
    now: Timestamp,
) -> Result<Authenticated> {
    let (engine, pw) = parts;
    let store = engine.store();
    let (user, stored) = user_with_password(store, project, &input.email).await?;
    factors::check_attachable(engine, project, &input.session, &user.user_id, now).await?;
    check_new(pw, project, &input.new, input.email.as_str()).await?;
    verify((store, pw), project, (&user, &stored), input.existing, now).await?;
    let email_id = super::email_id_of(&user, &input.email);
    let attrs = input.attrs;
    finish(
        parts,
        project,
        (user, email_id),
        (input.new, input.session, &attrs),
        now,
    )
    .await
}

/// A validated `session/reset`.
#[derive(Debug)]
pub struct SessionResetInput {
    /// The session.
    pub session: Locator,
    /// Extend it to this many minutes from now.
    pub duration_minutes: Option<i64>,
    /// The new password.
    pub password: String,
    /// This request's attributes.
    pub attrs: ClientAttributes,
}

/// `session/reset`: a session with a password, magic-link or email-passcode factor from the
/// last five minutes may set a new password; the other sessions are revoked.
pub async fn by_session(
    parts: (&SessionEngine, &Passwords),
    project: &Project,
    input: SessionResetInput,
    now: Timestamp,
) -> Result<Authenticated> {
    let (engine, pw) = parts;
    let (session, user) = sessions::resolve_with_user(engine, project, &input.session, now).await?;
    let recent = session.factors.iter().any(|f| {
        matches!(
            f.kind,
            FactorKind::Password | FactorKind::MagicLinkEmail | FactorKind::OtpEmail
        ) && now.millis() - f.last_authenticated_at.millis() <= SESSION_RESET_WINDOW_MS
    });
    if !recent {
        return Err(Error::new(ErrorType::SessionTooOldToResetPassword));
    }
    let email = user
        .emails
        .iter()
        .find(|e| e.verified)
        .or(user.emails.first())
        .map(|e| (e.email.as_str().to_owned(), e.email_id.clone()));
    let (email, email_id) = email.unwrap_or_default();
    check_new(pw, project, &input.password, &email).await?;
    let req = SessionRequest {
        existing: Some(input.session),
        duration_minutes: input
            .duration_minutes
            .map(crate::model::session::parse_duration_minutes)
            .transpose()?,
        custom_claims: None,
    };
    let attrs = input.attrs;
    finish(
        parts,
        project,
        (user, email_id),
        (input.password, req, &attrs),
        now,
    )
    .await
}
