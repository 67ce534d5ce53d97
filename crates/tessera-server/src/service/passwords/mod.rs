//! Passwords: sign-up, login (with lockout, breach forcing and rehash on login), strength
//! checks, imports of other systems' hashes, and removal; the three resets are `reset`.

pub mod hashing;
pub mod legacy;
pub mod reset;
pub mod strength;

use tessera_proto::passwords::Feedback;

use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::{EmailAddress, User};
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated, Destination};
use crate::service::sessions::{ClientAttributes, SessionEngine, SessionRequest};
use crate::service::{security_log, users};
use crate::store::Store;
use crate::store::passwords::StoredPassword;
use crate::store::users::FactorRef;
use hashing::{Hasher, LEGACY_PREFIX};
use legacy::Legacy;
use strength::BreachCheck;

/// Wrong passwords allowed per user per [`LOCK_WINDOW_MS`]; past them the user's password
/// is locked until the window ends (a reset by email still works).
pub const WRONG_PER_WINDOW: i64 = 10;
/// The lockout window: one hour.
pub const LOCK_WINDOW_MS: i64 = 3_600_000;

/// The password machinery a server holds: the hashing pool and the breach check.
#[derive(Debug, Clone)]
pub struct Passwords {
    /// The bounded argon2id pool.
    pub hasher: Hasher,
    /// The Pwned Passwords client, when configured.
    pub breach: Option<BreachCheck>,
}

impl Passwords {
    /// OWASP's argon2id on all cores but one; breach checks against `pwned_url` if given.
    pub fn new(pwned_url: Option<&str>) -> Self {
        Passwords {
            hasher: Hasher::sized_to_cores(),
            breach: pwned_url.map(BreachCheck::new),
        }
    }
}

/// The answer to `strength_check`.
#[derive(Debug, Clone)]
pub struct StrengthReport {
    /// Passes the policy and is not breached.
    pub valid: bool,
    /// zxcvbn's score (0 under LUDS).
    pub score: i64,
    /// Found in the breach corpus.
    pub breached: bool,
    /// `zxcvbn` or `luds`.
    pub policy: &'static str,
    /// New passwords are checked against breaches.
    pub breach_on_create: bool,
    /// Why, and what would help.
    pub feedback: Feedback,
}

fn too_long(password: &str) -> Result<()> {
    if password.len() > strength::MAX_LEN {
        return Err(Error::with_message(
            ErrorType::WeakPassword,
            format!("A password is at most {} bytes.", strength::MAX_LEN),
        ));
    }
    Ok(())
}

/// `strength_check`: the policy's verdict; with an email, the breach check too.
pub async fn strength_check(
    pw: &Passwords,
    project: &Project,
    password: &str,
    email: Option<&str>,
) -> Result<StrengthReport> {
    too_long(password)?;
    let s = strength::judge_for(&project.policy.passwords, password, email);
    let breached = match (&pw.breach, email) {
        (Some(b), Some(_)) => b.breached(password).await?,
        _ => false,
    };
    let mut feedback = s.feedback;
    if breached {
        feedback.warning = "This password has appeared in a data breach.".into();
    }
    Ok(StrengthReport {
        valid: s.valid && !breached,
        score: s.score,
        breached,
        policy: project.policy.passwords.strength.as_str(),
        breach_on_create: pw.breach.is_some(),
        feedback,
    })
}

/// A new password must pass the policy and the breach check: `weak_password` with the reason.
pub(crate) async fn check_new(
    pw: &Passwords,
    project: &Project,
    password: &str,
    email: &str,
) -> Result<()> {
    too_long(password)?;
    let s = strength::judge_for(&project.policy.passwords, password, Some(email));
    if !s.valid {
        let why = [s.feedback.warning.clone()]
            .into_iter()
            .chain(s.feedback.suggestions.clone())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        return Err(Error::with_message(
            ErrorType::WeakPassword,
            format!("The password does not meet the project's strength policy. {why}"),
        ));
    }
    if let Some(b) = &pw.breach
        && b.breached(password).await?
    {
        return Err(Error::with_message(
            ErrorType::WeakPassword,
            "This password has appeared in a data breach; choose another.",
        ));
    }
    Ok(())
}

/// The session entry of a password.
pub(crate) fn factor(password_id: &str, now: Timestamp) -> AuthFactor {
    AuthFactor::new(
        FactorKind::Password,
        FactorSubject::Password {
            password_id: password_id.to_owned(),
        },
        now,
    )
}

/// A validated `passwords` create.
#[derive(Debug)]
pub struct CreateInput {
    /// The new user's email.
    pub email: EmailAddress,
    /// The password.
    pub password: String,
    /// Name and metadata of the new user.
    pub user: users::NewUser,
    /// Session creation.
    pub session: SessionRequest,
    /// This request's attributes.
    pub attrs: ClientAttributes,
}

/// `passwords` create: a new user with this email and password (`duplicate_email` when the
/// email is taken); the email stays unverified.
pub async fn create(
    (engine, pw): (&SessionEngine, &Passwords),
    project: &Project,
    input: CreateInput,
    now: Timestamp,
) -> Result<Authenticated> {
    let store = engine.store();
    let to = Destination::Email(input.email.clone());
    if factors::owner(store, project, &to).await?.is_some() {
        return Err(Error::new(ErrorType::DuplicateEmail));
    }
    check_new(pw, project, &input.password, input.email.as_str()).await?;
    let hash = pw.hasher.hash(input.password).await?;
    let new = users::NewUser {
        email: Some(input.email),
        ..input.user
    };
    let mut user = users::create(store, project, new, now).await?;
    let stored = StoredPassword {
        password_id: IdKind::Password.mint(project.env),
        hash,
        requires_reset: false,
    };
    let pid = &project.project_id;
    if let Err(e) = store
        .insert_password(pid, &user.user_id, &stored, now)
        .await
    {
        // Nothing half-made: the user exists only with its password.
        let _ = store.delete_user(pid, &user.user_id).await;
        return Err(e.into());
    }
    security_log::factor_added(project, &user.user_id, &stored.password_id);
    user.password = Some(crate::model::user::PasswordFactor {
        password_id: stored.password_id.clone(),
        requires_reset: false,
    });
    let email_id = user
        .emails
        .first()
        .map(|e| e.email_id.clone())
        .unwrap_or_default();
    let factor = factor(&stored.password_id, now);
    factors::complete(
        engine,
        project,
        (user, email_id),
        factor,
        input.session,
        &input.attrs,
        now,
    )
    .await
}

/// The user with `email` and its password, or why a password login cannot even be tried.
async fn user_with_password(
    store: &Store,
    project: &Project,
    email: &EmailAddress,
) -> Result<(User, StoredPassword)> {
    let to = Destination::Email(email.clone());
    let user = factors::owner(store, project, &to)
        .await?
        .ok_or_else(|| Error::new(ErrorType::EmailNotFound))?;
    let stored = store
        .password_of(&project.project_id, &user.user_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::NoUserPassword))?;
    Ok((user, stored))
}

/// Checks `password` for `user` under the lockout: a wrong one is counted, and past
/// [`WRONG_PER_WINDOW`] every attempt fails (a right one too) until the window ends. A right
/// password stored under an import or old parameters is rehashed.
async fn verify(
    (store, pw): (&Store, &Passwords),
    project: &Project,
    (user, stored): (&User, &StoredPassword),
    password: String,
    now: Timestamp,
) -> Result<()> {
    let pid = &project.project_id;
    let bucket = format!("password:{}", user.user_id);
    if store
        .events_in_window(pid, &bucket, now, LOCK_WINDOW_MS)
        .await?
        >= WRONG_PER_WINDOW
    {
        return Err(Error::new(ErrorType::UserLockLimitReached));
    }
    if password.len() > strength::MAX_LEN {
        return Err(Error::new(ErrorType::UnauthorizedCredentials));
    }
    let checked = pw.hasher.check(stored.hash.clone(), password).await?;
    if !checked.ok {
        let n = store.count_event(pid, &bucket, now, LOCK_WINDOW_MS).await?;
        if n == WRONG_PER_WINDOW {
            security_log::limit_hit(project, "password_lockout", "user");
        }
        return Err(Error::new(ErrorType::UnauthorizedCredentials));
    }
    if let Some(new) = checked.upgrade {
        store
            .upgrade_password_hash(pid, &user.user_id, &stored.hash, &new)
            .await?;
    }
    Ok(())
}

/// A validated `passwords/authenticate`.
#[derive(Debug)]
pub struct AuthenticateInput {
    /// The user's email.
    pub email: EmailAddress,
    /// The password.
    pub password: String,
    /// Session creation or attachment.
    pub session: SessionRequest,
    /// This request's attributes.
    pub attrs: ClientAttributes,
}

/// `passwords/authenticate`. A password that must be reset (breached, or its email proven by
/// another login since) answers `reset_password` even when right.
pub async fn authenticate(
    (engine, pw): (&SessionEngine, &Passwords),
    project: &Project,
    input: AuthenticateInput,
    now: Timestamp,
) -> Result<Authenticated> {
    let store = engine.store();
    let (user, stored) = user_with_password(store, project, &input.email).await?;
    factors::check_attachable(engine, project, &input.session, &user.user_id, now).await?;
    let password = input.password;
    let breach_probe = password.clone();
    verify((store, pw), project, (&user, &stored), password, now).await?;
    if stored.requires_reset {
        return Err(Error::new(ErrorType::ResetPassword));
    }
    if let Some(b) = &pw.breach {
        // Logins do not fail when the breach API does: the password is already proven.
        match b.breached(&breach_probe).await {
            Ok(true) => {
                store
                    .require_password_reset(&project.project_id, &user.user_id)
                    .await?;
                return Err(Error::new(ErrorType::ResetPassword));
            }
            Ok(false) => {}
            Err(_) => tracing::warn!("login without the breach check: the API failed"),
        }
    }
    let email_id = email_id_of(&user, &input.email);
    let factor = factor(&stored.password_id, now);
    let who = (user, email_id);
    factors::complete(
        engine,
        project,
        who,
        factor,
        input.session,
        &input.attrs,
        now,
    )
    .await
}

fn email_id_of(user: &User, email: &EmailAddress) -> String {
    user.emails
        .iter()
        .find(|e| &e.email == email)
        .map(|e| e.email_id.clone())
        .unwrap_or_default()
}

/// After an email-based passwordless login proved an email that was not verified: a password
/// the user has was set by whoever typed the address, maybe not its owner, so it must be
/// reset before it logs in again (Stytch's deduplication rule). `user` (as read before the
/// login) is updated to match.
pub async fn after_email_proven(
    store: &Store,
    project: &Project,
    user: &mut User,
    email_id: &str,
) -> Result<()> {
    let was_unverified = user
        .emails
        .iter()
        .any(|e| e.email_id == email_id && !e.verified);
    if was_unverified && let Some(p) = &mut user.password {
        store
            .require_password_reset(&project.project_id, &user.user_id)
            .await?;
        p.requires_reset = true;
    }
    Ok(())
}

/// What `migrate` did.
#[derive(Debug)]
pub struct Migrated {
    /// The user, with its password.
    pub user: User,
    /// The email's id.
    pub email_id: String,
    /// Whether the user was created.
    pub created: bool,
}

/// A validated `passwords/migrate`.
#[derive(Debug)]
pub struct MigrateInput {
    /// The user's email.
    pub email: EmailAddress,
    /// The imported hash, validated.
    pub hash: Legacy,
    /// Name and metadata when the user is created.
    pub user: users::NewUser,
    /// Mark the email verified.
    pub set_email_verified: bool,
}

/// `passwords/migrate`: the imported hash becomes the user's password (the user is created
/// when the email is new), upgraded to argon2id at its first successful login.
pub async fn migrate(
    store: &Store,
    project: &Project,
    input: MigrateInput,
    now: Timestamp,
) -> Result<Migrated> {
    let to = Destination::Email(input.email.clone());
    let (user, created) = factors::owner_or_create(store, project, &to, input.user, now).await?;
    if user.password.is_some() {
        return Err(Error::new(ErrorType::PasswordAlreadyExists));
    }
    let pid = &project.project_id;
    let stored = StoredPassword {
        password_id: IdKind::Password.mint(project.env),
        hash: format!("{LEGACY_PREFIX}{}", input.hash.to_stored()),
        requires_reset: false,
    };
    if !store
        .insert_password(pid, &user.user_id, &stored, now)
        .await?
    {
        return Err(Error::new(ErrorType::PasswordAlreadyExists));
    }
    let email_id = email_id_of(&user, &input.email);
    if input.set_email_verified && user.needs_verifying(&email_id) {
        let activate = user.activates_on_verify();
        store
            .verify_factor(
                pid,
                &user.user_id,
                &FactorRef::Email(email_id.clone()),
                activate,
            )
            .await?;
    }
    security_log::factor_added(project, &user.user_id, &stored.password_id);
    Ok(Migrated {
        user: users::get(store, project, &user.user_id).await?,
        email_id,
        created,
    })
}

/// Deletes a password by id; its user.
pub async fn delete(store: &Store, project: &Project, password_id: &str) -> Result<User> {
    let user_id = store
        .delete_password(&project.project_id, password_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::PasswordNotFound))?;
    security_log::factor_removed(project, &user_id, password_id, "backend");
    users::get(store, project, &user_id).await
}
