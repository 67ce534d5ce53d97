use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Store, StoreResult, on_read, on_write};
use crate::jwt::{GeneratedKey, SigningKey};
use crate::model::Timestamp;

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    private_key: Vec<u8>,
    n: String,
    e: String,
    created_at: i64,
    retired_at: Option<i64>,
}

impl KeyRow {
    fn into_key(self) -> anyhow::Result<SigningKey> {
        let n = URL_SAFE_NO_PAD.decode(&self.n)?;
        let e = URL_SAFE_NO_PAD.decode(&self.e)?;
        SigningKey::from_parts(
            self.kid,
            &self.private_key,
            &n,
            &e,
            Timestamp::from_millis(self.created_at),
            self.retired_at.map(Timestamp::from_millis),
        )
    }
}

macro_rules! insert_key {
    ($exec:expr, $project_id:expr, $g:expr) => {
        sqlx::query(
            "INSERT INTO signing_keys (project_id, kid, private_key, n, e, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($project_id)
        .bind(&$g.key.kid)
        .bind(&$g.pkcs8_der)
        .bind(&$g.key.n)
        .bind(&$g.key.e)
        .bind($g.key.created_at.millis())
        .execute($exec)
        .await?
    };
}

impl Store {
    /// Stores the first signing key of a project.
    pub async fn insert_signing_key(&self, project_id: &str, g: &GeneratedKey) -> StoreResult<()> {
        on_write!(self, pool, _d => { insert_key!(pool, project_id, g); });
        Ok(())
    }

    /// Retires the current key and makes `g` current, in one transaction.
    pub async fn rotate_signing_key(
        &self,
        project_id: &str,
        g: &GeneratedKey,
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
            insert_key!(&mut *tx, project_id, g);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The current key and every key retired after `retired_after`, newest first.
    pub async fn signing_keys(
        &self,
        project_id: &str,
        retired_after: Timestamp,
    ) -> anyhow::Result<Vec<SigningKey>> {
        let rows: Vec<KeyRow> = on_read!(self, pool =>
            sqlx::query_as(
                "SELECT kid, private_key, n, e, created_at, retired_at FROM signing_keys \
                 WHERE project_id = $1 AND (retired_at IS NULL OR retired_at > $2) \
                 ORDER BY created_at DESC",
            )
            .bind(project_id)
            .bind(retired_after.millis())
            .fetch_all(pool)
            .await?);
        rows.into_iter().map(KeyRow::into_key).collect()
    }
}
