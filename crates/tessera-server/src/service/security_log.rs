//! The security event log: one structured line (target `tessera::security`, level info) per
//! login success or failure, factor added or removed, session ended (with its reason), key or
//! secret created or deleted, and rate limit hit. Each names the project and, where there is
//! one, the user, session and client IP; never a secret, token, code or address. The events
//! that have a Prometheus counter count it here too.

use crate::model::Project;

/// The log target of every line.
pub const TARGET: &str = "tessera::security";

/// A factor authentication that succeeded (`factor`: `magic_link`, `otp`, …), with the
/// session it created or stepped up (and whether it created it).
pub fn login_succeeded(
    project: &Project,
    factor: &str,
    user_id: &str,
    session: Option<(&str, bool)>,
    ip: &str,
) {
    tracing::info!(
        target: TARGET,
        event = "login_succeeded",
        project_id = %project.project_id,
        factor,
        user_id,
        session_id = session.map_or("", |s| s.0),
        new_session = session.is_some_and(|s| s.1),
        ip,
    );
}

/// A factor authentication that failed, with the error type it answered.
pub fn login_failed(project: &Project, factor: &str, reason: &str, ip: &str) {
    tracing::info!(
        target: TARGET,
        event = "login_failed",
        project_id = %project.project_id,
        factor,
        reason,
        ip,
    );
}

/// A factor authentication that failed before its project was known to the caller (an OAuth
/// callback finds it from the flow).
pub fn login_failed_for(project_id: &str, factor: &str, reason: &str) {
    tracing::info!(
        target: TARGET,
        event = "login_failed",
        project_id,
        factor,
        reason,
    );
}

/// Why a signature-based factor (WebAuthn, a crypto wallet) was refused, beside the
/// `login_failed` event its handler logs: the verifier's reason (a cloned authenticator's
/// counter, a foreign origin, another challenge), which the error type sent to the caller
/// does not tell.
pub fn proof_refused(project: &Project, factor: &str, reason: &str) {
    tracing::info!(
        target: TARGET,
        event = "proof_refused",
        project_id = %project.project_id,
        factor,
        reason,
    );
}

/// An impersonation token minted (`event` "impersonation_minted") or used
/// ("impersonation_started"), with who and why.
pub fn impersonation(
    project: &Project,
    event: &'static str,
    user_id: &str,
    impersonator: &str,
    reason: &str,
) {
    tracing::info!(
        target: TARGET,
        event,
        project_id = %project.project_id,
        user_id,
        impersonator,
        reason,
    );
}

/// An email or phone number added to a user (`method_id`: its id, never the address).
pub fn factor_added(project: &Project, user_id: &str, method_id: &str) {
    tracing::info!(
        target: TARGET,
        event = "factor_added",
        project_id = %project.project_id,
        user_id,
        method_id,
    );
}

/// An email or phone number removed from a user, by whom (`user` through the frontend API,
/// `project` through the backend API).
pub fn factor_removed(project: &Project, user_id: &str, method_id: &str, by: &str) {
    tracing::info!(
        target: TARGET,
        event = "factor_removed",
        project_id = %project.project_id,
        user_id,
        method_id,
        by,
    );
}

/// A session ended before its time: `reason` is `revoked` (by the API), `logout` (by its
/// user), `idle_timeout` or `lifetime_reached`.
pub fn session_ended(project: &Project, session_id: &str, reason: &str) {
    metrics::counter!("tessera_sessions_revoked_total", "reason" => reason.to_owned()).increment(1);
    tracing::info!(
        target: TARGET,
        event = "session_ended",
        project_id = %project.project_id,
        session_id,
        reason,
    );
}

/// A signing key, project secret or master key created, rotated or deleted (`what`), named by
/// its public id.
pub fn credential_changed(project_id: &str, what: &str, id: &str) {
    tracing::info!(target: TARGET, event = what, project_id, id);
}

/// A rate limit refused a request.
pub fn limit_hit(project: &Project, limit: &str, bucket_kind: &str) {
    metrics::counter!("tessera_limit_hits_total", "limit" => limit.to_owned()).increment(1);
    tracing::info!(
        target: TARGET,
        event = "limit_hit",
        project_id = %project.project_id,
        limit,
        bucket = bucket_kind,
    );
}

/// An administrator's login to the admin console: `ok`, or refused for `reason`.
pub fn admin_login(email: &str, ok: bool, reason: &str, ip: &str) {
    tracing::info!(target: TARGET, event = "admin_login", admin = email, ok, reason, ip);
}

/// An administrator did something in the admin console (`action`, on `target`: a project,
/// user, session or endpoint id; `detail` is an impersonation's reason, else empty).
pub fn admin_action(email: &str, action: &str, project_id: &str, target: &str, detail: &str) {
    tracing::info!(
        target: TARGET,
        event = "admin_action",
        admin = email,
        action,
        project_id,
        target,
        detail,
    );
}
