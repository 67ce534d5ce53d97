use super::{Store, StoreResult, on_read, on_write};
use crate::crypto::Digest256;
use crate::model::Timestamp;

/// A user's stored password.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPassword {
    /// `password-test-<uuid>`.
    pub password_id: String,
    /// An argon2id PHC string, or `legacy:` and an imported hash's description.
    pub hash: String,
    /// The user must reset it.
    pub requires_reset: bool,
}

/// A password-reset link as stored (the token only as a digest).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRecord {
    /// The user it resets.
    pub user_id: String,
    /// The email it was sent to.
    pub email_id: String,
    /// PKCE challenge of the start call.
    pub code_challenge: Option<String>,
    /// Starter's IP address.
    pub ip_address: String,
    /// Starter's user agent.
    pub user_agent: String,
    /// Expiry (epoch ms).
    pub expires_at: i64,
}

impl Store {
    /// The password of `user_id`, if any.
    pub async fn password_of(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> StoreResult<Option<StoredPassword>> {
        let row = on_read!(self, pool => sqlx::query_as(
                "SELECT password_id, hash, requires_reset FROM user_passwords \
                 WHERE project_id = $1 AND user_id = $2",
            )
            .bind(project_id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Gives `user_id` its first password; `false` (nothing written) when it already has one.
    pub async fn insert_password(
        &self,
        project_id: &str,
        user_id: &str,
        p: &StoredPassword,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "INSERT INTO user_passwords (project_id, user_id, password_id, hash, \
                 requires_reset, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (project_id, user_id) DO NOTHING",
            )
            .bind(project_id)
            .bind(user_id)
            .bind(&p.password_id)
            .bind(&p.hash)
            .bind(p.requires_reset)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Sets `user_id`'s password to `hash` (a reset), creating it with `new_id` if it had none;
    /// clears `requires_reset`.
    pub async fn set_password(
        &self,
        project_id: &str,
        user_id: &str,
        new_id: &str,
        hash: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let _ = on_write!(self, pool, _d => sqlx::query(
                "INSERT INTO user_passwords (project_id, user_id, password_id, hash, \
                 requires_reset, created_at, updated_at) VALUES ($1, $2, $3, $4, FALSE, $5, $5) \
                 ON CONFLICT (project_id, user_id) DO UPDATE SET hash = excluded.hash, \
                 requires_reset = FALSE, updated_at = excluded.updated_at",
            )
            .bind(project_id)
            .bind(user_id)
            .bind(new_id)
            .bind(hash)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Replaces the hash `old` by `new` (a rehash after a login); a concurrent change wins.
    pub async fn upgrade_password_hash(
        &self,
        project_id: &str,
        user_id: &str,
        old: &str,
        new: &str,
    ) -> StoreResult<()> {
        let _ = on_write!(self, pool, _d => sqlx::query(
                "UPDATE user_passwords SET hash = $4 \
                 WHERE project_id = $1 AND user_id = $2 AND hash = $3",
            )
            .bind(project_id)
            .bind(user_id)
            .bind(old)
            .bind(new)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Marks `user_id`'s password as needing a reset; whether it has one.
    pub async fn require_password_reset(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "UPDATE user_passwords SET requires_reset = TRUE \
                 WHERE project_id = $1 AND user_id = $2 AND NOT requires_reset",
            )
            .bind(project_id)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Deletes a password by id; its user, if it existed.
    pub async fn delete_password(
        &self,
        project_id: &str,
        password_id: &str,
    ) -> StoreResult<Option<String>> {
        let user = on_write!(self, pool, _d => sqlx::query_scalar(
                "DELETE FROM user_passwords WHERE project_id = $1 AND password_id = $2 \
                 RETURNING user_id",
            )
            .bind(project_id)
            .bind(password_id)
            .fetch_optional(pool)
            .await?);
        Ok(user)
    }

    /// Stores a reset link.
    pub async fn put_password_reset(
        &self,
        project_id: &str,
        token: Digest256,
        r: &ResetRecord,
    ) -> StoreResult<()> {
        let _ = on_write!(self, pool, _d => sqlx::query(
                "INSERT INTO password_resets (project_id, token_digest, user_id, email_id, \
                 code_challenge, ip_address, user_agent, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(project_id)
            .bind(token.0.to_vec())
            .bind(&r.user_id)
            .bind(&r.email_id)
            .bind(r.code_challenge.as_deref())
            .bind(&r.ip_address)
            .bind(&r.user_agent)
            .bind(r.expires_at)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(())
    }

    /// A reset link, without spending it.
    pub async fn password_reset(
        &self,
        project_id: &str,
        token: Digest256,
    ) -> StoreResult<Option<ResetRecord>> {
        let row = on_read!(self, pool => sqlx::query_as(
                "SELECT user_id, email_id, code_challenge, ip_address, user_agent, expires_at \
                 FROM password_resets WHERE project_id = $1 AND token_digest = $2",
            )
            .bind(project_id)
            .bind(token.0.to_vec())
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Spends a reset link: exactly one of any number of concurrent callers gets `true`.
    pub async fn spend_password_reset(
        &self,
        project_id: &str,
        token: Digest256,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "DELETE FROM password_resets WHERE project_id = $1 AND token_digest = $2",
            )
            .bind(project_id)
            .bind(token.0.to_vec())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
