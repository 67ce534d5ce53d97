//! Tessera's integration tests: one binary (link time is paid once). Each test boots the real
//! server on port 0 and drives it through `tessera-client` or raw HTTP; every test that touches
//! storage runs on SQLite and on PostgreSQL (see `harness::both_backends!`).

mod delivery;
mod harness;

mod admin_console;
mod browser;
mod chaos;
mod cli;
mod cluster;
mod cookie_sessions;
mod crypto_wallets;
mod errors;
mod events;
mod frontend;
mod frontend_credentials;
mod fuzz_corpus;
mod headless_credentials;
mod hosted;
/// Architecture rules read from `src` (layers, import cycles, file size, docs); no server.
mod layout;
/// Rate limits of the frontend API, shared by instances.
mod limits;
/// Live projects never deliver to the log; texts only to a signed webhook.
mod live_delivery;
mod magic_links;
/// Secrets at rest under the master key; wrong key; rotation.
mod master_key;
/// OAuth and OpenID Connect against a real provider; sessions/migrate; impersonation.
mod oauth;
/// The real OpenID provider and login driver the OAuth tests use.
mod oidc;
mod openapi;
mod otps;
mod passwords;
/// TLS to PostgreSQL with verify-full against a test CA.
mod pg_tls;
mod prebuilt_ui;
/// Deleting a factor needs recent authentication; factor changes are told.
mod recent_auth;
mod revocations;
mod rust_sdk;
mod schemathesis;
mod sdk;
/// Several secrets per project; a deleted one fails at once.
mod secrets;
/// The security event log.
mod security_log;
/// Idle timeout and maximum lifetime per project (real time: about 75 s).
mod session_policy;
mod sessions;
mod soft_authenticator;
/// Pre-account takeover through sends for attachment.
mod takeover;
mod tessera_browser;
mod tls;
mod topology;
mod totps;
mod users;
/// Every table of a session answer bumps the user version (the render cache's invariant).
mod version;
mod webauthn;
