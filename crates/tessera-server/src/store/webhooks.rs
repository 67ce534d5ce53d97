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

    /// Claims up to `limit` due deliveries for this instance until `lease_until`: each is
    /// pushed past the lease, so no other dispatcher takes it meanwhile, and comes due again
    /// if this one dies before settling it.
    pub async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryRow>> {
        let rows = on_write!(self, pool, d => {
            let sql = format!(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                 WHERE (endpoint_id, event_seq) IN (SELECT endpoint_id, event_seq \
                 FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $2 \
                 ORDER BY next_attempt_at LIMIT $3{}) RETURNING {DELIVERY_COLUMNS}",
                match d {
                    super::Dialect::Sqlite => "",
                    super::Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
                }
            );
            sqlx::query_as(&sql)
                .bind(lease_until.millis())
                .bind(now.millis())
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Records an attempt's outcome.
    pub async fn settle_delivery(
        &self,
        (endpoint_id, event_seq): (&str, i64),
        attempt: &Attempt,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (state, status, error, next) = match attempt {
            Attempt::Delivered(status) => ("delivered", Some(*status), None, now),
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
                "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, \
                 last_status = $4, last_error = $5, next_attempt_at = $6, \
                 delivered_at = CASE WHEN $3 = 'delivered' THEN $7 ELSE delivered_at END \
                 WHERE endpoint_id = $1 AND event_seq = $2 AND state = 'pending'",
            )
            .bind(endpoint_id)
            .bind(event_seq)
            .bind(state)
            .bind(status.map(i32::from))
            .bind(error)
            .bind(next.millis())
            .bind(now.millis())
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
