//! The admin console's administrators and their sessions.

use super::{Store, StoreResult, on_read, on_write};
use crate::crypto::Digest256;
use crate::model::Timestamp;

/// An administrator as stored: password hash and sealed TOTP seed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminRow {
    /// `admin-…`.
    pub admin_id: String,
    /// The login.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// The TOTP seed, sealed with the master key.
    pub totp_sealed: Vec<u8>,
}

/// A live admin session: who, and the CSRF value of their forms.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminSessionRow {
    /// The administrator.
    pub admin_id: String,
    /// Their email.
    pub email: String,
    /// The value every form of the session carries.
    pub csrf: String,
    /// When it ends (epoch ms).
    pub expires_at: i64,
}

impl Store {
    /// Adds an administrator; false when the email already is one.
    pub async fn insert_admin(&self, a: &AdminRow, now: Timestamp) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d =>
            sqlx::query(
                "INSERT INTO admins (admin_id, email, password_hash, totp_sealed, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING",
            )
            .bind(&a.admin_id)
            .bind(&a.email)
            .bind(&a.password_hash)
            .bind(&a.totp_sealed)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// The administrator of `email`.
    pub async fn admin_by_email(&self, email: &str) -> StoreResult<Option<AdminRow>> {
        Ok(on_read!(self, pool =>
            sqlx::query_as::<_, AdminRow>(
                "SELECT admin_id, email, password_hash, totp_sealed FROM admins WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await?))
    }

    /// Spends TOTP time step `step` of an administrator: true only the first time a step at
    /// least this late is spent (one statement, so two racing logins cannot both use a code).
    pub async fn spend_admin_totp_step(&self, admin_id: &str, step: i64) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d =>
            sqlx::query(
                "UPDATE admins SET last_totp_step = $2 WHERE admin_id = $1 AND last_totp_step < $2",
            )
            .bind(admin_id)
            .bind(step)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Starts an admin session (and drops the expired ones).
    pub async fn insert_admin_session(
        &self,
        token: Digest256,
        admin_id: &str,
        csrf: &str,
        (now, expires_at): (Timestamp, Timestamp),
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1")
                .bind(now.millis())
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO admin_sessions (token_digest, admin_id, csrf, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&token.0[..])
            .bind(admin_id)
            .bind(csrf)
            .bind(now.millis())
            .bind(expires_at.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The live session of a token's digest.
    pub async fn admin_session(
        &self,
        token: Digest256,
        now: Timestamp,
    ) -> StoreResult<Option<AdminSessionRow>> {
        Ok(on_read!(self, pool =>
            sqlx::query_as::<_, AdminSessionRow>(
                "SELECT s.admin_id, a.email, s.csrf, s.expires_at FROM admin_sessions s \
                 JOIN admins a ON a.admin_id = s.admin_id \
                 WHERE s.token_digest = $1 AND s.expires_at > $2",
            )
            .bind(&token.0[..])
            .bind(now.millis())
            .fetch_optional(pool)
            .await?))
    }

    /// Ends an admin session.
    pub async fn delete_admin_session(&self, token: Digest256) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query("DELETE FROM admin_sessions WHERE token_digest = $1")
                .bind(&token.0[..])
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
