//! A user's email addresses and phone numbers beyond its first: an address sent to for
//! attachment joins the user only once a secret sent to it is proven (no pre-account
//! takeover), and a signed-in user deletes one only with a recently proven factor and never its
//! last verified one.

use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::session::FactorKind;
use crate::model::user::{EmailAddress, EmailFactor, PhoneFactor, PhoneNumber, User};
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated, Destination};
use crate::service::sessions::{ClientAttributes, Locator, SessionEngine, SessionRequest};
use crate::service::sessions::{resolve, resolve_with_user};
use crate::service::{security_log, users};
use crate::store::Store;
use crate::store::users::{FactorRef, NewFactor};

/// The id `to` has on `user`, or the id it will have: an address new to the user gets `reuse`
/// or a fresh id and is returned as pending. A pending address stays off the user until a
/// secret sent to it is proven ([`attach_proven`]), so sending to somebody else's address
/// attaches nothing (pre-account takeover).
pub fn target_on(
    project: &Project,
    user: &User,
    to: &Destination,
    reuse: Option<String>,
) -> (String, Option<String>) {
    let found = match to {
        Destination::Email(email) => user
            .emails
            .iter()
            .find(|e| &e.email == email)
            .map(|e| e.email_id.clone()),
        Destination::Phone(_, phone) => user
            .phone_numbers
            .iter()
            .find(|p| &p.phone_number == phone)
            .map(|p| p.phone_id.clone()),
    };
    match found {
        Some(id) => (id, None),
        None => {
            let kind = match to {
                Destination::Email(_) => IdKind::Email,
                Destination::Phone(..) => IdKind::PhoneNumber,
            };
            let id = reuse.unwrap_or_else(|| kind.mint(project.env));
            (id, Some(to.as_str().to_owned()))
        }
    }
}

/// After a secret sent to a pending address was spent: the address joins the user, verified,
/// under `method_id` (or, if the user meanwhile has it, that copy is verified). The user as it
/// now is, and the id. Somebody else holding the address is a duplicate error.
pub async fn attach_proven(
    store: &Store,
    project: &Project,
    user_id: &str,
    (method_id, address): (&str, &str),
    now: Timestamp,
) -> Result<(User, String)> {
    let pid = &project.project_id;
    let user = users::get(store, project, user_id).await?;
    let email = method_id.starts_with("email-");
    let have = if email {
        user.emails
            .iter()
            .find(|e| e.email.as_str() == address)
            .map(|e| FactorRef::Email(e.email_id.clone()))
    } else {
        user.phone_numbers
            .iter()
            .find(|p| p.phone_number.as_str() == address)
            .map(|p| FactorRef::Phone(p.phone_id.clone()))
    };
    let id = match have {
        Some(f) => {
            store
                .verify_factor(pid, user_id, &f, user.activates_on_verify())
                .await?;
            f.id().to_owned()
        }
        None => {
            let factor = if email {
                NewFactor::Email(EmailFactor {
                    email_id: method_id.to_owned(),
                    email: EmailAddress::from_stored(address.to_owned()),
                    verified: true,
                })
            } else {
                NewFactor::Phone(PhoneFactor {
                    phone_id: method_id.to_owned(),
                    phone_number: PhoneNumber::from_stored(address.to_owned()),
                    verified: true,
                })
            };
            store.add_factor(pid, user_id, &factor, now).await?;
            security_log::factor_added(project, user_id, method_id);
            method_id.to_owned()
        }
    };
    Ok((users::get(store, project, user_id).await?, id))
}

/// After a secret sent to a pending address was spent: the address joins the user
/// ([`attach_proven`]) and the factor `kind` on it completes the authentication, which says
/// what it added (for the user's notice).
pub async fn complete_proven(
    engine: &SessionEngine,
    project: &Project,
    (user_id, method_id, address): (&str, &str, &str),
    kind: FactorKind,
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Authenticated> {
    let store = engine.store();
    let who = attach_proven(store, project, user_id, (method_id, address), now).await?;
    let factor = factors::factor_on(&who.0, kind, &who.1, now)?;
    let done = factors::complete(engine, project, who, factor, req, attrs, now).await?;
    Ok(Authenticated {
        added: Some(address.to_owned()),
        reset_sessions: false,
        ..done
    })
}

/// Who a send attaches a new address to.
#[derive(Debug, Clone)]
pub enum AttachTo {
    /// A user id (or external id).
    User(String),
    /// The user of a session.
    Session(Locator),
}

/// The user a send attaches a new address to.
pub async fn attach_target(
    engine: &SessionEngine,
    project: &Project,
    to: &AttachTo,
    now: Timestamp,
) -> Result<User> {
    let id = match to {
        AttachTo::User(id) => id.clone(),
        AttachTo::Session(loc) => resolve(engine, project, loc, now).await?.user_id,
    };
    users::get(engine.store(), project, &id).await
}

/// A signed-in user deletes one of its own emails or phone numbers (the frontend API). The
/// session must have proven a factor within the project's `recent_auth_minutes` (a stolen
/// session token alone cannot strip the account), and a user keeps at least one verified
/// factor. The user as it now is, and the address removed (to tell it).
pub async fn delete_own(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    factor: FactorRef,
    now: Timestamp,
) -> Result<(User, String)> {
    let (session, user) = resolve_with_user(engine, project, loc, now).await?;
    let target = match &factor {
        FactorRef::Email(id) => user
            .emails
            .iter()
            .find(|e| &e.email_id == id)
            .map(|e| (e.email.as_str().to_owned(), e.verified)),
        FactorRef::Phone(id) => user
            .phone_numbers
            .iter()
            .find(|p| &p.phone_id == id)
            .map(|p| (p.phone_number.as_str().to_owned(), p.verified)),
    };
    let Some((address, verified)) = target else {
        return Err(Error::new(match factor {
            FactorRef::Email(_) => ErrorType::EmailNotFound,
            FactorRef::Phone(_) => ErrorType::PhoneNumberNotFound,
        }));
    };
    factors::require_recent(project, &session, now)?;
    let verified_count = user.emails.iter().filter(|e| e.verified).count()
        + user.phone_numbers.iter().filter(|p| p.verified).count();
    if verified && verified_count <= 1 {
        return Err(Error::new(ErrorType::CannotDeleteLastFactor));
    }
    let user = users::delete_factor(engine.store(), project, factor, "user").await?;
    Ok((user, address))
}

/// The wire's `session_token`/`session_jwt`/`user_id` of a send that may attach a new address:
/// to the user named, else to the session's user, else to nobody.
pub fn attach_from(
    user_id: Option<String>,
    session_token: Option<String>,
    session_jwt: Option<String>,
) -> Result<Option<AttachTo>> {
    Ok(
        match (
            user_id.filter(|u| !u.is_empty()),
            Locator::from_pair(session_token, session_jwt)?,
        ) {
            (Some(u), _) => Some(AttachTo::User(u)),
            (None, Some(loc)) => Some(AttachTo::Session(loc)),
            (None, None) => None,
        },
    )
}
