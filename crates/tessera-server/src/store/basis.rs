//! What a session is found by, and the small row an answer to `sessions/authenticate` is made
//! of: shared by the session store and the PostgreSQL read coalescer.

use crate::crypto::Digest256;

/// Everything an answer to `sessions/authenticate` is made of, as stored: the session row and
/// its user's version (bumped by triggers on any change to the user, its emails or phone
/// numbers). Two equal bases give the same answer, bar the JWT, so a rendering of the answer
/// can be reused after a read of this small row instead of the whole user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionBasis {
    /// Session id.
    pub session_id: String,
    /// Its user.
    pub user_id: String,
    /// Epoch ms.
    pub started_at: i64,
    /// Epoch ms.
    pub last_accessed_at: i64,
    /// Epoch ms.
    pub expires_at: i64,
    /// As stored.
    pub ip_address: String,
    /// As stored.
    pub user_agent: String,
    /// The stored JSON text.
    pub factors: String,
    /// The stored JSON text.
    pub custom_claims: String,
    /// The user's version.
    pub user_version: i64,
    /// The end of the user's lock, if any: a lock makes the answer depend on the time.
    pub user_lock_expires_at: Option<i64>,
    /// The session token sealed under the master key (`None` for sessions from before sealing).
    pub token_sealed: Option<Vec<u8>>,
}

/// A new session's token as stored: its digest (what finds the session) and the token sealed
/// under the master key (what lets the server hand it back).
#[derive(Debug, Clone)]
pub struct TokenAtRest {
    /// SHA-256 of the token.
    pub digest: Digest256,
    /// The token sealed; `None` for the sandbox session, whose token is public anyway.
    pub sealed: Option<Vec<u8>>,
}

/// Which column finds the session.
#[derive(Debug, Clone, Copy)]
pub enum SessionKey<'a> {
    /// The digest of its token.
    Token(Digest256),
    /// Its id.
    Id(&'a str),
}
