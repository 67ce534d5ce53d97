//! The revocation feed's rows: sessions that ended before their expiry, stamped by the database
//! (a trigger on `sessions`), read by time with a keyset for pages.

use super::{Pools, Store, StoreResult, on_read};
use crate::model::Timestamp;

/// One session that ended before its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The session.
    pub session_id: String,
    /// When it ended, by the database's clock.
    pub revoked_at: Timestamp,
    /// When it would have expired.
    pub expires_at: Timestamp,
}

/// Where a read of the feed starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedStart {
    /// Every revocation stamped after this moment.
    After(Timestamp),
    /// Every revocation after this one in (time, session id) order: the next page.
    AfterRow(Timestamp, String),
}

const CLOCK_SQLITE: &str = "SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
const CLOCK_POSTGRES: &str = "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT";

impl Store {
    /// The database's clock, the one revocations are stamped with.
    pub async fn clock(&self) -> StoreResult<Timestamp> {
        let ms: i64 = match &self.pools {
            Pools::Sqlite { read, .. } => sqlx::query_scalar(CLOCK_SQLITE).fetch_one(read).await?,
            Pools::Postgres { pool, .. } => {
                sqlx::query_scalar(CLOCK_POSTGRES).fetch_one(pool).await?
            }
        };
        Ok(Timestamp::from_millis(ms))
    }

    /// Whether more than `known` sessions of `project_id` were revoked after `after`.
    pub async fn revoked_after(
        &self,
        project_id: &str,
        after: Timestamp,
        known: u32,
    ) -> StoreResult<bool> {
        let count: i64 = on_read!(self, pool =>
            sqlx::query_scalar(
                "SELECT count(*) FROM (SELECT 1 FROM session_revocations \
                 WHERE project_id = $1 AND revoked_at > $2 LIMIT $3) AS r",
            )
            .bind(project_id)
            .bind(after.millis())
            .bind(i64::from(known) + 1)
            .fetch_one(pool)
            .await?);
        Ok(count > i64::from(known))
    }

    /// Up to `limit` revocations of `project_id` from `start`, oldest first.
    pub async fn revocations(
        &self,
        project_id: &str,
        start: &FeedStart,
        limit: i64,
    ) -> StoreResult<Vec<Revocation>> {
        const COLUMNS: &str = "SELECT session_id, revoked_at, expires_at FROM session_revocations";
        let rows = match start {
            FeedStart::After(at) => on_read!(self, pool =>
                sqlx::query_as::<_, (String, i64, i64)>(&format!(
                    "{COLUMNS} WHERE project_id = $1 AND revoked_at > $2 \
                     ORDER BY revoked_at, session_id LIMIT $3"
                ))
                .bind(project_id)
                .bind(at.millis())
                .bind(limit)
                .fetch_all(pool)
                .await?),
            FeedStart::AfterRow(at, id) => on_read!(self, pool =>
                sqlx::query_as::<_, (String, i64, i64)>(&format!(
                    "{COLUMNS} WHERE project_id = $1 \
                     AND (revoked_at > $2 OR (revoked_at = $2 AND session_id > $3)) \
                     ORDER BY revoked_at, session_id LIMIT $4"
                ))
                .bind(project_id)
                .bind(at.millis())
                .bind(id)
                .bind(limit)
                .fetch_all(pool)
                .await?),
        };
        Ok(rows
            .into_iter()
            .map(|(session_id, revoked_at, expires_at)| Revocation {
                session_id,
                revoked_at: Timestamp::from_millis(revoked_at),
                expires_at: Timestamp::from_millis(expires_at),
            })
            .collect())
    }
}
