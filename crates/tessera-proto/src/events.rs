use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One event of the event store (a Tessera extension): what changed, by whom and why. Webhook
/// deliveries carry the same object as their `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// `event-…`: unique, the `webhook-id` of its deliveries.
    pub event_id: String,
    /// `session.created`, `session.extended`, `session.revoked`, `user.factor_added`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339).
    pub created_at: String,
    /// The project.
    pub project_id: String,
    /// The user it is about.
    pub user_id: Option<String>,
    /// The session it is about.
    pub session_id: Option<String>,
    /// Who caused it: `user`, `project`, `admin` or `system`; null when the change does not
    /// say (a user or factor changed by whatever path).
    pub actor: Option<String>,
    /// What else there is to say: a revocation's `reason`, an extension's `old_expires_at` and
    /// `new_expires_at`, the changed claims' names, a factor's `type`, a failed login's
    /// `factor`, `reason`, `ip_address` and `user_agent`. Never a secret, token or code.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: Map<String, Value>,
}

/// Answer to `GET /v1/sessions/{session_id}/timeline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionTimelineResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The session.
    pub session_id: String,
    /// Its events, oldest first, up to 1,000 per answer.
    pub events: Vec<Event>,
    /// Send it back as `cursor` for the events after these.
    pub next_cursor: String,
    /// More events are waiting: ask again with `next_cursor`.
    pub has_more: bool,
}

/// Answer to `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// Oldest first.
    pub events: Vec<Event>,
    /// Send it back as `cursor` for the events after these (on the last page too: events
    /// written later come after it). On PostgreSQL an event may become visible after a later
    /// one (transactions commit out of order): to follow a project live, use webhooks.
    pub next_cursor: String,
    /// More events are waiting: ask again with `next_cursor`.
    pub has_more: bool,
}

/// One of the signed-in user's sessions, as `GET /sdk/v1/sessions` lists them (a Tessera
/// extension): a device, readable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// The session.
    pub session_id: String,
    /// This is the session that asked.
    pub current: bool,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it was last used, to the minute (RFC 3339).
    pub last_accessed_at: String,
    /// When it ends (RFC 3339).
    pub expires_at: String,
    /// The browser, say "Chrome 131"; "" when unknown.
    pub browser: String,
    /// The operating system, say "Mac OSX 10.15.7"; "" when unknown.
    pub os: String,
    /// `pc`, `smartphone`, `mobilephone`, `crawler`, `appliance`, `misc` or "" (unknown).
    pub device: String,
    /// The user agent as sent.
    pub user_agent: String,
    /// The IP address it logged in from.
    pub ip_address: String,
    /// The factors proven in it (`type`s such as `magic_link`, `otp`).
    pub factors: Vec<String>,
}

/// Answer to `GET /sdk/v1/sessions` (inside the frontend API's `{"data": …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevicesResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user's live sessions, newest first.
    pub sessions: Vec<Device>,
}

/// Answer to `POST /sdk/v1/sessions/revoke_others`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevokeOthersResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// How many sessions were revoked.
    pub revoked: u64,
}
