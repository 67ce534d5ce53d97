//! Webhook endpoints and their outbox: the deliveries the event trigger queues, claimed by the
//! dispatcher of any instance and settled with each attempt's outcome (the delivery log).

use super::{Store, StoreResult, on_read, on_write};
use crate::model::Timestamp;

/// A webhook endpoint, its secret still sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    /// `webhook-…`.
    pub endpoint_id: String,
    /// Its project.
    pub project_id: String,
    /// Where events are posted.
    pub url: String,
    /// `*` or comma-separated event types.
    pub event_types: String,
    /// The signing secret, sealed with the master key.
    pub secret_sealed: Vec<u8>,
    /// When it was added (epoch ms).
    pub created_at: i64,
}

/// One (endpoint, event) of the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    /// The endpoint.
    pub endpoint_id: String,
    /// The event.
    pub event_seq: i64,
    /// When the event was written (epoch ms): retries stop a day after it.
    pub created_at: i64,
    /// Attempts made so far.
    pub attempts: i32,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// The HTTP status of the last attempt, if it got one.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered (epoch ms).
    pub delivered_at: Option<i64>,
    /// When it is next due (epoch ms).
    pub next_attempt_at: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// Not made: the endpoint had enough in flight here; due again at this time.
    Deferred(Timestamp),
    /// A 2xx answer.
    Delivered(u16),
    /// Anything else; retried at `retry_at`, or given up when `None`.
    Failed {
        /// The status, when the endpoint answered.
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// The next attempt, or none.
        retry_at: Option<Timestamp>,
    },
}

const DELIVERY_COLUMNS: &str = "endpoint_id, event_seq, created_at, attempts, state, last_status, \
    last_error, delivered_at, next_attempt_at";

impl Store {
    /// Adds an endpoint.
    pub async fn insert_webhook(&self, e: &EndpointRow) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO webhook_endpoints (endpoint_id, project_id, url, event_types, \
                 secret_sealed, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&e.endpoint_id)
            .bind(&e.project_id)
            .bind(&e.url)
            .bind(&e.event_types)
            .bind(&e.secret_sealed)
            .bind(e.created_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A project's endpoints, oldest first.
    pub async fn webhooks(&self, project_id: &str) -> StoreResult<Vec<EndpointRow>> {
        Ok(on_read!(self, pool =>
            sqlx::query_as(
                "SELECT endpoint_id, project_id, url, event_types, secret_sealed, created_at \
                 FROM webhook_endpoints WHERE project_id = $1 ORDER BY created_at, endpoint_id",
            )
            .bind(project_id)
            .fetch_all(pool)
            .await?))
    }

    /// The endpoint with this id.
    pub async fn webhook(&self, endpoint_id: &str) -> StoreResult<Option<EndpointRow>> {
        Ok(on_read!(self, pool =>
            sqlx::query_as(
                "SELECT endpoint_id, project_id, url, event_types, secret_sealed, created_at \
                 FROM webhook_endpoints WHERE endpoint_id = $1",
            )
            .bind(endpoint_id)
            .fetch_optional(pool)
            .await?))
    }

    /// Deletes an endpoint of a project, with its outbox; whether there was one.
    pub async fn delete_webhook(&self, project_id: &str, endpoint_id: &str) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d =>
            sqlx::query("DELETE FROM webhook_endpoints WHERE project_id = $1 AND endpoint_id = $2")
                .bind(project_id)
                .bind(endpoint_id)
                .execute(pool)
                .await?
                .rows_affected());
        Ok(n == 1)
    }

    /// Whether any delivery is due: a read, so that an idle outbox never takes SQLite's one
    /// writer.
    pub async fn deliveries_due(&self, now: Timestamp) -> StoreResult<bool> {
        let due: Option<i32> = on_read!(self, pool =>
            sqlx::query_scalar(
                "SELECT 1 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
                 LIMIT 1",
            )
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(due.is_some())
    }

    /// Claims up to `limit` due deliveries for this instance until `lease_until`, none of an
    /// endpoint in `skip` (those this instance already has enough of in flight): each is pushed
    /// past the lease, so no other dispatcher takes it meanwhile, and comes due again if this
    /// one dies before settling it.
    pub async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        (limit, skip): (i64, &[String]),
    ) -> StoreResult<Vec<DeliveryRow>> {
        let skip = super::sessions::json(&skip);
        let rows = on_write!(self, pool, d => {
            let (not_skipped, lock) = match d {
                super::Dialect::Sqlite => (
                    "endpoint_id NOT IN (SELECT value FROM json_each($4))",
                    "",
                ),
                super::Dialect::Postgres => (
                    "endpoint_id NOT IN (SELECT json_array_elements_text($4::json))",
                    " FOR UPDATE SKIP LOCKED",
                ),
            };
            let sql = format!(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                 WHERE (endpoint_id, event_seq) IN (SELECT endpoint_id, event_seq \
                 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $2 \
                 AND {not_skipped} ORDER BY next_attempt_at LIMIT $3{lock}) \
                 RETURNING {DELIVERY_COLUMNS}"
            );
            sqlx::query_as(&sql)
                .bind(lease_until.millis())
                .bind(now.millis())
                .bind(limit)
                .bind(&skip)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Records an attempt's outcome, if the delivery is still this claim's (`claimed_until`,
    /// the lease it was claimed with): after a lease ran out and another instance claimed it,
    /// a late outcome changes nothing.
    pub async fn settle_delivery(
        &self,
        d: &DeliveryRow,
        attempt: &Attempt,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (state, status, error, next) = match attempt {
            Attempt::Delivered(status) => ("delivered", Some(*status), None, now),
            Attempt::Deferred(at) => ("pending", None, None, *at),
            Attempt::Failed {
                status,
                error,
                retry_at,
            } => match retry_at {
                Some(at) => ("pending", *status, Some(error.as_str()), *at),
                None => ("failed", *status, Some(error.as_str()), now),
            },
        };
        on_write!(self, pool, _d => {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $3, \
                 attempts = attempts + CASE WHEN $9 THEN 1 ELSE 0 END, \
                 last_status = $4, last_error = $5, next_attempt_at = $6, \
                 delivered_at = CASE WHEN $3 = 'delivered' THEN $7 ELSE delivered_at END \
                 WHERE endpoint_id = $1 AND event_seq = $2 AND state = 'pending' \
                 AND next_attempt_at = $8",
            )
            .bind(&d.endpoint_id)
            .bind(d.event_seq)
            .bind(state)
            .bind(status.map(i32::from))
            .bind(error)
            .bind(next.millis())
            .bind(now.millis())
            .bind(d.next_attempt_at)
            .bind(!matches!(attempt, Attempt::Deferred(_)))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// An endpoint's deliveries, newest first: its delivery log.
    pub async fn deliveries(&self, endpoint_id: &str, limit: i64) -> StoreResult<Vec<DeliveryRow>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
             ORDER BY created_at DESC, event_seq DESC LIMIT $2"
        );
        Ok(on_read!(self, pool =>
            sqlx::query_as(&sql).bind(endpoint_id).bind(limit).fetch_all(pool).await?))
    }
}
