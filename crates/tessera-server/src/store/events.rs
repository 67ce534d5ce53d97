//! The event store: writing events (alone, or in the transaction of their change), reading a
//! project's events by filter, and purging them after their retention.

use serde_json::{Map, Value};

use super::{Store, StoreError, StoreResult, on_read, on_write};
use crate::model::Timestamp;
use crate::model::event::{Event, EventDraft, EventFilter};

/// A new event id: `event-` and 32 hex digits, the form the database's triggers write too.
pub(super) fn new_event_id() -> String {
    format!("event-{}", uuid::Uuid::new_v4().simple())
}

/// The INSERT of one event, bound and ready to execute on a pool or in a transaction of either
/// backend.
macro_rules! insert_event_query {
    ($project_id:expr, $e:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, \
             actor, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($crate::store::events::new_event_id())
        .bind($project_id)
        .bind($now.millis())
        .bind($e.kind)
        .bind($e.user_id.as_deref())
        .bind($e.session_id.as_deref())
        .bind($e.actor.map(|a| a.as_str()))
        .bind($crate::store::sessions::json(&$e.data))
    };
}
pub(super) use insert_event_query;

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    event_id: String,
    project_id: String,
    created_at: i64,
    #[sqlx(rename = "type")]
    kind: String,
    user_id: Option<String>,
    session_id: Option<String>,
    actor: Option<String>,
    data: String,
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;

    fn try_from(r: EventRow) -> StoreResult<Self> {
        Ok(Event {
            seq: r.seq,
            event_id: r.event_id,
            project_id: r.project_id,
            created_at: Timestamp::from_millis(r.created_at),
            kind: r.kind,
            user_id: r.user_id,
            session_id: r.session_id,
            actor: r.actor,
            data: serde_json::from_str::<Map<String, Value>>(&r.data)
                .map_err(|_| StoreError::Corrupt("event data"))?,
        })
    }
}

const EVENT_COLUMNS: &str =
    "seq, event_id, project_id, created_at, type, user_id, session_id, actor, data";

impl Store {
    /// Writes events that change nothing else (a failed login, a key rotated).
    pub async fn insert_events(
        &self,
        project_id: &str,
        events: &[EventDraft],
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            for e in events {
                insert_event_query!(project_id, e, now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A project's events matching `filter`, in order, at most `limit`.
    pub async fn events(
        &self,
        project_id: &str,
        filter: &EventFilter,
        limit: i64,
    ) -> StoreResult<Vec<Event>> {
        // Each condition is bound whether or not it is set, so the statement text is fixed.
        let kinds = filter.kinds.join(",");
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE project_id = $1 \
             AND ($2 IS NULL OR user_id = $2) AND ($3 IS NULL OR session_id = $3) \
             AND ($4 = '' OR {kind_match}) AND created_at >= $5 AND seq > $6 \
             ORDER BY seq LIMIT $7",
            kind_match = "position(',' || type || ',' IN ',' || $4 || ',') > 0",
        );
        let rows: Vec<EventRow> = on_read!(self, pool, d => {
            let sql = match d {
                super::Dialect::Sqlite => sql.replace(
                    "position(',' || type || ',' IN ',' || $4 || ',') > 0",
                    "instr(',' || $4 || ',', ',' || type || ',') > 0",
                ),
                super::Dialect::Postgres => sql
                    .replace("$2 IS NULL", "$2::text IS NULL")
                    .replace("$3 IS NULL", "$3::text IS NULL")
                    .replace("$4 = ''", "$4::text = ''"),
            };
            sqlx::query_as(&sql)
                .bind(project_id)
                .bind(filter.user_id.as_deref())
                .bind(filter.session_id.as_deref())
                .bind(&kinds)
                .bind(filter.since.map_or(0, Timestamp::millis))
                .bind(filter.after.unwrap_or(0))
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(Event::try_from).collect()
    }

    /// The event with this sequence number (the dispatcher's payload).
    pub async fn event_by_seq(&self, seq: i64) -> StoreResult<Option<Event>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE seq = $1");
        let row: Option<EventRow> =
            on_read!(self, pool => sqlx::query_as(&sql).bind(seq).fetch_optional(pool).await?);
        row.map(Event::try_from).transpose()
    }

    /// Deletes events past their project's retention (`default_days` for a project that sets
    /// none), project by project in small batches; how many went.
    pub async fn purge_events(&self, now: Timestamp, default_days: i64) -> StoreResult<u64> {
        const BATCH: i64 = 500;
        const DAY_MS: i64 = 24 * 60 * 60 * 1000;
        let projects: Vec<(String, Option<i64>)> = on_read!(self, pool =>
            sqlx::query_as("SELECT project_id, event_retention_days FROM projects")
                .fetch_all(pool).await?);
        let mut total = 0;
        for (project_id, days) in projects {
            // Two days at least: the webhook outbox retries an event for up to a day.
            let days = days.unwrap_or(default_days).clamp(2, 3660);
            let cutoff = now.millis() - days * DAY_MS;
            loop {
                let n = on_write!(self, pool, _d =>
                    sqlx::query(
                        "DELETE FROM events WHERE seq IN (SELECT seq FROM events \
                         WHERE project_id = $1 AND created_at <= $2 LIMIT $3)",
                    )
                    .bind(&project_id)
                    .bind(cutoff)
                    .bind(BATCH)
                    .execute(pool)
                    .await?
                    .rows_affected());
                total += n;
                if n < BATCH as u64 {
                    break;
                }
                tokio::task::yield_now().await;
            }
            total += on_write!(self, pool, _d =>
                sqlx::query(
                    "DELETE FROM webhook_deliveries WHERE project_id = $1 \
                     AND state <> 'pending' AND created_at <= $2",
                )
                .bind(&project_id)
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected());
        }
        Ok(total)
    }
}
