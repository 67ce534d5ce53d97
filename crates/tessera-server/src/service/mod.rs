//! Domain rules: what may happen and what it means. Services take the store, the time and typed
//! inputs; they know neither HTTP nor SQL.

/// Creating projects and checking their secrets.
pub mod projects;
/// Parsing Stytch's user-search filters into store conditions.
pub mod search;
/// Creating, reading, changing and deleting users and their identifying factors.
pub mod users;
