use serde_json::Value;

use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::user::{
    EmailAddress, EmailFactor, ExternalId, Metadata, Name, PhoneFactor, PhoneNumber, User,
    UserStatus,
};
use crate::model::{Project, Timestamp};
use crate::store::users::{FactorRef, NewFactor};
use crate::store::{SearchCursor, SearchPage, Store, UserFilter};

/// A validated `users/create` request.
#[derive(Debug, Default)]
pub struct NewUser {
    /// Email address.
    pub email: Option<EmailAddress>,
    /// Phone number.
    pub phone_number: Option<PhoneNumber>,
    /// Name.
    pub name: Name,
    /// Create as `pending`.
    pub pending: bool,
    /// Backend-only metadata.
    pub trusted_metadata: Metadata,
    /// Frontend-writable metadata.
    pub untrusted_metadata: Metadata,
    /// External id.
    pub external_id: Option<ExternalId>,
    /// Explicit roles.
    pub roles: Vec<String>,
}

/// A validated `users/update` request; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserPatch {
    /// Name parts to replace.
    pub first_name: Option<String>,
    /// Name parts to replace.
    pub middle_name: Option<String>,
    /// Name parts to replace.
    pub last_name: Option<String>,
    /// Top-level merge, `null` deletes.
    pub trusted_metadata: Option<Value>,
    /// Top-level merge, `null` deletes.
    pub untrusted_metadata: Option<Value>,
    /// New external id.
    pub external_id: Option<ExternalId>,
    /// Replacement explicit roles.
    pub roles: Option<Vec<String>>,
}

/// The primary factor a user is switched to by `exchange_primary_factor`.
#[derive(Debug, Clone)]
pub enum PrimaryFactor {
    /// An email address.
    Email(EmailAddress),
    /// A phone number.
    Phone(PhoneNumber),
}

fn not_found() -> Error {
    Error::new(ErrorType::UserNotFound)
}

/// Creates a user. Duplicate emails, phone numbers and external ids are refused by the store's
/// unique keys, so two concurrent creates cannot both win.
pub async fn create(
    store: &Store,
    project: &Project,
    input: NewUser,
    now: Timestamp,
) -> Result<User> {
    if input.email.is_none() && input.phone_number.is_none() {
        return Err(Error::with_message(
            ErrorType::InvalidCreateUserRequest,
            "Either email or phone_number is required to create a user.",
        ));
    }
    create_any(store, project, input, now).await
}

/// [`create`] without requiring an email or phone number: a user who signs in only with a
/// provider account, a passkey or a wallet.
pub async fn create_any(
    store: &Store,
    project: &Project,
    input: NewUser,
    now: Timestamp,
) -> Result<User> {
    let env = project.env;
    let user = User {
        user_id: IdKind::User.mint(env),
        status: if input.pending {
            UserStatus::Pending
        } else {
            UserStatus::Active
        },
        name: input.name,
        trusted_metadata: input.trusted_metadata,
        untrusted_metadata: input.untrusted_metadata,
        external_id: input.external_id,
        roles: input.roles,
        lock: None,
        created_at: now,
        emails: input
            .email
            .into_iter()
            .map(|email| EmailFactor {
                email_id: IdKind::Email.mint(env),
                email,
                verified: false,
            })
            .collect(),
        phone_numbers: input
            .phone_number
            .into_iter()
            .map(|phone_number| PhoneFactor {
                phone_id: IdKind::PhoneNumber.mint(env),
                phone_number,
                verified: false,
            })
            .collect(),
        password: None,
        totps: vec![],
        providers: vec![],
        webauthn_registrations: vec![],
        crypto_wallets: vec![],
    };
    store.insert_user(&project.project_id, &user).await?;
    Ok(user)
}

/// The user with this `user_id` or `external_id`.
pub async fn get(store: &Store, project: &Project, id: &str) -> Result<User> {
    store
        .get_user(&project.project_id, id)
        .await?
        .ok_or_else(not_found)
}

/// Applies a patch: name parts replaced one by one, metadata merged at the top level.
pub async fn update(store: &Store, project: &Project, id: &str, patch: UserPatch) -> Result<User> {
    store
        .update_user(&project.project_id, id, |user: &mut User| -> Result<()> {
            if let Some(v) = patch.first_name {
                user.name.first = v;
            }
            if let Some(v) = patch.middle_name {
                user.name.middle = v;
            }
            if let Some(v) = patch.last_name {
                user.name.last = v;
            }
            if let Some(p) = patch.trusted_metadata {
                user.trusted_metadata = user.trusted_metadata.merge(p)?;
            }
            if let Some(p) = patch.untrusted_metadata {
                user.untrusted_metadata = user.untrusted_metadata.merge(p)?;
            }
            if let Some(e) = patch.external_id {
                user.external_id = Some(e);
            }
            if let Some(r) = patch.roles {
                user.roles = r;
            }
            Ok(())
        })
        .await?
        .ok_or_else(not_found)
}

/// Clears the external id.
pub async fn delete_external_id(store: &Store, project: &Project, id: &str) -> Result<User> {
    store
        .update_user(&project.project_id, id, |user: &mut User| -> Result<()> {
            user.external_id = None;
            Ok(())
        })
        .await?
        .ok_or_else(not_found)
}

/// Deletes a user with everything it owns; returns its id.
pub async fn delete(store: &Store, project: &Project, id: &str) -> Result<String> {
    store
        .delete_user(&project.project_id, id)
        .await?
        .ok_or_else(not_found)
}

/// Deletes one email or phone number and returns its former owner.
pub async fn delete_factor(
    store: &Store,
    project: &Project,
    factor: FactorRef,
    by: &str,
) -> Result<User> {
    let missing = match &factor {
        FactorRef::Email(_) => ErrorType::EmailNotFound,
        FactorRef::Phone(_) => ErrorType::PhoneNumberNotFound,
    };
    let owner = store
        .delete_factor(&project.project_id, &factor)
        .await?
        .ok_or_else(|| Error::new(missing))?;
    super::security_log::factor_removed(project, &owner, factor.id(), by);
    get(store, project, &owner).await
}

/// Replaces a user's only factor with another one (email ↔ phone allowed).
pub async fn exchange_primary_factor(
    store: &Store,
    project: &Project,
    id: &str,
    new: PrimaryFactor,
    now: Timestamp,
) -> Result<User> {
    let user = get(store, project, id).await?;
    let old = match (&user.emails[..], &user.phone_numbers[..]) {
        ([e], []) => FactorRef::Email(e.email_id.clone()),
        ([], [p]) => FactorRef::Phone(p.phone_id.clone()),
        _ => {
            return Err(Error::with_message(
                ErrorType::InvalidExchangePrimaryFactorUser,
                "The primary factor can only be exchanged for a user with exactly one factor.",
            ));
        }
    };
    let env = project.env;
    let new = match new {
        PrimaryFactor::Email(email) => NewFactor::Email(EmailFactor {
            email_id: IdKind::Email.mint(env),
            email,
            verified: false,
        }),
        PrimaryFactor::Phone(phone_number) => NewFactor::Phone(PhoneFactor {
            phone_id: IdKind::PhoneNumber.mint(env),
            phone_number,
            verified: false,
        }),
    };
    if !store
        .replace_factor(&project.project_id, &user.user_id, &old, &new, now)
        .await?
    {
        return Err(Error::with_message(
            ErrorType::InvalidExchangePrimaryFactorUser,
            "The user's factors changed during the exchange; try again.",
        ));
    }
    let new_id = match &new {
        NewFactor::Email(e) => &e.email_id,
        NewFactor::Phone(p) => &p.phone_id,
    };
    super::security_log::factor_removed(project, &user.user_id, old.id(), "project");
    super::security_log::factor_added(project, &user.user_id, new_id);
    get(store, project, &user.user_id).await
}

/// Default and maximum page sizes of a search.
pub const SEARCH_DEFAULT_LIMIT: u32 = 100;
/// See [`SEARCH_DEFAULT_LIMIT`].
pub const SEARCH_MAX_LIMIT: u32 = 1000;

/// One page of users matching `filter`.
pub async fn search(
    store: &Store,
    project: &Project,
    filter: UserFilter,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<SearchPage> {
    let limit = limit.unwrap_or(SEARCH_DEFAULT_LIMIT);
    if !(1..=SEARCH_MAX_LIMIT).contains(&limit) {
        return Err(Error::with_message(
            ErrorType::UserSearchInvalidLimit,
            "limit must be between 1 and 1000.",
        ));
    }
    let after = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(
            SearchCursor::decode(c)
                .ok_or_else(|| Error::new(ErrorType::UserSearchInvalidCursor))?,
        ),
        None => None,
    };
    Ok(store
        .search_users(&project.project_id, &filter, after.as_ref(), limit)
        .await?)
}
