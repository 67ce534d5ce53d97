//! Domain rules: what may happen and what it means. Services take what they use (the store, the
//! session engine, the delivery port), the time and typed inputs; they know neither HTTP nor SQL.

/// A user's further addresses: attached only once proven, deleted only with recent proof.
pub mod addresses;
/// The admin console's administrators: password and TOTP logins, short sessions.
pub mod admins;
/// Crypto wallets: Ethereum (EIP-191, Sign-In with Ethereum) and Solana signatures.
pub mod crypto_wallets;
/// A user's devices: their sessions, readable, and logging out the others.
pub mod devices;
/// The event store: timelines, event listings, each event's public form.
pub mod events;
/// The factor seam: destinations, locales, finding or attaching a factor, and the session a
/// factor creates or steps up.
pub mod factors;
/// The hosted login page: its visits, the links and codes it sends, and the way back to the app.
pub mod hosted;
/// Impersonation: single-use tokens minted by administrators, fixed 60-minute sessions.
pub mod impersonation;
/// Signing keys: the per-instance cache, generation and rotation.
pub mod keys;
/// Rate limits on what a public page can make the server send.
pub mod limits;
/// Emailed links: redirect URLs and tokens.
pub mod links;
/// Email magic links: send, login_or_create, invite, embeddable links, authenticate.
pub mod magic_links;
/// The master key: found or created, checked against the database, rotated.
pub mod master_key;
/// Security notifications: a factor added or removed, a new sign-in.
pub mod notify;
/// OAuth and OpenID Connect logins, providers per project, and session import.
pub mod oauth;
/// One-time passcodes by SMS, WhatsApp and email.
pub mod otps;
/// Passwords: hashing, strength, imports, resets.
pub mod passwords;
/// Creating projects and checking their secrets.
pub mod projects;
/// Stytch's sandbox values for test projects.
pub mod sandbox;
/// Parsing Stytch's user-search filters into store conditions.
pub mod search;
/// The security event log (target `tessera::security`).
pub mod security_log;
/// The session engine: authenticate, attach factors, list, revoke, the session JWT, and the
/// hot path's caches behind one seam.
pub mod sessions;
/// Authenticator apps (TOTP) and recovery codes.
pub mod totps;
/// Creating, reading, changing and deleting users and their identifying factors.
pub mod users;
/// WebAuthn registrations and logins (passkeys, security keys).
pub mod webauthn;
/// Webhook endpoints and the dispatcher that delivers their outbox, signed.
pub mod webhooks;

/// Whether the database answers (the health check).
pub async fn database_ready(store: &crate::store::Store) -> crate::error::Result<()> {
    Ok(store.ping().await?)
}

/// Deletes what has expired: sessions, links and codes past their end (every query refuses them
/// from that moment anyway), passcode guess windows past [`otps::GUESS_WINDOW_MS`], and signing
/// keys retired more than [`keys::RETIRED_KEY_GRACE_MINUTES`] ago. How many rows went.
pub async fn purge_expired(
    store: &crate::store::Store,
    now: crate::model::Timestamp,
) -> crate::error::Result<u64> {
    use crate::model::Timestamp;
    let keys_before = now.plus_minutes(-keys::RETIRED_KEY_GRACE_MINUTES);
    let guesses_before = Timestamp::from_millis(now.millis() - otps::GUESS_WINDOW_MS);
    Ok(store
        .purge_expired(now, guesses_before, keys_before)
        .await?)
}
