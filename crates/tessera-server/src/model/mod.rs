//! Domain types: parsed, validated values that services work with. Nothing here knows HTTP or SQL.

/// Events of the event store: types, actors, reasons.
pub mod event;
/// Test/live environments and Stytch-style prefixed identifiers.
pub mod ids;
/// OAuth providers by Stytch's names, with their presets.
pub mod oauth;
/// Projects and their credentials.
pub mod project;
/// Sessions and the authentication factors proven in them.
pub mod session;
/// Millisecond UTC timestamps and their RFC 3339 form.
pub mod time;
/// Users, their emails and phone numbers, metadata and the parsers for each.
pub mod user;

pub use ids::Environment;
pub use project::Project;
pub use time::Timestamp;
