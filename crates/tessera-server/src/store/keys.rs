use super::{Store, StoreResult, on_read, on_write};
use crate::model::Timestamp;

/// A signing key as stored: its private key sealed under the master key (or, from before
/// sealing, PKCS#8 DER in clear), its public components in clear.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredKey {
    /// `jwk-…`.
    pub kid: String,
    /// The sealed private key.
    pub private_key: Vec<u8>,
    /// Modulus, base64url.
    pub n: String,
    /// Exponent, base64url.
    pub e: String,
    /// Epoch ms.
    pub created_at: i64,
    /// Epoch ms.
    pub retired_at: Option<i64>,
}

/// A sealed value of the database, named for re-sealing.
#[derive(Debug, Clone)]
pub enum SealedValue {
    /// A signing key's private key.
    SigningKey {
        /// Its project.
        project_id: String,
        /// Its kid.
        kid: String,
    },
    /// A session's token.
    SessionToken {
        /// Its project.
        project_id: String,
        /// Its session.
        session_id: String,
    },
    /// A webhook endpoint's signing secret.
    WebhookSecret {
        /// Its project.
        project_id: String,
        /// Its endpoint.
        endpoint_id: String,
    },
    /// A TOTP registration's seed.
    TotpSecret {
        /// Its project.
        project_id: String,
        /// Its registration.
        totp_id: String,
    },
    /// A TOTP registration's recovery codes.
    TotpRecoveryCodes {
        /// Its project.
        project_id: String,
        /// Its registration.
        totp_id: String,
    },
    /// An OAuth client secret, flow or provider grant (see `master_key::oauth_context`).
    Oauth {
        /// `client-secret`, `flow` or `grant`.
        what: &'static str,
        /// Its project.
        project_id: String,
        /// The provider, state digest or token digest.
        key: String,
    },
    /// An administrator's TOTP seed.
    AdminTotp {
        /// The administrator.
        admin_id: String,
    },
    /// The master key check value.
    Check,
}

/// Re-seals one sealed column of every row of a table keyed by `(project_id, <id>)`.
macro_rules! reseal_column {
    ($tx:expr, $f:expr, $n:expr, $table:literal, $id:literal, $column:literal, $what:expr) => {{
        let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(concat!(
            "SELECT project_id, ",
            $id,
            ", ",
            $column,
            " FROM ",
            $table,
            " WHERE ",
            $column,
            " IS NOT NULL"
        ))
        .fetch_all(&mut *$tx)
        .await
        .map_err(super::StoreError::from)?;
        for (project_id, id, old) in rows {
            let new = $f(&$what(project_id.clone(), id.clone()), &old)?;
            sqlx::query(concat!(
                "UPDATE ",
                $table,
                " SET ",
                $column,
                " = $3 WHERE project_id = $1 AND ",
                $id,
                " = $2"
            ))
            .bind(project_id)
            .bind(id)
            .bind(new)
            .execute(&mut *$tx)
            .await
            .map_err(super::StoreError::from)?;
            $n += 1;
        }
    }};
}

macro_rules! insert_key {
    ($exec:expr, $project_id:expr, $k:expr) => {
        sqlx::query(
            "INSERT INTO signing_keys (project_id, kid, private_key, n, e, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($project_id)
        .bind(&$k.kid)
        .bind(&$k.private_key)
        .bind(&$k.n)
        .bind(&$k.e)
        .bind($k.created_at)
        .execute($exec)
        .await?
    };
}

impl Store {
    /// Stores the first signing key of a project.
    pub async fn insert_signing_key(&self, project_id: &str, k: &StoredKey) -> StoreResult<()> {
        on_write!(self, pool, _d => { insert_key!(pool, project_id, k); });
        Ok(())
    }

    /// Retires the current key and makes `k` current, in one transaction.
    pub async fn rotate_signing_key(
        &self,
        project_id: &str,
        k: &StoredKey,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE signing_keys SET retired_at = $2 WHERE project_id = $1 AND retired_at IS NULL",
            )
            .bind(project_id)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            insert_key!(&mut *tx, project_id, k);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The current key and every key retired after `retired_after`, newest first.
    pub async fn signing_keys(
        &self,
        project_id: &str,
        retired_after: Timestamp,
    ) -> StoreResult<Vec<StoredKey>> {
        let rows: Vec<StoredKey> = on_read!(self, pool =>
            sqlx::query_as(
                "SELECT kid, private_key, n, e, created_at, retired_at FROM signing_keys \
                 WHERE project_id = $1 AND (retired_at IS NULL OR retired_at > $2) \
                 ORDER BY created_at DESC",
            )
            .bind(project_id)
            .bind(retired_after.millis())
            .fetch_all(pool)
            .await?);
        Ok(rows)
    }

    /// Every signing key's stored private key: (project, kid, bytes).
    pub async fn signing_key_secrets(&self) -> StoreResult<Vec<(String, String, Vec<u8>)>> {
        let rows = on_read!(self, pool =>
            sqlx::query_as("SELECT project_id, kid, private_key FROM signing_keys")
                .fetch_all(pool)
                .await?);
        Ok(rows)
    }

    /// Replaces a stored private key if it is still `old`; whether it was.
    pub async fn replace_signing_key_secret(
        &self,
        project_id: &str,
        kid: &str,
        old: &[u8],
        new: &[u8],
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d =>
            sqlx::query(
                "UPDATE signing_keys SET private_key = $4 WHERE project_id = $1 AND kid = $2 \
                 AND private_key = $3",
            )
            .bind(project_id)
            .bind(kid)
            .bind(old)
            .bind(new)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// The master key check value, once a master key was set.
    pub async fn master_key_check(&self) -> StoreResult<Option<Vec<u8>>> {
        let v = on_read!(self, pool =>
            sqlx::query_scalar("SELECT sealed FROM master_key_check WHERE id = 1")
                .fetch_optional(pool)
                .await?);
        Ok(v)
    }

    /// Sets the master key check value unless one is set (two instances starting at once on a
    /// new database: the first wins, the other then checks its key against it).
    pub async fn init_master_key_check(&self, sealed: &[u8], now: Timestamp) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO master_key_check (id, sealed, created_at) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(sealed)
            .bind(now.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Rewrites every sealed value (and every signing key still in clear) through `f`, in one
    /// transaction: all or nothing. `f` gets what the value is and its stored bytes, and
    /// returns the bytes to store. How many values were rewritten.
    pub async fn reseal<E>(
        &self,
        mut f: impl FnMut(&SealedValue, &[u8]) -> Result<Vec<u8>, E>,
    ) -> Result<u64, E>
    where
        E: From<super::StoreError>,
    {
        let mut n = 0;
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await.map_err(super::StoreError::from)?;
            reseal_column!(tx, f, n, "signing_keys", "kid", "private_key", |project_id, kid| {
                SealedValue::SigningKey { project_id, kid }
            });
            reseal_column!(tx, f, n, "sessions", "session_id", "token_sealed", |project_id, session_id| {
                SealedValue::SessionToken { project_id, session_id }
            });
            reseal_column!(tx, f, n, "webhook_endpoints", "endpoint_id", "secret_sealed", |project_id, endpoint_id| {
                SealedValue::WebhookSecret { project_id, endpoint_id }
            });
            reseal_column!(tx, f, n, "user_totps", "totp_id", "secret_sealed", |project_id, totp_id| {
                SealedValue::TotpSecret { project_id, totp_id }
            });
            reseal_column!(tx, f, n, "user_totps", "totp_id", "recovery_sealed", |project_id, totp_id| {
                SealedValue::TotpRecoveryCodes { project_id, totp_id }
            });
            for (table, id, column, what) in [
                ("oauth_providers", "provider", "secret_sealed", "client-secret"),
                ("oauth_states", "state_digest", "flow_sealed", "flow"),
                ("oauth_tokens", "token_digest", "grant_sealed", "grant"),
            ] {
                let rows: Vec<(String, String, Vec<u8>)> = sqlx::query_as(&format!(
                    "SELECT project_id, {id}, {column} FROM {table}"
                ))
                .fetch_all(&mut *tx)
                .await
                .map_err(super::StoreError::from)?;
                for (project_id, key, old) in rows {
                    let value = SealedValue::Oauth { what, project_id: project_id.clone(), key: key.clone() };
                    let new = f(&value, &old)?;
                    sqlx::query(&format!(
                        "UPDATE {table} SET {column} = $3 WHERE project_id = $1 AND {id} = $2"
                    ))
                    .bind(project_id)
                    .bind(key)
                    .bind(new)
                    .execute(&mut *tx)
                    .await
                    .map_err(super::StoreError::from)?;
                    n += 1;
                }
            }
            let admins: Vec<(String, Vec<u8>)> =
                sqlx::query_as("SELECT admin_id, totp_sealed FROM admins")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(super::StoreError::from)?;
            for (admin_id, old) in admins {
                let new = f(&SealedValue::AdminTotp { admin_id: admin_id.clone() }, &old)?;
                sqlx::query("UPDATE admins SET totp_sealed = $2 WHERE admin_id = $1")
                    .bind(admin_id)
                    .bind(new)
                    .execute(&mut *tx)
                    .await
                    .map_err(super::StoreError::from)?;
                n += 1;
            }
            let check: Option<Vec<u8>> =
                sqlx::query_scalar("SELECT sealed FROM master_key_check WHERE id = 1")
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(super::StoreError::from)?;
            if let Some(old) = check {
                let new = f(&SealedValue::Check, &old)?;
                sqlx::query("UPDATE master_key_check SET sealed = $1 WHERE id = 1")
                    .bind(new)
                    .execute(&mut *tx)
                    .await
                    .map_err(super::StoreError::from)?;
                n += 1;
            }
            tx.commit().await.map_err(super::StoreError::from)?;
        });
        Ok(n)
    }
}
