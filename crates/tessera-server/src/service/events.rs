//! The event store as services use it: a session's timeline, a project's events by filter,
//! failed logins and project changes recorded, and each event's public form (the API's and
//! the webhooks').

use serde_json::{Map, Value, json};

use crate::error::{Error, ErrorType, Result};
use crate::model::event::{Actor, Event, EventDraft, EventFilter};
use crate::model::session::FactorKind;
use crate::model::{Project, Timestamp};
use crate::store::Store;

/// Every event type, for webhook subscriptions and the `type` filter.
pub const EVENT_TYPES: &[&str] = &[
    "user.created",
    "user.updated",
    "user.deleted",
    "user.factor_added",
    "user.factor_verified",
    "user.factor_removed",
    "user.login_failed",
    "session.created",
    "session.factor_added",
    "session.factor_reauthenticated",
    "session.extended",
    "session.claims_changed",
    "session.revoked",
    "project.key_rotated",
    "project.secret_created",
    "project.secret_deleted",
];

/// The most events one page gives.
pub const MAX_PAGE: i64 = 1000;
/// A page's size when the caller names none.
pub const DEFAULT_PAGE: i64 = 100;

/// One page of events and the cursor of what comes after it.
#[derive(Debug)]
pub struct Page {
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// Pass back as `cursor` for the events after these.
    pub next_cursor: String,
    /// There are more right now.
    pub has_more: bool,
}

/// Checks event type names: each one known.
pub fn parse_types(list: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for t in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !EVENT_TYPES.contains(&t) {
            return Err(Error::with_message(
                ErrorType::InvalidEventType,
                format!(
                    "unknown event type {t:?}; known: {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        out.push(t.to_owned());
    }
    Ok(out)
}

/// A cursor as the API gives it: the sequence number of the last event of a page.
pub fn parse_cursor(cursor: &str) -> Result<i64> {
    cursor
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| Error::new(ErrorType::InvalidEventCursor))
}

/// A project's events matching `filter`, a page of at most `limit`.
pub async fn list(
    store: &Store,
    project: &Project,
    filter: &EventFilter,
    limit: Option<i64>,
) -> Result<Page> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::with_message(
            ErrorType::InvalidEventLimit,
            format!("limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let mut events = store.events(&project.project_id, filter, limit + 1).await?;
    let has_more = events.len() as i64 > limit;
    events.truncate(limit as usize);
    let last = events.last().map(|e| e.seq).or(filter.after).unwrap_or(0);
    Ok(Page {
        events,
        next_cursor: last.to_string(),
        has_more,
    })
}

/// A session's events after `cursor`, oldest first, a page of at most [`MAX_PAGE`]: live or
/// ended, as long as its events are retained. `session_not_found` when it has none at all.
pub async fn timeline(
    store: &Store,
    project: &Project,
    session_id: &str,
    cursor: Option<&str>,
) -> Result<Page> {
    let filter = EventFilter {
        session_id: Some(session_id.to_owned()),
        after: cursor.map(parse_cursor).transpose()?,
        ..Default::default()
    };
    let page = list(store, project, &filter, Some(MAX_PAGE)).await?;
    if page.events.is_empty() && filter.after.is_none() {
        return Err(Error::new(ErrorType::SessionNotFound));
    }
    Ok(page)
}

/// Records a failed login: the factor, the error answered, the client's IP and user agent.
/// Best effort: a failure to record is logged, never the caller's error.
pub async fn login_failed(
    store: &Store,
    project_id: &str,
    factor: &str,
    reason: &str,
    (ip, user_agent): (&str, &str),
) {
    let e = EventDraft::new("user.login_failed", Actor::User)
        .with("factor", factor)
        .with("reason", reason)
        .with("ip_address", ip)
        .with("user_agent", user_agent);
    record(store, project_id, e).await;
}

/// Records an event that changes nothing else (a key rotated, a secret created), best effort.
pub async fn record(store: &Store, project_id: &str, e: EventDraft) {
    if let Err(err) = store
        .insert_events(project_id, &[e], Timestamp::now())
        .await
    {
        tracing::warn!(error = %err, "an event could not be recorded");
    }
}

/// Deletes events past their project's retention (`default_days` where it sets none) and
/// settled webhook deliveries older than that; how many rows went.
pub async fn purge(store: &Store, now: Timestamp, default_days: i64) -> Result<u64> {
    Ok(store.purge_events(now, default_days).await?)
}

/// An event's `data` as the API and the webhooks show it: stored factor kinds become the
/// wire's `{"type", "delivery_method"}`, stored times RFC 3339.
pub fn public_data(e: &Event) -> Map<String, Value> {
    let mut data = e.data.clone();
    if let Some(Value::Array(kinds)) = data.get_mut("factors") {
        for k in kinds.iter_mut() {
            if let Ok(kind) = serde_json::from_value::<FactorKind>(k.clone()) {
                let (t, d) = kind.wire();
                *k = json!({ "type": t, "delivery_method": d });
            }
        }
    }
    for key in ["expires_at", "old_expires_at", "new_expires_at"] {
        if let Some(ms) = data.get(key).and_then(Value::as_i64) {
            data.insert(
                key.to_owned(),
                Value::from(Timestamp::from_millis(ms).to_rfc3339()),
            );
        }
    }
    data
}

/// An event as the webhooks send it (the API's `Event` object).
pub fn public_form(e: &Event) -> Value {
    json!({
        "event_id": e.event_id,
        "type": e.kind,
        "created_at": e.created_at.to_rfc3339(),
        "project_id": e.project_id,
        "user_id": e.user_id,
        "session_id": e.session_id,
        "actor": e.actor,
        "data": public_data(e),
    })
}
