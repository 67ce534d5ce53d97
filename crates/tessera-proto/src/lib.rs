//! Wire types of Tessera's Stytch-compatible consumer API.
//!
//! These structs are the JSON the server emits and the clients parse. They carry no behaviour and
//! depend on nothing but serde, so that the server, the Rust client and any tooling agree on one
//! definition. Field names, nesting and optionality follow Stytch's official SDKs (see
//! `COMPATIBILITY.md` at the repository root for every deliberate deviation).
#![warn(missing_docs)]

/// Objects and parameters shared by several products (attributes, names).
pub mod common;
/// Crypto wallets: Ethereum (with Sign-In with Ethereum) and Solana.
pub mod crypto_wallets;
/// The error envelope and the catalogue of `error_type` strings.
pub mod error;
/// The event store (a Tessera extension): session timelines, event listings, devices.
pub mod events;
/// Email magic links.
pub mod magic_links;
/// OAuth logins, attach, impersonation and session import.
pub mod oauth;
/// One-time passcodes by SMS, WhatsApp and email.
pub mod otps;
/// Passwords: create, authenticate, strength, migrate, the three resets.
pub mod passwords;
/// The frontend API (`/sdk/v1`): the `{"data": …}` envelope and the browser SDK's bodies.
pub mod sdk;
/// Sessions, authentication factors, the JWKS.
pub mod sessions;
/// Authenticator apps (TOTP) and their recovery codes.
pub mod totps;
/// The User object and the `/v1/users` endpoints.
pub mod users;
/// WebAuthn registrations and logins (passkeys).
pub mod webauthn;

pub use error::{ErrorResponse, ErrorType};
