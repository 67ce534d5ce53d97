use super::{Store, StoreResult, on_read, on_write};
use crate::crypto::Digest256;
use crate::model::Timestamp;

/// A passcode as stored (the code only as a digest).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OtpRecord {
    /// The user it logs in.
    pub user_id: String,
    /// `sms`, `whatsapp` or `email`.
    pub channel: String,
    /// Digest of method id and code.
    pub code_digest: Vec<u8>,
    /// Authentication attempts so far, this one included.
    pub attempts: i64,
    /// Sender's IP address.
    pub ip_address: String,
    /// Sender's user agent.
    pub user_agent: String,
    /// Expiry (epoch ms).
    pub expires_at: i64,
    /// The address of a code sent for attachment: not on the user until the code is spent
    /// (the method id is the id it will have).
    pub pending_address: Option<String>,
}

impl Store {
    /// Stores the code of `method_id`, replacing (and so invalidating) any earlier one.
    pub async fn put_otp(
        &self,
        project_id: &str,
        method_id: &str,
        otp: &OtpRecord,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO otp_codes (project_id, method_id, user_id, channel, code_digest, \
                 attempts, ip_address, user_agent, created_at, expires_at, pending_address) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10) \
                 ON CONFLICT (project_id, method_id) DO UPDATE SET user_id = excluded.user_id, \
                 channel = excluded.channel, code_digest = excluded.code_digest, attempts = 0, \
                 ip_address = excluded.ip_address, user_agent = excluded.user_agent, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at, \
                 pending_address = excluded.pending_address",
            )
            .bind(project_id)
            .bind(method_id)
            .bind(&otp.user_id)
            .bind(&otp.channel)
            .bind(&otp.code_digest)
            .bind(&otp.ip_address)
            .bind(&otp.user_agent)
            .bind(now.millis())
            .bind(otp.expires_at)
            .bind(otp.pending_address.as_deref())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Counts one authentication attempt against the code of `method_id` and returns it, so
    /// that the attempt limit holds however many requests race.
    pub async fn attempt_otp(
        &self,
        project_id: &str,
        method_id: &str,
    ) -> StoreResult<Option<OtpRecord>> {
        let row = on_write!(self, pool, _d =>
            sqlx::query_as(
                "UPDATE otp_codes SET attempts = attempts + 1 WHERE project_id = $1 AND method_id = $2 \
                 RETURNING user_id, channel, code_digest, attempts, ip_address, user_agent, expires_at, \
                 pending_address",
            )
            .bind(project_id)
            .bind(method_id)
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// The method id of the live code that `user_id` was sent at `address` for attachment, so
    /// that a resend replaces that code (and shares its guess budget) instead of adding one.
    pub async fn pending_method(
        &self,
        project_id: &str,
        user_id: &str,
        address: &str,
    ) -> StoreResult<Option<String>> {
        let id = on_read!(self, pool =>
            sqlx::query_scalar(
                "SELECT method_id FROM otp_codes WHERE project_id = $1 AND user_id = $2 \
                 AND pending_address = $3",
            )
            .bind(project_id)
            .bind(user_id)
            .bind(address)
            .fetch_optional(pool)
            .await?);
        Ok(id)
    }

    /// Deletes the code of `method_id` if it is still `code_digest`: exactly one of any number
    /// of concurrent callers gets `true`.
    pub async fn delete_otp(
        &self,
        project_id: &str,
        method_id: &str,
        code_digest: Digest256,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "DELETE FROM otp_codes WHERE project_id = $1 AND method_id = $2 AND code_digest = $3",
            )
            .bind(project_id)
            .bind(method_id)
            .bind(code_digest.0.to_vec())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }
}
