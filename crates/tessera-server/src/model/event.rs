//! Events: what changed in a project, by whom and why, as the event store keeps them.

use serde_json::{Map, Value};

use super::Timestamp;

/// Who caused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The user the change is about (through the frontend API, or a factor they proved).
    User,
    /// The project's backend, with its secret.
    Project,
    /// An operator, through the CLI or the admin console.
    Admin,
    /// Tessera itself (a policy ending a session, a purge).
    System,
}

impl Actor {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::Project => "project",
            Actor::Admin => "admin",
            Actor::System => "system",
        }
    }
}

/// Why a session ended before its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// Its user logged out.
    Logout,
    /// The backend revoked it (`sessions/revoke`).
    RevokedByApi,
    /// Its user logged out their other sessions.
    RevokedByUser,
    /// A password reset ended the user's other sessions.
    PasswordReset,
    /// Unused past the project's idle timeout.
    IdleTimeout,
    /// Past the project's maximum lifetime.
    LifetimeReached,
}

impl EndReason {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::RevokedByApi => "revoked_by_api",
            EndReason::RevokedByUser => "revoked_by_user",
            EndReason::PasswordReset => "password_reset",
            EndReason::IdleTimeout => "idle_timeout",
            EndReason::LifetimeReached => "lifetime_reached",
        }
    }

    /// Who ends a session for this reason.
    pub const fn actor(self) -> Actor {
        match self {
            EndReason::Logout | EndReason::RevokedByUser | EndReason::PasswordReset => Actor::User,
            EndReason::RevokedByApi => Actor::Project,
            EndReason::IdleTimeout | EndReason::LifetimeReached => Actor::System,
        }
    }
}

/// An event about to be written with the change it describes.
#[derive(Debug, Clone)]
pub struct EventDraft {
    /// `session.extended`, `user.login_failed`, …
    pub kind: &'static str,
    /// The user it is about.
    pub user_id: Option<String>,
    /// The session it is about.
    pub session_id: Option<String>,
    /// Who caused it.
    pub actor: Option<Actor>,
    /// What else there is to say (never a secret, token, code or address).
    pub data: Map<String, Value>,
}

impl EventDraft {
    /// An event of `kind` caused by `actor`, about no user or session yet (a key, a secret; or
    /// one whose user and session are filled in later).
    pub fn new(kind: &'static str, actor: Actor) -> Self {
        EventDraft {
            kind,
            user_id: None,
            session_id: None,
            actor: Some(actor),
            data: Map::new(),
        }
    }

    /// Adds a field to `data`.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.data.insert(key.to_owned(), value.into());
        self
    }
}

/// A stored event.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its place in the project's order (a page cursor).
    pub seq: i64,
    /// `event-…`, unique: the `webhook-id` of its deliveries.
    pub event_id: String,
    /// The project.
    pub project_id: String,
    /// When it was written.
    pub created_at: Timestamp,
    /// Its type.
    pub kind: String,
    /// The user it is about.
    pub user_id: Option<String>,
    /// The session it is about.
    pub session_id: Option<String>,
    /// Who caused it, when known.
    pub actor: Option<String>,
    /// The rest.
    pub data: Map<String, Value>,
}

/// Which events a listing returns.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Of this user.
    pub user_id: Option<String>,
    /// Of this session.
    pub session_id: Option<String>,
    /// Of this type (or of these types, comma-separated).
    pub kinds: Vec<String>,
    /// Written at or after this time.
    pub since: Option<Timestamp>,
    /// After this sequence number (the page cursor).
    pub after: Option<i64>,
}
