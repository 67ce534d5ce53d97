//! `GET /sdk/v1/sessions` and `POST /sdk/v1/sessions/revoke_others` (Tessera extensions): the
//! signed-in user's devices, and logging out all but this one.

use axum::extract::State;
use tessera_proto::events as wire;

use super::Data;
use super::extract::Caller;
use crate::error::Result;
use crate::http::extract::RequestId;
use crate::model::Timestamp;
use crate::service::devices;
use crate::state::AppState;

/// Access times are shown to the minute: a device list is no activity log.
const MINUTE_MS: i64 = 60_000;

/// Lists the signed-in user's live sessions, newest first, each with its device and browser.
pub(super) async fn list(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Data<wire::DevicesResponse>> {
    let loc = caller.session()?;
    let now = Timestamp::now();
    let (current, all) = devices::list(&app.sessions, &caller.project, &loc, now).await?;
    let sessions = all
        .into_iter()
        .map(|s| {
            let d = devices::describe(&s.user_agent);
            let seen = s.last_accessed_at.millis() / MINUTE_MS * MINUTE_MS;
            let mut factors: Vec<String> = s
                .factors
                .iter()
                .map(|f| f.kind.wire().0.to_owned())
                .collect();
            factors.dedup();
            wire::Device {
                current: s.session_id == current,
                session_id: s.session_id,
                started_at: s.started_at.to_rfc3339(),
                last_accessed_at: Timestamp::from_millis(seen).to_rfc3339(),
                expires_at: s.expires_at.to_rfc3339(),
                browser: d.browser,
                os: d.os,
                device: d.device,
                user_agent: s.user_agent,
                ip_address: s.ip_address,
                factors,
            }
        })
        .collect();
    Ok(Data(wire::DevicesResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        sessions,
    }))
}

/// Logs out every other session of the signed-in user (reason `revoked_by_user`).
pub(super) async fn revoke_others(
    request_id: RequestId,
    State(app): State<AppState>,
    caller: Caller,
) -> Result<Data<wire::RevokeOthersResponse>> {
    let loc = caller.session()?;
    let n = devices::revoke_others(&app.sessions, &caller.project, &loc, Timestamp::now()).await?;
    Ok(Data(wire::RevokeOthersResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        revoked: n as u64,
    }))
}
