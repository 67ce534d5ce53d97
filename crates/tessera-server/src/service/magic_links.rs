use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::crypto::{self, Digest256};
use crate::delivery::Delivery;
use crate::error::{Error, ErrorType, Result};
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::{EmailAddress, EmailFactor, Metadata, Name, User, UserStatus};
use crate::model::{Project, Timestamp};
use crate::service::addresses::{self, AttachTo};
use crate::service::factors::{self, Authenticated, Destination, MatchOptions};
use crate::service::links::{LinkKind, redirect_url, typed_link};
use crate::service::sessions::{self, ClientAttributes, SessionEngine, SessionRequest};
use crate::service::{passwords, sandbox, users};
use crate::store::Store;
use crate::store::magic_links::{MagicLinkRecord, Spend};
use crate::store::users::FactorRef;

/// Link lifetimes Stytch accepts, in minutes.
const MIN_MINUTES: i64 = 5;
const MAX_MINUTES: i64 = 10_080;
const DEFAULT_LOGIN_MINUTES: i64 = 60;
const DEFAULT_SIGNUP_MINUTES: i64 = 10_080;
const DEFAULT_INVITE_MINUTES: i64 = 10_080;
const DEFAULT_EMBEDDED_MINUTES: i64 = 60;

/// A validated send / login_or_create / invite request.
#[derive(Debug, Clone, Default)]
pub struct EmailLinkInput {
    /// Recipient.
    pub email: Option<EmailAddress>,
    /// Login redirect (else the project's first).
    pub login_url: Option<String>,
    /// Signup redirect (else the project's first).
    pub signup_url: Option<String>,
    /// Login link lifetime.
    pub login_minutes: Option<i64>,
    /// Signup link lifetime.
    pub signup_minutes: Option<i64>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// Sender attributes.
    pub attrs: ClientAttributes,
    /// Email locale.
    pub locale: Option<String>,
}

/// Checks a lifetime given in minutes.
pub fn parse_minutes(m: Option<i64>, default: i64) -> Result<i64> {
    let m = m.unwrap_or(default);
    if (MIN_MINUTES..=MAX_MINUTES).contains(&m) {
        Ok(m)
    } else {
        Err(Error::new(ErrorType::InvalidExpiration))
    }
}

/// `<redirect>?stytch_token_type=magic_links&token=<token>`, keeping the redirect's own query.
fn link(redirect: &str, token: &str) -> String {
    typed_link(redirect, "magic_links", token)
}

/// Creates a link and emails it. A pending `email` (not on the user yet) joins the user when
/// the link is spent.
#[allow(clippy::too_many_arguments)]
async fn issue(
    (store, delivery): (&Store, &Delivery),
    project: &Project,
    user: &User,
    (email, pending): (&EmailFactor, bool),
    kind: LinkKind,
    redirect: String,
    minutes: i64,
    input: &EmailLinkInput,
    now: Timestamp,
) -> Result<()> {
    let token = crypto::random_b64_padded(32);
    let record = MagicLinkRecord {
        user_id: user.user_id.clone(),
        email_id: Some(email.email_id.clone()),
        kind: kind.as_str().into(),
        code_challenge: input.code_challenge.clone(),
        ip_address: input.attrs.ip_address.clone(),
        user_agent: input.attrs.user_agent.clone(),
        expires_at: now.plus_minutes(minutes).millis(),
        used_at: None,
        pending_address: pending.then(|| email.email.as_str().to_owned()),
    };
    store
        .insert_magic_link(&project.project_id, Digest256::of(&token), &record, now)
        .await?;
    let (subject, verb) = match kind {
        LinkKind::Invite => (
            format!("You're invited to {}", project.name),
            "accept your invitation",
        ),
        LinkKind::Signup => (
            format!("Finish signing up for {}", project.name),
            "finish signing up",
        ),
        _ => (format!("Log in to {}", project.name), "log in"),
    };
    let body = format!(
        "Click the link below to {verb}:\n\n{}\n\nThe link works once and expires in {minutes} minutes. \
         If you did not ask for it, ignore this email.\n",
        link(&redirect, &token)
    );
    let live = project.env == crate::model::Environment::Live;
    delivery
        .email(live, email.email.as_str(), &subject, body)
        .await?;
    Ok(())
}

fn email_factor(user: &User, email: &EmailAddress) -> Result<EmailFactor> {
    user.emails
        .iter()
        .find(|e| &e.email == email)
        .cloned()
        .ok_or_else(|| Error::new(ErrorType::EmailNotFound))
}

/// Where a login or signup link of `input` points and how long it lives.
fn link_target(project: &Project, input: &EmailLinkInput, kind: LinkKind) -> Result<(String, i64)> {
    let (url, minutes) = match kind {
        LinkKind::Login => (
            input.login_url.as_deref(),
            parse_minutes(input.login_minutes, DEFAULT_LOGIN_MINUTES)?,
        ),
        _ => (
            input.signup_url.as_deref(),
            parse_minutes(input.signup_minutes, DEFAULT_SIGNUP_MINUTES)?,
        ),
    };
    Ok((redirect_url(project, url, kind)?, minutes))
}

fn required_email(input: &EmailLinkInput) -> Result<&EmailAddress> {
    input
        .email
        .as_ref()
        .ok_or_else(|| Error::with_message(ErrorType::InvalidEmail, "email is required."))
}

/// `magic_links/email/send`: a login (or, for pending users, signup) link to a known email.
pub async fn send(
    (engine, delivery): (&SessionEngine, &Delivery),
    project: &Project,
    input: EmailLinkInput,
    attach: Option<AttachTo>,
    now: Timestamp,
) -> Result<(String, String)> {
    let email = required_email(&input)?.clone();
    let store = engine.store();
    if sandbox::is_sandbox_email(project, email.as_str()) && attach.is_none() {
        sandbox::ensure(store, project).await?;
        return Ok((sandbox::USER_ID.into(), sandbox::EMAIL_ID.into()));
    }
    let to = Destination::Email(email.clone());
    let (user, factor, pending) = match &attach {
        Some(target) => {
            let user = addresses::attach_target(engine, project, target, now).await?;
            let (email_id, pending) = addresses::target_on(project, &user, &to, None);
            let factor = EmailFactor {
                email_id,
                email: email.clone(),
                verified: false,
            };
            (user, factor, pending.is_some())
        }
        None => {
            let user = factors::owner(store, project, &to)
                .await?
                .ok_or_else(|| to.not_found())?;
            let factor = email_factor(&user, &email)?;
            (user, factor, false)
        }
    };
    let kind = if user.status == UserStatus::Pending {
        LinkKind::Signup
    } else {
        LinkKind::Login
    };
    let (redirect, minutes) = link_target(project, &input, kind)?;
    issue(
        (store, delivery),
        project,
        &user,
        (&factor, pending),
        kind,
        redirect,
        minutes,
        &input,
        now,
    )
    .await?;
    Ok((user.user_id, factor.email_id))
}

/// `magic_links/email/login_or_create`: creates the user when the email is new.
pub async fn login_or_create(
    (store, delivery): (&Store, &Delivery),
    project: &Project,
    input: EmailLinkInput,
    pending: bool,
    now: Timestamp,
) -> Result<(String, String, bool)> {
    let email = required_email(&input)?.clone();
    if sandbox::is_sandbox_email(project, email.as_str()) {
        sandbox::ensure(store, project).await?;
        return Ok((sandbox::USER_ID.into(), sandbox::EMAIL_ID.into(), false));
    }
    let to = Destination::Email(email.clone());
    let existing = factors::owner(store, project, &to).await?;
    // Validate everything before a user is created: both given URLs, whichever is used.
    for (given, kind) in [
        (&input.login_url, LinkKind::Login),
        (&input.signup_url, LinkKind::Signup),
    ] {
        if let Some(u) = given {
            redirect_url(project, Some(u), kind)?;
        }
    }
    let kind = match &existing {
        Some(u) if u.status == UserStatus::Active => LinkKind::Login,
        _ => LinkKind::Signup,
    };
    let (redirect, minutes) = link_target(project, &input, kind)?;
    let (user, created) = match existing {
        Some(u) => (u, false),
        None => {
            let new_user = users::NewUser {
                pending,
                ..Default::default()
            };
            factors::create_owner(store, project, &to, new_user, now).await?
        }
    };
    let factor = email_factor(&user, &email)?;
    issue(
        (store, delivery),
        project,
        &user,
        (&factor, false),
        kind,
        redirect,
        minutes,
        &input,
        now,
    )
    .await?;
    Ok((user.user_id, factor.email_id, created))
}

/// A validated invite.
#[derive(Debug, Default)]
pub struct InviteInput {
    /// Who.
    pub email: Option<EmailAddress>,
    /// Where the link points.
    pub url: Option<String>,
    /// Lifetime.
    pub minutes: Option<i64>,
    /// The invitee's name.
    pub name: Name,
    /// Metadata for a new user.
    pub trusted_metadata: Metadata,
    /// Metadata for a new user.
    pub untrusted_metadata: Metadata,
    /// Sender attributes.
    pub attrs: ClientAttributes,
}

/// `magic_links/email/invite`: creates a pending user (or reuses a pending one) and emails an
/// invite. Active users cannot be invited.
pub async fn invite(
    (store, delivery): (&Store, &Delivery),
    project: &Project,
    input: InviteInput,
    now: Timestamp,
) -> Result<(String, String)> {
    let email = input
        .email
        .clone()
        .ok_or_else(|| Error::with_message(ErrorType::InvalidEmail, "email is required."))?;
    if sandbox::is_sandbox_email(project, email.as_str()) {
        sandbox::ensure(store, project).await?;
        return Ok((sandbox::USER_ID.into(), sandbox::EMAIL_ID.into()));
    }
    let redirect = redirect_url(project, input.url.as_deref(), LinkKind::Invite)?;
    let minutes = parse_minutes(input.minutes, DEFAULT_INVITE_MINUTES)?;
    let user = match factors::owner(store, project, &Destination::Email(email.clone())).await? {
        Some(u) if u.status == UserStatus::Active => {
            return Err(Error::new(ErrorType::UserAlreadyActive));
        }
        Some(u) => u,
        None => {
            users::create(
                store,
                project,
                users::NewUser {
                    email: Some(email.clone()),
                    name: input.name,
                    pending: true,
                    trusted_metadata: input.trusted_metadata,
                    untrusted_metadata: input.untrusted_metadata,
                    ..Default::default()
                },
                now,
            )
            .await?
        }
    };
    let factor = email_factor(&user, &email)?;
    let link_input = EmailLinkInput {
        attrs: input.attrs,
        ..Default::default()
    };
    issue(
        (store, delivery),
        project,
        &user,
        (&factor, false),
        LinkKind::Invite,
        redirect,
        minutes,
        &link_input,
        now,
    )
    .await?;
    Ok((user.user_id, factor.email_id))
}

/// `magic_links/email/revoke_invite`: kills the invite links and the pending user they were for.
pub async fn revoke_invite(store: &Store, project: &Project, email: &EmailAddress) -> Result<()> {
    if sandbox::is_sandbox_email(project, email.as_str()) {
        return Ok(());
    }
    let user = factors::owner(store, project, &Destination::Email(email.clone()))
        .await?
        .filter(|u| u.status == UserStatus::Pending)
        .ok_or_else(|| Error::new(ErrorType::InviteNotFound))?;
    store
        .revoke_invites(&project.project_id, &user.user_id)
        .await?;
    store
        .delete_user(&project.project_id, &user.user_id)
        .await?;
    Ok(())
}

/// `POST /v1/magic_links`: an embeddable token for a user, not emailed.
pub async fn create_embeddable(
    store: &Store,
    project: &Project,
    user_id: &str,
    minutes: Option<i64>,
    attrs: ClientAttributes,
    now: Timestamp,
) -> Result<(String, String)> {
    let minutes = parse_minutes(minutes, DEFAULT_EMBEDDED_MINUTES)?;
    let user = users::get(store, project, user_id).await?;
    let token = crypto::random_b64_padded(32);
    let record = MagicLinkRecord {
        user_id: user.user_id.clone(),
        email_id: None,
        kind: LinkKind::Embedded.as_str().into(),
        code_challenge: None,
        ip_address: attrs.ip_address,
        user_agent: attrs.user_agent,
        expires_at: now.plus_minutes(minutes).millis(),
        used_at: None,
        pending_address: None,
    };
    store
        .insert_magic_link(&project.project_id, Digest256::of(&token), &record, now)
        .await?;
    Ok((user.user_id, token))
}

/// A validated `magic_links/authenticate`.
#[derive(Debug)]
pub struct AuthenticateInput {
    /// The token.
    pub token: String,
    /// PKCE verifier.
    pub code_verifier: Option<String>,
    /// Attribute matching.
    pub options: MatchOptions,
    /// This request's attributes.
    pub attrs: ClientAttributes,
    /// Session creation or attachment.
    pub session: SessionRequest,
}

/// `magic_links/authenticate`: spends the token (exactly once, however many requests race),
/// verifies the email, and creates or extends a session as asked.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    input: AuthenticateInput,
    now: Timestamp,
) -> Result<Authenticated> {
    if sandbox::is_used_sandbox_magic_link(project, &input.token) {
        return Err(Error::new(ErrorType::UnableToAuthMagicLink));
    }
    let store = engine.store();
    let digest = Digest256::of(&input.token);
    let sandbox_link = sandbox::is_sandbox_magic_link(project, &input.token);
    let (record, stored_user) = if sandbox_link {
        sandbox::ensure(store, project).await?;
        let record = MagicLinkRecord {
            user_id: sandbox::USER_ID.into(),
            email_id: Some(sandbox::EMAIL_ID.into()),
            kind: LinkKind::Login.as_str().into(),
            code_challenge: None,
            ip_address: String::new(),
            user_agent: String::new(),
            expires_at: i64::MAX,
            used_at: None,
            pending_address: None,
        };
        (record, None)
    } else {
        let (record, user) = store
            .magic_link_with_user(&project.project_id, digest)
            .await?
            .ok_or_else(|| Error::new(ErrorType::MagicLinkNotFound))?;
        (record, Some(user))
    };
    if record.used_at.is_some() || record.expires_at <= now.millis() {
        return Err(Error::new(ErrorType::UnableToAuthMagicLink));
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
    factors::check_attachable(engine, project, &input.session, &record.user_id, now).await?;
    // Everything is read and decided before the link is spent; spending it then verifies its
    // email and stores the new session in the same transaction. A stored link's user was read
    // with the link; the sandbox user is read now that it surely exists.
    let mut user = match stored_user {
        Some(user) => user,
        None => users::get(store, project, &record.user_id).await?,
    };
    if let (Some(address), Some(email_id)) = (&record.pending_address, &record.email_id) {
        // Sent for attachment: the address joins the user only now that the link is spent.
        let spend = Spend::link_only(&record.user_id);
        if !store
            .consume_magic_link(&project.project_id, digest, spend, now)
            .await?
        {
            return Err(Error::new(ErrorType::UnableToAuthMagicLink));
        }
        let proven = (record.user_id.as_str(), email_id.as_str(), address.as_str());
        let (kind, req) = (FactorKind::MagicLinkEmail, input.session);
        return addresses::complete_proven(engine, project, proven, kind, req, &input.attrs, now)
            .await;
    }
    if sandbox_link && let Some(email_id) = &record.email_id {
        let factor = FactorRef::Email(email_id.clone());
        let activate = user.activates_on_verify();
        store
            .verify_factor(&project.project_id, &record.user_id, &factor, activate)
            .await?;
        user.mark_verified(email_id);
    }
    let (factor, method_id) = match &record.email_id {
        Some(email_id) => (
            factors::factor_on(&user, FactorKind::MagicLinkEmail, email_id, now)?,
            email_id.clone(),
        ),
        None => (
            AuthFactor::new(
                FactorKind::MagicLinkEmbedded,
                FactorSubject::Embedded {
                    embedded_id: URL_SAFE_NO_PAD.encode(&digest.0[..12]),
                },
                now,
            ),
            String::new(),
        ),
    };
    let (fresh, attach) = match input.session.existing {
        Some(_) => (None, Some((factor, input.session))),
        None => (
            sessions::plan_new(project, &user, factor, input.session, &input.attrs, now)?,
            None,
        ),
    };
    if !sandbox_link {
        let email_id = record
            .email_id
            .as_deref()
            .filter(|id| user.needs_verifying(id));
        let at_rest = fresh.as_ref().map(|f| (f, f.at_rest(engine, project)));
        let spend = Spend {
            user_id: &record.user_id,
            email_id,
            activate_owner: email_id.is_some() && user.activates_on_verify(),
            session: at_rest.as_ref().map(|(f, t)| (&f.session, t)),
        };
        if !store
            .consume_magic_link(&project.project_id, digest, spend, now)
            .await?
        {
            return Err(Error::new(ErrorType::UnableToAuthMagicLink));
        }
        if let Some(email_id) = &record.email_id {
            passwords::after_email_proven(store, project, &mut user, email_id).await?;
            user.mark_verified(email_id);
        }
    }
    match (fresh, attach) {
        (Some(fresh), _) => Ok(Authenticated {
            issued: Some(sessions::issue_new(engine, project, &user, fresh, now).await?),
            user,
            method_id,
            added: None,
            reset_sessions: false,
        }),
        (None, Some((factor, req))) => {
            let who = (user, method_id);
            factors::complete(engine, project, who, factor, req, &input.attrs, now).await
        }
        (None, None) => Ok(Authenticated {
            user,
            method_id,
            issued: None,
            added: None,
            reset_sessions: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_redirect_query() {
        assert_eq!(
            link("https://app.example.com/auth?next=%2Fhome", "abc="),
            "https://app.example.com/auth?next=%2Fhome&stytch_token_type=magic_links&token=abc%3D"
        );
    }
}
