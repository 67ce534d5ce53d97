use super::user_rows::{UserRow, user_select};
use super::{Store, StoreError, StoreResult, classify, on_read, on_write};
use crate::model::Timestamp;
use crate::model::user::{EmailFactor, ExternalId, PhoneFactor, User};

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
