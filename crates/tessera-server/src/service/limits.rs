//! Rate limits of the frontend API, where the caller is a public page. What it can make the
//! server send is counted per client IP, per destination and per project; factor
//! authentication attempts per client IP. Counters live in the database (fixed windows, one
//! upsert each), so every instance on one PostgreSQL enforces the same limits. The backend API
//! is never limited per IP (its caller is the app's own server), and `sessions/authenticate`
//! is never limited at all.

use crate::error::{Error, ErrorType, Result};
use crate::model::{Project, Timestamp};
use crate::service::security_log;
use crate::store::Store;

const TEN_MINUTES_MS: i64 = 600_000;
const HOUR_MS: i64 = 3_600_000;

/// Counts one event of `bucket` and refuses it when the window already had `max`.
async fn count(
    store: &Store,
    project: &Project,
    (bucket, max, window_ms): (String, u32, i64),
    what: &str,
    now: Timestamp,
) -> Result<()> {
    let n = store
        .count_event(&project.project_id, &bucket, now, window_ms)
        .await?;
    if n > i64::from(max) {
        let kind = bucket.split(':').next().unwrap_or_default();
        security_log::limit_hit(project, what, kind);
        return Err(Error::with_message(
            ErrorType::TooManyRequests,
            format!(
                "Too many requests for {what}; try again in up to {} minutes.",
                window_ms / 60_000
            ),
        ));
    }
    Ok(())
}

/// Counts a link or code sent to `destination` at the request of `ip`: the client first (a
/// refused client spends nobody else's budget), then the destination, then the project.
pub async fn check_send(
    store: &Store,
    project: &Project,
    destination: &str,
    ip: &str,
    now: Timestamp,
) -> Result<()> {
    let l = project.policy.limits;
    let checks = [
        (
            (format!("send-ip:{ip}"), l.send_per_ip, TEN_MINUTES_MS),
            "this client",
        ),
        (
            (
                format!("send-to:{destination}"),
                l.send_per_destination,
                TEN_MINUTES_MS,
            ),
            "this destination",
        ),
        (
            ("send".to_owned(), l.send_per_project, HOUR_MS),
            "this project",
        ),
    ];
    for (limit, what) in checks {
        count(store, project, limit, what, now).await?;
    }
    Ok(())
}

/// Counts a factor authentication attempt from `ip` (successful or not).
pub async fn check_authenticate(
    store: &Store,
    project: &Project,
    ip: &str,
    now: Timestamp,
) -> Result<()> {
    let limit = (
        format!("auth-ip:{ip}"),
        project.policy.limits.authenticate_per_ip,
        TEN_MINUTES_MS,
    );
    count(store, project, limit, "this client", now).await
}
