//! Domain rules: what may happen and what it means. Services take the store, the time and typed
//! inputs; they know neither HTTP nor SQL.

/// Session access times written behind, in batches.
pub mod access;
/// Per-instance caches of the hot path, each with a staleness bound.
pub mod cache;
/// Signing keys: the per-instance cache, generation and rotation.
pub mod keys;
/// Rate limits on what a public page can make the server send.
pub mod limits;
/// Email magic links: send, login_or_create, invite, embeddable links, authenticate.
pub mod magic_links;
/// One-time passcodes by SMS, WhatsApp and email.
pub mod otps;
/// Session JWTs re-signed in the background before they are needed.
pub mod presign;
/// Creating projects and checking their secrets.
pub mod projects;
/// Stytch's sandbox values for test projects.
pub mod sandbox;
/// Parsing Stytch's user-search filters into store conditions.
pub mod search;
/// Sessions: authenticate, attach factors, list, revoke, and the session JWT.
pub mod sessions;
/// Creating, reading, changing and deleting users and their identifying factors.
pub mod users;
