//! Counters in fixed windows in the database (rate limits, passcode guesses), so that every
//! instance on one PostgreSQL counts in the same rows.

use super::{Store, StoreResult, on_read, on_write};
use crate::model::Timestamp;

impl Store {
    /// Counts one event of `bucket` in the fixed window of `window_ms` that contains `now` (a
    /// window older than that starts over); how many events the window now has. One statement,
    /// so concurrent requests on several instances all count.
    pub async fn count_event(
        &self,
        project_id: &str,
        bucket: &str,
        now: Timestamp,
        window_ms: i64,
    ) -> StoreResult<i64> {
        let n: i64 = on_write!(self, pool, _d =>
            sqlx::query_scalar(
                "INSERT INTO rate_counters (project_id, bucket, window_start, hits) \
                 VALUES ($1, $2, $3, 1) ON CONFLICT (project_id, bucket) DO UPDATE SET \
                 hits = CASE WHEN rate_counters.window_start <= $4 THEN 1 \
                 ELSE rate_counters.hits + 1 END, \
                 window_start = CASE WHEN rate_counters.window_start <= $4 THEN $3 \
                 ELSE rate_counters.window_start END \
                 RETURNING hits",
            )
            .bind(project_id)
            .bind(bucket)
            .bind(now.millis())
            .bind(now.millis() - window_ms)
            .fetch_one(pool)
            .await?);
        Ok(n)
    }

    /// How many events `bucket` has in its current window (see [`Store::count_event`]).
    pub async fn events_in_window(
        &self,
        project_id: &str,
        bucket: &str,
        now: Timestamp,
        window_ms: i64,
    ) -> StoreResult<i64> {
        let n: Option<i64> = on_read!(self, pool =>
            sqlx::query_scalar(
                "SELECT hits FROM rate_counters WHERE project_id = $1 AND bucket = $2 \
                 AND window_start > $3",
            )
            .bind(project_id)
            .bind(bucket)
            .bind(now.millis() - window_ms)
            .fetch_optional(pool)
            .await?);
        Ok(n.unwrap_or(0))
    }
}
