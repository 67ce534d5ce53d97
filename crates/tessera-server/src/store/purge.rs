//! Deleting what has expired: sessions, links, codes and retired signing keys, in small batches.

use super::{Store, StoreResult, on_write};
use crate::model::Timestamp;

/// How long the revocation feed remembers a revocation.
const REVOCATION_RETENTION_MS: i64 = 60 * 60 * 1000;

impl Store {
    /// Deletes expired sessions, links and codes, counter windows (passcode guesses, rate
    /// limits) that started before `guesses_before` (no window is longer), and signing keys
    /// retired before `keys_retired_before`, in small batches
    /// so that no request waits long behind it. Returns how many rows went.
    pub async fn purge_expired(
        &self,
        now: Timestamp,
        guesses_before: Timestamp,
        keys_retired_before: Timestamp,
    ) -> StoreResult<u64> {
        const BATCH: i64 = 500;
        let statements = [
            "DELETE FROM sessions WHERE (project_id, session_id) IN \
             (SELECT project_id, session_id FROM sessions WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM magic_links WHERE (project_id, token_digest) IN \
             (SELECT project_id, token_digest FROM magic_links WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM otp_codes WHERE (project_id, method_id) IN \
             (SELECT project_id, method_id FROM otp_codes WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM oauth_states WHERE state_digest IN \
             (SELECT state_digest FROM oauth_states WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM oauth_tokens WHERE (project_id, token_digest) IN \
             (SELECT project_id, token_digest FROM oauth_tokens WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM oauth_attach_tokens WHERE (project_id, token_digest) IN \
             (SELECT project_id, token_digest FROM oauth_attach_tokens \
             WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM impersonation_tokens WHERE (project_id, token_digest) IN \
             (SELECT project_id, token_digest FROM impersonation_tokens \
             WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM webauthn_challenges WHERE (project_id, challenge_digest) IN \
             (SELECT project_id, challenge_digest FROM webauthn_challenges \
             WHERE expires_at <= $1 LIMIT $2)",
            "DELETE FROM crypto_wallet_challenges WHERE (project_id, wallet_type, address) IN \
             (SELECT project_id, wallet_type, address FROM crypto_wallet_challenges \
             WHERE expires_at <= $1 LIMIT $2)",
        ];
        let windows = [
            (
                "DELETE FROM rate_counters WHERE (project_id, bucket) IN \
                 (SELECT project_id, bucket FROM rate_counters WHERE window_start <= $1 LIMIT $2)",
                guesses_before,
            ),
            // The feed keeps revocations far longer than any JWT of theirs lives (5 minutes).
            (
                "DELETE FROM session_revocations WHERE (project_id, session_id, revoked_at) IN \
                 (SELECT project_id, session_id, revoked_at FROM session_revocations \
                 WHERE revoked_at <= $1 LIMIT $2)",
                Timestamp::from_millis(now.millis() - REVOCATION_RETENTION_MS),
            ),
        ];
        let mut total = 0;
        for (sql, cutoff) in statements.map(|s| (s, now)).into_iter().chain(windows) {
            loop {
                let n = on_write!(self, pool, _d =>
                    sqlx::query(sql).bind(cutoff.millis()).bind(BATCH).execute(pool).await?.rows_affected());
                total += n;
                if n < BATCH as u64 {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        total += on_write!(self, pool, _d =>
            sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at <= $1")
                .bind(keys_retired_before.millis())
                .execute(pool)
                .await?
                .rows_affected());
        Ok(total)
    }
}
