use super::{Dialect, Store, StoreError, StoreResult, classify, on_read, on_write};
use crate::model::Timestamp;
use crate::model::user::{
    EmailAddress, EmailFactor, ExternalId, Metadata, Name, OauthRegistration, PasswordFactor,
    PhoneFactor, PhoneNumber, TotpFactor, User, UserStatus,
};

const USER_COLUMNS: &str = "users.user_id, users.status, users.first_name, users.middle_name, \
    users.last_name, users.trusted_metadata, users.untrusted_metadata, users.external_id, \
    users.roles, users.lock_created_at, users.lock_expires_at, users.created_at";

/// The select list that loads a whole user (its row, emails, phone numbers, password and TOTP
/// registrations) in one query.
pub(super) fn user_select(d: Dialect) -> String {
    let password = "FROM user_passwords x WHERE x.project_id = users.project_id \
                    AND x.user_id = users.user_id";
    let password = match d {
        Dialect::Sqlite => format!(
            "(SELECT json_object('id', x.password_id, 'value', '', 'verified', x.requires_reset) \
             {password})"
        ),
        Dialect::Postgres => format!(
            "(SELECT json_build_object('id', x.password_id, 'value', '', 'verified', \
             x.requires_reset)::text {password})"
        ),
    };
    let providers = rows_json(
        d,
        "user_oauth_registrations",
        "'registration_id', x.registration_id, 'provider', x.provider, \
         'provider_subject', x.provider_subject, 'profile_picture_url', \
         x.profile_picture_url, 'locale', x.locale",
        "registration_id",
    );
    let webauthn = rows_json(
        d,
        "user_webauthn_registrations",
        "'registration_id', x.registration_id, 'domain', x.domain, 'user_agent', x.user_agent, \
         'authenticator_type', x.authenticator_type, 'name', x.name",
        "registration_id",
    );
    let wallets = rows_json(
        d,
        "user_crypto_wallets",
        "'wallet_id', x.wallet_id, 'wallet_type', x.wallet_type, 'address', x.address, \
         'verified', x.verified",
        "wallet_id",
    );
    format!(
        "{USER_COLUMNS}, {} AS emails_json, {} AS phones_json, {password} AS password_json, \
         {} AS totps_json, {providers} AS providers_json, {webauthn} AS webauthn_json, \
         {wallets} AS wallets_json",
        d.factor_array("user_emails", "email_id", "email"),
        d.factor_array("user_phone_numbers", "phone_id", "phone_number"),
        d.factor_array("user_totps", "totp_id", "totp_id"),
    )
}

/// A user's rows of `table` as a JSON array of objects of `fields`, oldest first.
fn rows_json(d: Dialect, table: &str, fields: &str, id: &str) -> String {
    let rows = format!(
        "FROM {table} x WHERE x.project_id = users.project_id AND x.user_id = users.user_id"
    );
    match d {
        Dialect::Sqlite => format!(
            "(SELECT json_group_array(json_object({fields}) ORDER BY x.created_at, x.{id}) {rows})"
        ),
        Dialect::Postgres => format!(
            "(SELECT COALESCE(json_agg(json_build_object({fields}) \
             ORDER BY x.created_at, x.{id}), '[]'::json)::text {rows})"
        ),
    }
}

/// One element of a factor array. `verified` is a boolean in PostgreSQL's JSON and 0/1 in
/// SQLite's.
#[derive(serde::Deserialize)]
struct FactorJson {
    id: String,
    value: String,
    #[serde(deserialize_with = "bool_or_int")]
    verified: bool,
}

fn bool_or_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    crate::model::user::flag(d)
}

fn factors(json: &str, what: &'static str) -> StoreResult<Vec<FactorJson>> {
    serde_json::from_str(json).map_err(|_| StoreError::Corrupt(what))
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    user_id: String,
    status: String,
    first_name: String,
    middle_name: String,
    last_name: String,
    trusted_metadata: String,
    untrusted_metadata: String,
    external_id: Option<String>,
    roles: String,
    lock_created_at: Option<i64>,
    lock_expires_at: Option<i64>,
    created_at: i64,
    emails_json: String,
    phones_json: String,
    /// `{id, verified: requires_reset}`, or NULL.
    password_json: Option<String>,
    totps_json: String,
    providers_json: String,
    webauthn_json: String,
    wallets_json: String,
}

impl UserRow {
    /// Reads the columns of [`user_select`] starting at column `at` of a rusqlite row.
    pub(super) fn from_rusqlite(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(UserRow {
            user_id: r.get(at)?,
            status: r.get(at + 1)?,
            first_name: r.get(at + 2)?,
            middle_name: r.get(at + 3)?,
            last_name: r.get(at + 4)?,
            trusted_metadata: r.get(at + 5)?,
            untrusted_metadata: r.get(at + 6)?,
            external_id: r.get(at + 7)?,
            roles: r.get(at + 8)?,
            lock_created_at: r.get(at + 9)?,
            lock_expires_at: r.get(at + 10)?,
            created_at: r.get(at + 11)?,
            emails_json: r.get(at + 12)?,
            phones_json: r.get(at + 13)?,
            password_json: r.get(at + 14)?,
            totps_json: r.get(at + 15)?,
            providers_json: r.get(at + 16)?,
            webauthn_json: r.get(at + 17)?,
            wallets_json: r.get(at + 18)?,
        })
    }

    /// The user this row stores; an unknown status or unreadable JSON is an error.
    pub(super) fn into_user(self) -> StoreResult<User> {
        let emails = factors(&self.emails_json, "user emails")?
            .into_iter()
            .map(|f| EmailFactor {
                email_id: f.id,
                email: EmailAddress::from_stored(f.value),
                verified: f.verified,
            })
            .collect();
        let phone_numbers = factors(&self.phones_json, "user phone numbers")?
            .into_iter()
            .map(|f| PhoneFactor {
                phone_id: f.id,
                phone_number: PhoneNumber::from_stored(f.value),
                verified: f.verified,
            })
            .collect();
        let password = match &self.password_json {
            None => None,
            Some(json) => {
                let f: FactorJson =
                    serde_json::from_str(json).map_err(|_| StoreError::Corrupt("user password"))?;
                Some(PasswordFactor {
                    password_id: f.id,
                    requires_reset: f.verified,
                })
            }
        };
        let totps = factors(&self.totps_json, "user totps")?
            .into_iter()
            .map(|f| TotpFactor {
                totp_id: f.id,
                verified: f.verified,
            })
            .collect();
        let providers: Vec<OauthRegistration> = serde_json::from_str(&self.providers_json)
            .map_err(|_| StoreError::Corrupt("user oauth registrations"))?;
        let webauthn_registrations = serde_json::from_str(&self.webauthn_json)
            .map_err(|_| StoreError::Corrupt("user webauthn registrations"))?;
        let crypto_wallets = serde_json::from_str(&self.wallets_json)
            .map_err(|_| StoreError::Corrupt("user crypto wallets"))?;
        let metadata =
            |json: &str| Metadata::from_stored(json).ok_or(StoreError::Corrupt("metadata"));
        Ok(User {
            user_id: self.user_id,
            status: UserStatus::parse(&self.status).ok_or(StoreError::Corrupt("user status"))?,
            name: Name {
                first: self.first_name,
                middle: self.middle_name,
                last: self.last_name,
            },
            trusted_metadata: metadata(&self.trusted_metadata)?,
            untrusted_metadata: metadata(&self.untrusted_metadata)?,
            external_id: self.external_id.map(ExternalId::from_stored),
            roles: serde_json::from_str(&self.roles)
                .map_err(|_| StoreError::Corrupt("user roles"))?,
            lock: self
                .lock_created_at
                .zip(self.lock_expires_at)
                .map(|(a, b)| (Timestamp::from_millis(a), Timestamp::from_millis(b))),
            created_at: Timestamp::from_millis(self.created_at),
            emails,
            phone_numbers,
            password,
            totps,
            providers,
            webauthn_registrations,
            crypto_wallets,
        })
    }
}

/// A new identifying factor for a user.
#[derive(Debug, Clone)]
pub enum NewFactor {
    /// An email address with its fresh id.
    Email(EmailFactor),
    /// A phone number with its fresh id.
    Phone(PhoneFactor),
}

/// A reference to one existing identifying factor.
#[derive(Debug, Clone)]
pub enum FactorRef {
    /// By `email_id`.
    Email(String),
    /// By `phone_id`.
    Phone(String),
}

impl FactorRef {
    /// The id.
    pub fn id(&self) -> &str {
        match self {
            FactorRef::Email(id) | FactorRef::Phone(id) => id,
        }
    }
}

/// Inserts one factor row inside a transaction or on a pool.
macro_rules! insert_factor {
    ($exec:expr, $project_id:expr, $user_id:expr, $factor:expr, $now:expr) => {
        match $factor {
            NewFactor::Email(e) => sqlx::query(
                "INSERT INTO user_emails (email_id, project_id, user_id, email, verified, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&e.email_id)
            .bind($project_id)
            .bind($user_id)
            .bind(e.email.as_str())
            .bind(e.verified)
            .bind($now)
            .execute($exec)
            .await
            .map_err(classify)?,
            NewFactor::Phone(p) => sqlx::query(
                "INSERT INTO user_phone_numbers (phone_id, project_id, user_id, phone_number, \
                 verified, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&p.phone_id)
            .bind($project_id)
            .bind($user_id)
            .bind(p.phone_number.as_str())
            .bind(p.verified)
            .bind($now)
            .execute($exec)
            .await
            .map_err(classify)?,
        }
    };
}

impl Store {
    /// Inserts a user and its emails and phone numbers in one transaction.
    pub async fn insert_user(&self, project_id: &str, user: &User) -> StoreResult<()> {
        let now = user.created_at.millis();
        let roles = serde_json::to_string(&user.roles).unwrap_or_else(|_| "[]".into());
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO users (user_id, project_id, status, first_name, middle_name, \
                 last_name, trusted_metadata, untrusted_metadata, external_id, roles, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&user.user_id)
            .bind(project_id)
            .bind(user.status.as_str())
            .bind(&user.name.first)
            .bind(&user.name.middle)
            .bind(&user.name.last)
            .bind(user.trusted_metadata.to_json())
            .bind(user.untrusted_metadata.to_json())
            .bind(user.external_id.as_ref().map(ExternalId::as_str))
            .bind(&roles)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            for e in &user.emails {
                insert_factor!(&mut *tx, project_id, &user.user_id, &NewFactor::Email(e.clone()), now);
            }
            for p in &user.phone_numbers {
                insert_factor!(&mut *tx, project_id, &user.user_id, &NewFactor::Phone(p.clone()), now);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The user whose `user_id` (or, failing that, `external_id`) is `id`, in one query.
    pub async fn get_user(&self, project_id: &str, id: &str) -> StoreResult<Option<User>> {
        let row: Option<UserRow> = on_read!(self, pool, d => {
            let sql = format!(
                "SELECT {} FROM users WHERE users.project_id = $1 \
                 AND (users.user_id = $2 OR users.external_id = $2) \
                 ORDER BY CASE WHEN users.user_id = $2 THEN 0 ELSE 1 END LIMIT 1",
                user_select(d)
            );
            sqlx::query_as(&sql).bind(project_id).bind(id).fetch_optional(pool).await?
        });
        row.map(UserRow::into_user).transpose()
    }

    /// Read-modify-write of a user's own row (name, metadata, external id, roles, status) in
    /// one transaction; `change` decides, the store persists. `None` when no such user.
    pub async fn update_user<E: From<StoreError>>(
        &self,
        project_id: &str,
        id: &str,
        change: impl FnOnce(&mut User) -> Result<(), E>,
    ) -> Result<Option<User>, E> {
        let Some(found) = self.get_user(project_id, id).await? else {
            return Ok(None);
        };
        let user_id = found.user_id;
        let updated = on_write!(self, pool, dialect => {
            let mut tx = pool.begin().await.map_err(StoreError::from)?;
            // Re-read under the write lock so concurrent merges are not lost.
            let sql = format!(
                "SELECT {} FROM users WHERE users.project_id = $1 AND users.user_id = $2{}",
                user_select(dialect),
                dialect.for_update()
            );
            let row: Option<UserRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(&user_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            let Some(row) = row else { return Ok(None) };
            let mut user = row.into_user()?;
            change(&mut user)?;
            let roles = serde_json::to_string(&user.roles).unwrap_or_else(|_| "[]".into());
            sqlx::query(
                "UPDATE users SET status = $3, first_name = $4, middle_name = $5, last_name = $6, \
                 trusted_metadata = $7, untrusted_metadata = $8, external_id = $9, roles = $10 \
                 WHERE project_id = $1 AND user_id = $2",
            )
            .bind(project_id)
            .bind(&user_id)
            .bind(user.status.as_str())
            .bind(&user.name.first)
            .bind(&user.name.middle)
            .bind(&user.name.last)
            .bind(user.trusted_metadata.to_json())
            .bind(user.untrusted_metadata.to_json())
            .bind(user.external_id.as_ref().map(ExternalId::as_str))
            .bind(&roles)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
            tx.commit().await.map_err(StoreError::from)?;
            user
        });
        Ok(Some(updated))
    }

    /// Deletes a user (by id or external id) and, by cascade, everything it owns.
    pub async fn delete_user(&self, project_id: &str, id: &str) -> StoreResult<Option<String>> {
        let Some(user) = self.get_user(project_id, id).await? else {
            return Ok(None);
        };
        let deleted: Option<String> = on_write!(self, pool, _d =>
            sqlx::query_scalar(
                "DELETE FROM users WHERE project_id = $1 AND user_id = $2 RETURNING user_id",
            )
            .bind(project_id)
            .bind(&user.user_id)
            .fetch_optional(pool)
            .await?);
        Ok(deleted)
    }

    /// Deletes one email or phone number; returns the owner's id, `None` when not found.
    pub async fn delete_factor(
        &self,
        project_id: &str,
        factor: &FactorRef,
    ) -> StoreResult<Option<String>> {
        let (sql, id) = match factor {
            FactorRef::Email(id) => (
                "DELETE FROM user_emails WHERE project_id = $1 AND email_id = $2 RETURNING user_id",
                id,
            ),
            FactorRef::Phone(id) => (
                "DELETE FROM user_phone_numbers WHERE project_id = $1 AND phone_id = $2 \
                 RETURNING user_id",
                id,
            ),
        };
        let owner: Option<String> = on_write!(self, pool, _d =>
            sqlx::query_scalar(sql).bind(project_id).bind(id).fetch_optional(pool).await?);
        Ok(owner)
    }

    /// Replaces `old` with `new` on `user_id` in one transaction. Returns `false` when `old` no
    /// longer belongs to the user (a concurrent change won).
    pub async fn replace_factor(
        &self,
        project_id: &str,
        user_id: &str,
        old: &FactorRef,
        new: &NewFactor,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let (sql, id) = match old {
            FactorRef::Email(id) => (
                "DELETE FROM user_emails WHERE project_id = $1 AND user_id = $2 AND email_id = $3",
                id,
            ),
            FactorRef::Phone(id) => (
                "DELETE FROM user_phone_numbers WHERE project_id = $1 AND user_id = $2 \
                 AND phone_id = $3",
                id,
            ),
        };
        let replaced = on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            let gone = sqlx::query(sql)
                .bind(project_id)
                .bind(user_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if gone == 1 {
                insert_factor!(&mut *tx, project_id, user_id, new, now.millis());
                tx.commit().await?;
                true
            } else {
                false
            }
        });
        Ok(replaced)
    }

    /// The user owning this (normalized) email address.
    pub async fn user_by_email(&self, project_id: &str, email: &str) -> StoreResult<Option<User>> {
        let owner: Option<String> = on_read!(self, pool =>
            sqlx::query_scalar("SELECT user_id FROM user_emails WHERE project_id = $1 AND email = $2")
                .bind(project_id).bind(email).fetch_optional(pool).await?);
        match owner {
            Some(id) => self.get_user(project_id, &id).await,
            None => Ok(None),
        }
    }

    /// The user owning this phone number.
    pub async fn user_by_phone(&self, project_id: &str, phone: &str) -> StoreResult<Option<User>> {
        let owner: Option<String> = on_read!(self, pool =>
            sqlx::query_scalar(
                "SELECT user_id FROM user_phone_numbers WHERE project_id = $1 AND phone_number = $2",
            )
            .bind(project_id).bind(phone).fetch_optional(pool).await?);
        match owner {
            Some(id) => self.get_user(project_id, &id).await,
            None => Ok(None),
        }
    }

    /// Attaches a new email or phone number to an existing user.
    pub async fn add_factor(
        &self,
        project_id: &str,
        user_id: &str,
        factor: &NewFactor,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => { insert_factor!(pool, project_id, user_id, factor, now.millis()); });
        Ok(())
    }

    /// Marks an email or phone number verified and, when `activate`, a pending owner active, in
    /// one transaction. The service decides `activate` (see `User::mark_verified`).
    pub async fn verify_factor(
        &self,
        project_id: &str,
        user_id: &str,
        factor: &FactorRef,
        activate: bool,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            verify_in(&mut tx, project_id, user_id, factor, activate).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

/// [`Store::verify_factor`] inside a caller's transaction. Rows already in the wanted state are
/// not written (nor is the user's version bumped).
pub(super) async fn verify_in<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    project_id: &str,
    user_id: &str,
    factor: &FactorRef,
    activate: bool,
) -> StoreResult<()>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let (sql, id) = match factor {
        FactorRef::Email(id) => (
            "UPDATE user_emails SET verified = TRUE WHERE project_id = $1 AND user_id = $2 \
             AND email_id = $3 AND NOT verified",
            id,
        ),
        FactorRef::Phone(id) => (
            "UPDATE user_phone_numbers SET verified = TRUE WHERE project_id = $1 \
             AND user_id = $2 AND phone_id = $3 AND NOT verified",
            id,
        ),
    };
    sqlx::query(sql)
        .bind(project_id)
        .bind(user_id)
        .bind(id.as_str())
        .execute(&mut **tx)
        .await?;
    if activate {
        sqlx::query(
            "UPDATE users SET status = 'active' WHERE project_id = $1 AND user_id = $2 \
             AND status = 'pending'",
        )
        .bind(project_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> UserRow {
        UserRow {
            user_id: "user-test-1".into(),
            status: "active".into(),
            first_name: String::new(),
            middle_name: String::new(),
            last_name: String::new(),
            trusted_metadata: "{}".into(),
            untrusted_metadata: "{}".into(),
            external_id: None,
            roles: "[]".into(),
            lock_created_at: None,
            lock_expires_at: None,
            created_at: 0,
            emails_json: r#"[{"id":"email-test-1","value":"a@b.co","verified":1}]"#.into(),
            phones_json: "[]".into(),
            password_json: Some(r#"{"id":"password-test-1","value":"","verified":false}"#.into()),
            totps_json: "[]".into(),
            providers_json: "[]".into(),
            webauthn_json: "[]".into(),
            wallets_json: "[]".into(),
        }
    }

    #[test]
    fn unreadable_rows_are_errors_not_defaults() {
        assert!(row().into_user().is_ok());
        let broken: [fn(&mut UserRow); 8] = [
            |r| r.password_json = Some("{".into()),
            |r| r.totps_json = "[{}]".into(),
            |r| r.status = "suspended-by-a-newer-version".into(),
            |r| r.trusted_metadata = "[1]".into(),
            |r| r.untrusted_metadata = "not json".into(),
            |r| r.roles = "{".into(),
            |r| r.emails_json = "{}".into(),
            |r| r.phones_json = "[{\"id\":1}]".into(),
        ];
        for (i, breaks) in broken.into_iter().enumerate() {
            let mut r = row();
            breaks(&mut r);
            assert!(
                matches!(r.into_user(), Err(StoreError::Corrupt(_))),
                "case {i} read as a user"
            );
        }
    }
}
