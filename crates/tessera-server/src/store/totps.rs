use super::{Store, StoreResult, on_read, on_write};
use crate::model::Timestamp;

/// A registration as stored (its seed and codes sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpRow {
    /// `totp-test-<uuid>`.
    pub totp_id: String,
    /// Its user.
    pub user_id: String,
    /// The seed, sealed.
    pub secret_sealed: Vec<u8>,
    /// The ten recovery codes, sealed.
    pub recovery_sealed: Vec<u8>,
    /// A code was accepted once.
    pub verified: bool,
    /// Enrolment deadline (epoch ms) while unverified.
    pub expires_at: i64,
}

/// A recovery code to store with its registration.
#[derive(Debug, Clone)]
pub struct NewRecoveryCode {
    /// `totp-recovery-code-test-<uuid>`.
    pub code_id: String,
    /// The code's digest.
    pub digest: Vec<u8>,
}

impl Store {
    /// Stores a new registration with its recovery codes, dropping the user's unverified ones.
    pub async fn insert_totp(
        &self,
        project_id: &str,
        t: &TotpRow,
        codes: &[NewRecoveryCode],
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "DELETE FROM user_totps WHERE project_id = $1 AND user_id = $2 AND NOT verified",
            )
            .bind(project_id)
            .bind(&t.user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO user_totps (project_id, totp_id, user_id, secret_sealed, \
                 recovery_sealed, verified, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7)",
            )
            .bind(project_id)
            .bind(&t.totp_id)
            .bind(&t.user_id)
            .bind(&t.secret_sealed)
            .bind(&t.recovery_sealed)
            .bind(t.expires_at)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            for c in codes {
                sqlx::query(
                    "INSERT INTO totp_recovery_codes (project_id, totp_id, code_id, code_digest) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(project_id)
                .bind(&t.totp_id)
                .bind(&c.code_id)
                .bind(&c.digest)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The user's registrations, oldest first.
    pub async fn totps_of(&self, project_id: &str, user_id: &str) -> StoreResult<Vec<TotpRow>> {
        let rows = on_read!(self, pool => sqlx::query_as(
                "SELECT totp_id, user_id, secret_sealed, recovery_sealed, verified, expires_at \
                 FROM user_totps WHERE project_id = $1 AND user_id = $2 \
                 ORDER BY created_at, totp_id",
            )
            .bind(project_id)
            .bind(user_id)
            .fetch_all(pool)
            .await?);
        Ok(rows)
    }

    /// Accepts the code of time step `step` for `totp_id` (and marks it verified) only if no
    /// code of that step or a later one was accepted: one of any number of concurrent callers
    /// with the same code gets `true`.
    pub async fn accept_totp_step(
        &self,
        project_id: &str,
        totp_id: &str,
        step: i64,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "UPDATE user_totps SET last_step = $3, verified = TRUE \
                 WHERE project_id = $1 AND totp_id = $2 AND (last_step IS NULL OR last_step < $3)",
            )
            .bind(project_id)
            .bind(totp_id)
            .bind(step)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Spends the recovery code with `digest` of `totp_id`; its id if it was unused (one of
    /// any number of concurrent callers gets it).
    pub async fn spend_recovery_code(
        &self,
        project_id: &str,
        totp_id: &str,
        digest: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<String>> {
        let id = on_write!(self, pool, _d => sqlx::query_scalar(
                "UPDATE totp_recovery_codes SET used_at = $4 WHERE project_id = $1 \
                 AND totp_id = $2 AND code_digest = $3 AND used_at IS NULL RETURNING code_id",
            )
            .bind(project_id)
            .bind(totp_id)
            .bind(digest)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(id)
    }

    /// Digests of the registration's recovery codes not yet used.
    pub async fn unused_recovery_codes(
        &self,
        project_id: &str,
        totp_id: &str,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let rows = on_read!(self, pool => sqlx::query_scalar(
                "SELECT code_digest FROM totp_recovery_codes \
                 WHERE project_id = $1 AND totp_id = $2 AND used_at IS NULL",
            )
            .bind(project_id)
            .bind(totp_id)
            .fetch_all(pool)
            .await?);
        Ok(rows)
    }

    /// Deletes a registration (and its codes); its user, if it existed.
    pub async fn delete_totp(
        &self,
        project_id: &str,
        totp_id: &str,
    ) -> StoreResult<Option<String>> {
        let user = on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM totp_recovery_codes WHERE project_id = $1 AND totp_id = $2")
                .bind(project_id)
                .bind(totp_id)
                .execute(&mut *tx)
                .await?;
            let user: Option<String> = sqlx::query_scalar(
                "DELETE FROM user_totps WHERE project_id = $1 AND totp_id = $2 RETURNING user_id",
            )
            .bind(project_id)
            .bind(totp_id)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            user
        });
        Ok(user)
    }
}
