//! Tallies for the admin console's overview: events of a kind since a moment, live sessions.

use super::{Store, StoreResult, on_read};
use crate::model::Timestamp;

impl Store {
    /// How many events of `kind` the project has written since `since`.
    pub async fn count_events_since(
        &self,
        project_id: &str,
        kind: &str,
        since: Timestamp,
    ) -> StoreResult<i64> {
        Ok(on_read!(self, pool =>
            sqlx::query_scalar(
                "SELECT count(*) FROM events WHERE project_id = $1 AND created_at >= $2 AND type = $3",
            )
            .bind(project_id)
            .bind(since.millis())
            .bind(kind)
            .fetch_one(pool)
            .await?))
    }

    /// How many of the project's sessions have not expired.
    pub async fn count_project_sessions(
        &self,
        project_id: &str,
        now: Timestamp,
    ) -> StoreResult<i64> {
        Ok(on_read!(self, pool =>
            sqlx::query_scalar("SELECT count(*) FROM sessions WHERE project_id = $1 AND expires_at > $2")
                .bind(project_id)
                .bind(now.millis())
                .fetch_one(pool)
                .await?))
    }
}
