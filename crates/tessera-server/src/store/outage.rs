//! Telling an unreachable database (down, restarting, out of connections: answer 503 and let
//! the pool reconnect; retry at start-up) from a statement that failed, and a statement the
//! caller's input failed (text PostgreSQL cannot store) from one that failed on its own.

use super::Store;

/// Whether `e` says the database cannot be reached (down, restarting, out of connections) rather
/// than that a statement failed: such requests answer 503 at once, and the pool reconnects by
/// itself when the database is back.
pub(super) fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // Class 08: connection exceptions; 57P01-03: the server is shutting down or starting;
        // 53300: too many connections.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P0") || c == "53300"),
        _ => false,
    }
}

/// Whether PostgreSQL refused a text value it cannot hold (a NUL character: SQLSTATE 22021),
/// which a client sent: its error, not the server's.
pub(super) fn refused_text(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("22021"))
}

/// The 400 of a value with a NUL character.
pub(super) fn nul_in_text() -> crate::error::Error {
    crate::error::Error::with_message(
        crate::error::ErrorType::InvalidArgument,
        "text values must not contain NUL characters (\\u0000)",
    )
}

/// The 503 of an unreachable database, logged at most once a second (an outage under load
/// would otherwise write a line per request).
pub(super) fn database_unavailable(e: &sqlx::Error) -> crate::error::Error {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST_LOGGED: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if LAST_LOGGED.swap(now, Ordering::Relaxed) != now {
        tracing::warn!(error = %e, "the database is unreachable: answering 503");
    }
    crate::error::Error::new(crate::error::ErrorType::DatabaseUnavailable)
}

/// Marks a failure to connect that may pass (the database is down or starting), as opposed to
/// one that will not (a wrong password, a missing database): see [`Store::retryable`].
#[derive(Debug, thiserror::Error)]
#[error("{inner}")]
pub(super) struct ConnectError {
    pub(super) inner: sqlx::Error,
    pub(super) retry: bool,
}

impl Store {
    /// Whether a failure of [`Store::connect_pooled`] may pass by trying again.
    pub fn retryable(e: &anyhow::Error) -> bool {
        e.chain()
            .any(|c| c.downcast_ref::<ConnectError>().is_some_and(|c| c.retry))
    }
}
