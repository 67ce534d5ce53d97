//! `GET /v1/sessions/{session_id}/timeline` and `GET /v1/events` (Tessera extensions): what
//! happened to a session, and a project's events by filter.

use axum::extract::State;
use serde::Deserialize;
use tessera_proto::ErrorResponse;
use tessera_proto::events as wire;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Path, ProjectAuth, Query, RequestId};
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::event::{Event, EventFilter};
use crate::service::events;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(timeline))
        .routes(routes!(list))
}

/// An event on the wire.
pub(crate) fn event(e: &Event) -> wire::Event {
    wire::Event {
        event_id: e.event_id.clone(),
        kind: e.kind.clone(),
        created_at: e.created_at.to_rfc3339(),
        project_id: e.project_id.clone(),
        user_id: e.user_id.clone(),
        session_id: e.session_id.clone(),
        actor: e.actor.clone(),
        data: events::public_data(e),
    }
}

/// A session's whole story, oldest first: created (with its factors), factors added,
/// extensions (old and new expiry), claim changes, and its end (reason and actor). Ended
/// sessions too, while their events are retained.
#[utoipa::path(get, path = "/v1/sessions/{session_id}/timeline", tag = "sessions",
    params(("session_id" = String, Path, description = "The session"), TimelineQuery),
    responses((status = 200, body = wire::SessionTimelineResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn timeline(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(session_id): Path<String>,
    Query(q): Query<TimelineQuery>,
) -> Result<axum::Json<wire::SessionTimelineResponse>> {
    let page = events::timeline(app.store(), &project, &session_id, q.cursor.as_deref()).await?;
    Ok(axum::Json(wire::SessionTimelineResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        session_id,
        events: page.events.iter().map(event).collect(),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }))
}

#[derive(Deserialize, IntoParams)]
struct TimelineQuery {
    /// The `next_cursor` of the previous answer (a session with more than 1,000 events).
    cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
struct ListQuery {
    /// Only this user's events.
    user_id: Option<String>,
    /// Only these types, comma-separated (say `session.revoked,user.login_failed`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// Only events at or after this time (RFC 3339).
    since: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Events per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// A project's events, oldest first, by user, type and time, a page at a time.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(ListQuery),
    responses((status = 200, body = wire::EventsResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn list(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<wire::EventsResponse>> {
    let since = match q.since.as_deref() {
        Some(s) => Some(
            Timestamp::parse_rfc3339(s).ok_or_else(|| Error::new(ErrorType::InvalidEventSince))?,
        ),
        None => None,
    };
    let filter = EventFilter {
        user_id: q.user_id.filter(|u| !u.is_empty()),
        session_id: None,
        kinds: events::parse_types(q.kind.as_deref().unwrap_or(""))?,
        since,
        after: q.cursor.as_deref().map(events::parse_cursor).transpose()?,
    };
    let page = events::list(app.store(), &project, &filter, q.limit).await?;
    Ok(axum::Json(wire::EventsResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        events: page.events.iter().map(event).collect(),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }))
}
