//! `client.events()`: the project's event store (a Tessera extension), and
//! [`verify_webhook`], which checks a webhook delivery's Standard Webhooks signature.

use reqwest::Method;
use tessera_proto::events::{Event, EventsResponse};

use crate::{Client, ClientError};

/// Which events [`Events::list`] returns; every field optional.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// Only this user's events.
    pub user_id: Option<String>,
    /// Only these types (say `session.revoked`).
    pub types: Vec<String>,
    /// Only events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Events per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
}

/// `GET /v1/events`.
pub struct Events<'a> {
    pub(crate) client: &'a Client,
}

impl Events<'_> {
    /// One page of the project's events, oldest first.
    pub async fn list(&self, q: &EventQuery) -> Result<EventsResponse, ClientError> {
        let types = q.types.join(",");
        let limit = q.limit.map(|l| l.to_string());
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(u) = &q.user_id {
            query.push(("user_id", u));
        }
        if !types.is_empty() {
            query.push(("type", &types));
        }
        if let Some(s) = &q.since {
            query.push(("since", s));
        }
        if let Some(c) = &q.cursor {
            query.push(("cursor", c));
        }
        if let Some(l) = &limit {
            query.push(("limit", l));
        }
        self.client
            .call_query(Method::GET, &["v1", "events"], &query)
            .await
    }

    /// Every event matching `q` from its cursor on, following `next_cursor` to the end.
    pub async fn all(&self, q: &EventQuery) -> Result<Vec<Event>, ClientError> {
        let mut q = q.clone();
        let mut out = Vec::new();
        loop {
            let page = self.list(&q).await?;
            out.extend(page.events);
            if !page.has_more {
                return Ok(out);
            }
            q.cursor = Some(page.next_cursor);
        }
    }
}

/// Why a webhook delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The secret is not a `whsec_…` value.
    #[error("the webhook secret is malformed")]
    BadSecret,
    /// A header is missing, the timestamp is more than 5 minutes off, or the signature does
    /// not match.
    #[error("the webhook signature does not verify: {0}")]
    Invalid(String),
    /// It verified, but its body is not an event.
    #[error("the webhook body is not an event: {0}")]
    Body(String),
}

/// A verified webhook delivery: `{"type", "timestamp", "data"}`, where `data` is the event.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct WebhookDelivery {
    /// The event's type.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339).
    pub timestamp: String,
    /// The event.
    pub data: Event,
}

/// Checks a delivery's `webhook-id`, `webhook-timestamp` and `webhook-signature` headers
/// against the endpoint's secret (`whsec_…`, from `tessera project webhook add`) per Standard
/// Webhooks, refusing a timestamp more than 5 minutes away, and parses the body. Deliveries
/// are at least once: deduplicate by `webhook-id` (the event id).
pub fn verify_webhook(
    secret: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<WebhookDelivery, WebhookError> {
    let hook = standardwebhooks::Webhook::new(secret).map_err(|_| WebhookError::BadSecret)?;
    hook.verify(body, headers)
        .map_err(|e| WebhookError::Invalid(e.to_string()))?;
    serde_json::from_slice(body).map_err(|e| WebhookError::Body(e.to_string()))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    use super::*;

    /// Signs as the Standard Webhooks specification says, with ring's HMAC (not the library
    /// the verifier uses): `v1,` and base64 of HMAC-SHA256(key, "{id}.{timestamp}.{body}").
    fn headers(secret_key: &[u8], id: &str, ts: i64, body: &[u8]) -> http::HeaderMap {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret_key);
        let mut msg = format!("{id}.{ts}.").into_bytes();
        msg.extend_from_slice(body);
        let sig = STANDARD.encode(ring::hmac::sign(&key, &msg).as_ref());
        let mut h = http::HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", format!("v1,{sig}").parse().unwrap());
        h
    }

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    }

    #[test]
    fn deliveries_verify_and_tampering_does_not() {
        let key = [7u8; 32];
        let secret = format!("whsec_{}", STANDARD.encode(key));
        let body = br#"{"type":"session.revoked","timestamp":"2026-12-01T00:00:00Z","data":{"event_id":"event-1","type":"session.revoked","created_at":"2026-12-01T00:00:00Z","project_id":"project-test-1","user_id":"user-test-1","session_id":"session-test-1","actor":"project","data":{"reason":"revoked_by_api"}}}"#;
        let ok = verify_webhook(&secret, &headers(&key, "event-1", now(), body), body).unwrap();
        assert_eq!(ok.kind, "session.revoked");
        assert_eq!(ok.data.data["reason"], "revoked_by_api");

        let mut tampered = body.to_vec();
        tampered[10] ^= 1;
        let h = headers(&key, "event-1", now(), body);
        assert!(matches!(
            verify_webhook(&secret, &h, &tampered),
            Err(WebhookError::Invalid(_))
        ));
        let stale = headers(&key, "event-1", now() - 600, body);
        assert!(verify_webhook(&secret, &stale, body).is_err(), "too old");
        let other = headers(&[8u8; 32], "event-1", now(), body);
        assert!(
            verify_webhook(&secret, &other, body).is_err(),
            "another key"
        );
        let wrong_id = headers(&key, "event-2", now(), body);
        let mut h = wrong_id.clone();
        h.insert("webhook-id", "event-1".parse().unwrap());
        assert!(
            verify_webhook(&secret, &h, body).is_err(),
            "signed for another id"
        );
        assert!(matches!(
            verify_webhook("whsec_!!", &h, body),
            Err(WebhookError::BadSecret)
        ));
        let not_event = b"{}";
        let h = headers(&key, "event-1", now(), not_event);
        assert!(matches!(
            verify_webhook(&secret, &h, not_event),
            Err(WebhookError::Body(_))
        ));
    }
}
