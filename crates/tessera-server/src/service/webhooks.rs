//! Webhooks: endpoints per project, and the dispatcher that delivers the outbox the event
//! trigger fills, signed per Standard Webhooks, retried with exponential backoff for a day.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde::Serialize;
use serde_json::json;

use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::sealing::MasterKey;
use crate::service::events;
use crate::service::master_key::webhook_secret_context;
use crate::store::Store;
use crate::store::webhooks::{Attempt, DeliveryRow, EndpointRow};

/// Retries stop this long after the event.
pub const RETRY_HORIZON_MS: i64 = 24 * 60 * 60 * 1000;
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed delivery is this instance's before another may take it.
const LEASE_MS: i64 = 60_000;
/// The most deliveries in flight per instance.
const IN_FLIGHT: usize = 32;
/// The most deliveries in flight per instance to one endpoint.
pub const PER_ENDPOINT: usize = 4;
/// How often the dispatcher looks for due deliveries.
const POLL: Duration = Duration::from_millis(200);

/// An endpoint as the CLI lists it (never its secret).
#[derive(Debug, Serialize)]
pub struct Listed {
    /// `webhook-…`.
    pub endpoint_id: String,
    /// Where events go.
    pub url: String,
    /// `*` or the event types it receives.
    pub events: Vec<String>,
    /// When it was added.
    pub created_at: String,
}

fn listed(e: &EndpointRow) -> Listed {
    Listed {
        endpoint_id: e.endpoint_id.clone(),
        url: e.url.clone(),
        events: e.event_types.split(',').map(str::to_owned).collect(),
        created_at: Timestamp::from_millis(e.created_at).to_rfc3339(),
    }
}

/// Adds an endpoint receiving `event_types` (`*`, or names from [`EVENT_TYPES`]); answers it
/// with its signing secret (`whsec_…`), shown this once.
pub async fn add(
    (store, master): (&Store, &MasterKey),
    project_id: &str,
    url: &str,
    event_types: &[String],
) -> Result<(Listed, String)> {
    store
        .project(project_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::ProjectNotFound))?;
    let parsed = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            Error::with_message(
                ErrorType::InvalidArgument,
                "a webhook URL must be an http:// or https:// URL",
            )
        })?;
    let types = if event_types.is_empty() || event_types.iter().any(|t| t == "*") {
        "*".to_owned()
    } else {
        events::parse_types(&event_types.join(","))?.join(",")
    };
    let endpoint_id = format!("webhook-{}", uuid::Uuid::new_v4().simple());
    let key: [u8; 32] = rand::random();
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    );
    let row = EndpointRow {
        secret_sealed: master.seal(
            &webhook_secret_context(project_id, &endpoint_id),
            secret.as_bytes(),
        ),
        endpoint_id,
        project_id: project_id.to_owned(),
        url: parsed.to_string(),
        event_types: types,
        created_at: Timestamp::now().millis(),
    };
    store.insert_webhook(&row).await?;
    Ok((listed(&row), secret))
}

/// A project's endpoints.
pub async fn list(store: &Store, project_id: &str) -> Result<Vec<Listed>> {
    Ok(store
        .webhooks(project_id)
        .await?
        .iter()
        .map(listed)
        .collect())
}

/// Deletes an endpoint: nothing more is sent to it.
pub async fn delete(store: &Store, project_id: &str, endpoint_id: &str) -> Result<()> {
    if store.delete_webhook(project_id, endpoint_id).await? {
        Ok(())
    } else {
        Err(Error::with_message(
            ErrorType::InvalidArgument,
            "no such webhook endpoint",
        ))
    }
}

/// An endpoint's recent deliveries, newest first.
pub async fn log(
    store: &Store,
    project_id: &str,
    endpoint_id: &str,
) -> Result<Vec<serde_json::Value>> {
    match store.webhook(endpoint_id).await? {
        Some(e) if e.project_id == project_id => {}
        _ => {
            return Err(Error::with_message(
                ErrorType::InvalidArgument,
                "no such webhook endpoint",
            ));
        }
    }
    let at = |ms: i64| Timestamp::from_millis(ms).to_rfc3339();
    Ok(store
        .deliveries(endpoint_id, 100)
        .await?
        .into_iter()
        .map(|d| {
            json!({
                "event_seq": d.event_seq,
                "state": d.state,
                "attempts": d.attempts,
                "last_status": d.last_status,
                "last_error": d.last_error,
                "created_at": at(d.created_at),
                "delivered_at": d.delivered_at.map(at),
                "next_attempt_at": (d.state == "pending").then(|| at(d.next_attempt_at)),
            })
        })
        .collect())
}

/// When a delivery that failed `attempts` times (this one included) is tried again: `base`
/// doubled per failure, at most 720 times `base` (an hour for the default 5 s), with ±10 %
/// jitter; none past the day after the event.
pub fn next_attempt(created_at: i64, attempts: i32, base: Duration, now: i64) -> Option<i64> {
    let base = i64::try_from(base.as_millis()).unwrap_or(i64::MAX).max(1);
    let shift = attempts.clamp(1, 30) - 1;
    let delay = base
        .saturating_mul(1 << shift)
        .min(base.saturating_mul(720));
    let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), -delay / 10..=delay / 10);
    let horizon = created_at.saturating_add(RETRY_HORIZON_MS);
    (now < horizon).then(|| {
        now.saturating_add(delay)
            .saturating_add(jitter)
            .min(horizon)
    })
}

/// Delivers the outbox: claims due deliveries, posts each signed, records the outcome.
pub struct Dispatcher {
    store: Store,
    master: Arc<MasterKey>,
    http: reqwest::Client,
    base: Duration,
}

impl Dispatcher {
    /// A dispatcher whose first retry waits `base`.
    pub fn new(store: Store, master: Arc<MasterKey>, base: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tessera-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a default HTTP client builds");
        Dispatcher {
            store,
            master,
            http,
            base,
        }
    }

    /// Runs until `stop` resolves, then waits for the deliveries in flight (at most one
    /// attempt's timeout) so that none is sent twice for a restart. Each endpoint has at most
    /// [`PER_ENDPOINT`] deliveries in flight here, so a slow one cannot hold every slot. A
    /// delivery claimed by an instance that dies comes due again when its lease ends: each
    /// event reaches each endpoint at least once.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        let me = Arc::new(self);
        let mut flying = tokio::task::JoinSet::new();
        let busy: Arc<parking_lot::Mutex<HashMap<String, usize>>> = Arc::default();
        tokio::pin!(stop);
        loop {
            while flying.try_join_next().is_some() {}
            let room = IN_FLIGHT.saturating_sub(flying.len());
            let mut claimed = 0;
            let now = Timestamp::now();
            if room > 0 && me.store.deliveries_due(now).await.unwrap_or(false) {
                let full: Vec<String> = busy
                    .lock()
                    .iter()
                    .filter(|(_, n)| **n >= PER_ENDPOINT)
                    .map(|(e, _)| e.clone())
                    .collect();
                let lease = Timestamp::from_millis(now.millis() + LEASE_MS);
                match me
                    .store
                    .claim_deliveries(now, lease, (room as i64, &full))
                    .await
                {
                    Ok(due) => {
                        claimed = due.len();
                        for d in due {
                            let slot = {
                                let mut b = busy.lock();
                                let n = b.entry(d.endpoint_id.clone()).or_default();
                                *n += 1;
                                *n <= PER_ENDPOINT
                            };
                            let (me, busy) = (Arc::clone(&me), Arc::clone(&busy));
                            flying.spawn(async move {
                                if slot {
                                    me.deliver(&d).await;
                                } else {
                                    me.defer(&d).await;
                                }
                                let mut b = busy.lock();
                                if let Some(n) = b.get_mut(&d.endpoint_id) {
                                    *n -= 1;
                                    if *n == 0 {
                                        b.remove(&d.endpoint_id);
                                    }
                                }
                            });
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "webhook outbox unreadable"),
                }
            }
            if claimed < room || room == 0 {
                tokio::select! {
                    () = tokio::time::sleep(POLL) => {}
                    () = &mut stop => break,
                }
            }
        }
        let drained = tokio::time::timeout(ATTEMPT_TIMEOUT + Duration::from_secs(1), async {
            while flying.join_next().await.is_some() {}
        });
        if drained.await.is_err() {
            tracing::warn!("webhook deliveries still in flight at shutdown: they will be retried");
        }
    }

    /// Gives back a delivery claimed beyond its endpoint's share: due again in a second, no
    /// attempt counted.
    async fn defer(&self, d: &DeliveryRow) {
        let now = Timestamp::now();
        let again = Attempt::Deferred(Timestamp::from_millis(now.millis() + 1000));
        if let Err(e) = self.store.settle_delivery(d, &again, now).await {
            tracing::debug!(error = %e, "a webhook delivery could not be deferred");
        }
    }

    async fn deliver(&self, d: &DeliveryRow) {
        let outcome = self.attempt(d).await;
        let now = Timestamp::now();
        let attempt = match outcome {
            Ok(status) => {
                metrics::counter!("tessera_webhook_deliveries_total", "outcome" => "delivered")
                    .increment(1);
                Attempt::Delivered(status)
            }
            Err((status, error)) => {
                let retry_at = next_attempt(d.created_at, d.attempts + 1, self.base, now.millis());
                let outcome = if retry_at.is_some() {
                    "retry"
                } else {
                    "failed"
                };
                metrics::counter!("tessera_webhook_deliveries_total", "outcome" => outcome)
                    .increment(1);
                tracing::debug!(endpoint = %d.endpoint_id, %error, "webhook delivery failed");
                Attempt::Failed {
                    status,
                    error,
                    retry_at: retry_at.map(Timestamp::from_millis),
                }
            }
        };
        if let Err(e) = self.store.settle_delivery(d, &attempt, now).await {
            // Unsettled, it comes due again when its lease ends.
            tracing::warn!(error = %e, "a webhook delivery could not be recorded");
        }
    }

    /// One attempt: the HTTP status of a 2xx answer, or what went wrong.
    async fn attempt(&self, d: &DeliveryRow) -> std::result::Result<u16, (Option<u16>, String)> {
        let fail = |e: String| (None, e);
        let endpoint = self
            .store
            .webhook(&d.endpoint_id)
            .await
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail("endpoint deleted".into()))?;
        let event = self
            .store
            .event_by_seq(d.event_seq)
            .await
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail("event no longer retained".into()))?;
        let secret = self
            .master
            .open(
                &webhook_secret_context(&endpoint.project_id, &endpoint.endpoint_id),
                &endpoint.secret_sealed,
            )
            .map_err(|_| fail("the endpoint's secret cannot be opened".into()))?;
        let secret = String::from_utf8(secret).map_err(|_| fail("bad secret".into()))?;
        let signer =
            standardwebhooks::Webhook::new(&secret).map_err(|e| fail(format!("secret: {e}")))?;
        let body = serde_json::to_vec(&json!({
            "type": event.kind,
            "timestamp": event.created_at.to_rfc3339(),
            "data": events::public_form(&event),
        }))
        .map_err(|e| fail(e.to_string()))?;
        let ts = Timestamp::now().millis().div_euclid(1000);
        let signature = signer
            .sign(&event.event_id, ts, &body)
            .map_err(|e| fail(format!("signing: {e}")))?;
        let res = self
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &event.event_id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| fail(without_url(&e)))?;
        let status = res.status().as_u16();
        if res.status().is_success() {
            Ok(status)
        } else {
            Err((Some(status), format!("HTTP {status}")))
        }
    }
}

/// A transport error without the URL (it may carry credentials in its query).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_a_cap_and_stop_after_a_day() {
        let base = Duration::from_secs(5);
        let delay = |n| next_attempt(0, n, base, 0).unwrap();
        assert!((4_500..=5_500).contains(&delay(1)), "{}", delay(1));
        assert!((9_000..=11_000).contains(&delay(2)));
        assert!(
            (3_240_000..=3_960_000).contains(&delay(30)),
            "an hour at most"
        );
        let day = RETRY_HORIZON_MS;
        assert_eq!(next_attempt(0, 3, base, day), None);
        assert_eq!(
            next_attempt(0, 20, base, day - 10),
            Some(day),
            "the last try at the day"
        );
        let huge = next_attempt(0, 30, Duration::from_secs(u64::MAX / 4), 0);
        assert_eq!(huge, Some(day), "no overflow");
    }
}
