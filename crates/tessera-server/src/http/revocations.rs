//! `GET /v1/sessions/revocations`: the revocation feed (a Tessera extension), which local JWT
//! verifiers long-poll to refuse a revoked session's JWTs before they expire.

use std::time::Duration;

use axum::extract::State;
use serde::Deserialize;
use tessera_proto::ErrorResponse;
use tessera_proto::sessions as wire;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ProjectAuth, Query, RequestId};
use crate::error::Result;
use crate::service::sessions::revocations;
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(feed))
}

#[derive(Deserialize, IntoParams)]
struct FeedQuery {
    /// The `cursor` of the previous answer; without it, the revocations of the last six
    /// minutes (every one whose JWTs may still verify).
    cursor: Option<String>,
    /// With a cursor, how long to wait for a revocation when there is none yet (0 to 25, a
    /// longer wait is cut to 25; default 0: answer at once).
    #[param(maximum = 25)]
    timeout_seconds: Option<u64>,
}

/// The project's sessions that ended before their expiry since `cursor` (revoked, logged out,
/// idle, their user deleted), on whichever instance it happened; waits up to `timeout_seconds`
/// for one (long poll).
#[utoipa::path(get, path = "/v1/sessions/revocations", tag = "sessions", params(FeedQuery),
    responses((status = 200, body = wire::SessionRevocationsResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn feed(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Query(q): Query<FeedQuery>,
) -> Result<axum::Json<wire::SessionRevocationsResponse>> {
    let wait = Duration::from_secs(q.timeout_seconds.unwrap_or(0));
    let page = revocations::read(
        app.store(),
        &app.revocations,
        project.project_id.as_str(),
        q.cursor.as_deref(),
        wait,
    )
    .await?;
    Ok(axum::Json(wire::SessionRevocationsResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        revocations: page
            .revocations
            .into_iter()
            .map(|r| wire::SessionRevocation {
                session_id: r.session_id,
                revoked_at: r.revoked_at.to_rfc3339(),
                expires_at: r.expires_at.to_rfc3339(),
            })
            .collect(),
        cursor: page.cursor,
        has_more: page.has_more,
    }))
}
