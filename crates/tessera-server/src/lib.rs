//! Tessera: a self-hosted consumer authentication server, wire-compatible with Stytch's
//! Consumer API. `main.rs` only parses the command line; everything else is here.
//!
//! Handlers translate (`http`), services decide (`service`), stores persist (`store`).
#![warn(missing_docs)]

/// The local admin channel: a Unix socket beside the SQLite file that admin commands reach a
/// running server through.
pub mod admin;
/// The bindable server: build, local address, run with graceful shutdown.
pub mod app;
/// The `tessera` command line: `serve`, `migrate`, `project create|list`, `keys rotate`,
/// `master-key rotate`.
pub mod cli;
/// Configuration from flags, `TESSERA_*` environment variables and an optional TOML file.
pub mod config;
/// Token generation, hashing and constant-time comparison.
pub mod crypto;
/// Email over SMTP, SMS and WhatsApp over a webhook, or the log in development.
pub mod delivery;
/// The server's one error type.
pub mod error;
/// Fuzzing entry points over the server's parsing of untrusted input (see `fuzz/`).
#[doc(hidden)]
pub mod fuzzing;
/// Routes, extractors and the Stytch error envelope (the only module importing axum).
pub mod http;
/// RS256 signing keys and compact JWTs (ring for signing and verification).
pub mod jwt;
/// Validated domain types.
pub mod model;
/// Secrets at rest: AES-256-GCM under the master key kept outside the database.
pub mod sealing;
/// Domain rules over the store.
pub mod service;
/// What handlers can reach.
pub mod state;
/// Persistence on SQLite or PostgreSQL (the only module importing sqlx).
pub mod store;

pub use app::Server;
pub use config::Config;
