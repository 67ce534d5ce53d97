//! The session engine: the store, the signing keys and every per-instance cache of the hot path
//! behind one seam. Everything that reads, writes or invalidates a session goes through it.

use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::crypto::Digest256;
use crate::error::{Error, ErrorType, Result};
use crate::model::event::EndReason;
use crate::model::session::{self, Session};
use crate::model::user::User;
use crate::model::{Project, Timestamp};
use crate::sealing::MasterKey;
use crate::service::keys::KeyRing;
use crate::service::master_key::token_context;
use crate::service::sandbox;
use crate::store::Store;
use crate::store::sessions::TokenAtRest;

/// Session access times written behind, in batches.
pub mod access;
/// Resolving, touching, creating and attaching sessions; `sessions/authenticate`.
mod authenticate;
/// Per-instance caches of the hot path, each with a staleness bound.
pub mod cache;
/// The claims of a session JWT.
pub mod claims;
/// Session JWTs re-signed in the background before they are needed.
pub mod presign;
/// The revocation feed: sessions that ended since a cursor, by long poll.
pub mod revocations;
/// Minting and verifying session JWTs.
mod tokens;

pub use authenticate::{
    AuthenticatedSession, NewSession, TOUCH_GRANULARITY_MS, authenticate, issue_new, plan_new,
    resolve, resolve_with_user, start_or_attach,
};
pub use claims::{Claims, JWT_LIFETIME_SECONDS, SessionClaim, issuer};
pub use tokens::{mint_jwt, verify_jwt};

/// How the answer of `sessions/authenticate` is written. The HTTP side owns the wire format and
/// gives the engine this, so the engine can keep rendered answers without knowing the wire.
pub trait Render: Send + Sync + 'static {
    /// The wire `session` object as JSON.
    fn session(&self, s: &Session, roles: Vec<String>) -> serde_json::Result<Box<RawValue>>;
    /// The wire `user` object as JSON.
    fn user(&self, u: User, now: Timestamp) -> serde_json::Result<Box<RawValue>>;
}

/// The session engine. One per server; cheap to share behind the server's state.
pub struct SessionEngine {
    store: Store,
    keys: KeyRing,
    jwts: Arc<cache::JwtCache>,
    rendered: Arc<cache::RenderCache>,
    verified: cache::VerifiedJwts,
    presigner: presign::Presigner,
    access: Arc<access::AccessLog>,
    render: Box<dyn Render>,
    master: Arc<MasterKey>,
}

impl SessionEngine {
    /// An engine over `store`, trusting cached signing keys for `key_cache_ttl`, rendering
    /// answers with `render`, sealing secrets under `master`; starts the background JWT signer.
    pub fn new(
        store: Store,
        key_cache_ttl: std::time::Duration,
        render: Box<dyn Render>,
        master: Arc<MasterKey>,
    ) -> anyhow::Result<Self> {
        let jwts: Arc<cache::JwtCache> = Arc::default();
        let rendered: Arc<cache::RenderCache> = Arc::default();
        let presigner = presign::Presigner::start(Arc::clone(&jwts), Arc::clone(&rendered))?;
        Ok(SessionEngine {
            store,
            keys: KeyRing::new(key_cache_ttl, Arc::clone(&master)),
            jwts,
            rendered,
            verified: cache::VerifiedJwts::default(),
            presigner,
            access: Arc::default(),
            render,
            master,
        })
    }

    /// The store sessions live in (factor services persist through the same handle).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The signing keys.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The master key secrets are sealed under.
    pub fn master_key(&self) -> &Arc<MasterKey> {
        &self.master
    }

    /// A new session's token as stored: its digest, and the token sealed for this session.
    pub fn token_at_rest(&self, project_id: &str, session_id: &str, token: &str) -> TokenAtRest {
        TokenAtRest {
            digest: Digest256::of(token),
            sealed: Some(
                self.master
                    .seal(&token_context(project_id, session_id), token.as_bytes()),
            ),
        }
    }

    /// The token to hand back for a session named by `loc`: the one given, or, named by JWT,
    /// the stored token unsealed (`""` for a session stored before tokens were sealed, or one
    /// whose sealed token does not open: never an error on the way to an answer).
    pub fn token_for(
        &self,
        project_id: &str,
        session_id: &str,
        loc: &Locator,
        sealed: Option<&[u8]>,
    ) -> String {
        match (loc, sealed) {
            (Locator::Token(t), _) => t.clone(),
            (Locator::Jwt(_), None) => String::new(),
            (Locator::Jwt(_), Some(sealed)) => self
                .master
                .open(&token_context(project_id, session_id), sealed)
                .ok()
                .and_then(|t| String::from_utf8(t).ok())
                .unwrap_or_else(|| {
                    tracing::warn!(session_id, "a sealed session token does not open");
                    String::new()
                }),
        }
    }

    /// The access times waiting to be written (the server runs its writer).
    pub fn access_log(&self) -> &Arc<access::AccessLog> {
        &self.access
    }

    /// Forgets everything this instance keeps about a session: the one place the caches are
    /// invalidated. Correctness never depends on it (every answer re-reads the session and
    /// compares the user's version), it only frees the memory at once.
    pub fn forget_session(&self, project_id: &str, session_id: &str) {
        self.jwts.forget(project_id, session_id);
        self.rendered.forget(session_id);
    }

    /// Forgets this instance's signing keys, so the next request loads the current ones
    /// (after a rotation made through this instance).
    pub fn forget_keys(&self) {
        self.keys.invalidate_all();
    }
}

/// How a caller names an existing session.
#[derive(Debug, Clone)]
pub enum Locator {
    /// By its opaque token.
    Token(String),
    /// By a JWT (possibly past its `exp`).
    Jwt(String),
}

impl Locator {
    /// Exactly one of token and JWT; `None` when neither is given.
    pub fn from_pair(token: Option<String>, jwt: Option<String>) -> Result<Option<Locator>> {
        match (
            token.filter(|t| !t.is_empty()),
            jwt.filter(|j| !j.is_empty()),
        ) {
            (Some(_), Some(_)) => Err(Error::new(ErrorType::TooManySessionArguments)),
            (Some(t), None) => Ok(Some(Locator::Token(t))),
            (None, Some(j)) => Ok(Some(Locator::Jwt(j))),
            (None, None) => Ok(None),
        }
    }
}

/// What a factor-authenticate call asks of sessions.
#[derive(Debug, Clone, Default)]
pub struct SessionRequest {
    /// Attach to this session instead of creating one.
    pub existing: Option<Locator>,
    /// Create (or extend to) this many minutes from now.
    pub duration_minutes: Option<i64>,
    /// Custom claims to merge.
    pub custom_claims: Option<Map<String, Value>>,
}

impl SessionRequest {
    /// Parses the wire parameters; bad values fail before any single-use secret is spent.
    pub fn parse(
        token: Option<String>,
        jwt: Option<String>,
        duration_minutes: Option<i64>,
        custom_claims: Option<Map<String, Value>>,
    ) -> Result<Self> {
        let existing = Locator::from_pair(token, jwt)?;
        let duration_minutes = duration_minutes
            .map(session::parse_duration_minutes)
            .transpose()?;
        if let Some(c) = &custom_claims {
            session::merge_custom_claims(&Map::new(), c.clone())?;
        }
        Ok(SessionRequest {
            existing,
            duration_minutes,
            custom_claims,
        })
    }
}

/// Where a request came from, for a new session's attributes.
#[derive(Debug, Clone, Default)]
pub struct ClientAttributes {
    /// IP address, `""` when unknown.
    pub ip_address: String,
    /// User agent, `""` when unknown.
    pub user_agent: String,
}

/// A session with the credentials to hand to the client.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The session.
    pub session: Session,
    /// Its token; `""` when the caller named the session by JWT (only digests are stored).
    pub token: String,
    /// A fresh JWT.
    pub jwt: String,
    /// Whether the session was created (a sign-in), not stepped up.
    pub created: bool,
}

/// A user's live sessions.
pub async fn list(
    engine: &SessionEngine,
    project: &Project,
    user_id: &str,
    now: Timestamp,
) -> Result<(User, Vec<Session>)> {
    let user = crate::service::users::get(&engine.store, project, user_id).await?;
    let mut sessions = engine
        .store
        .sessions_of_user(&project.project_id, &user.user_id, now)
        .await?;
    let grace = authenticate::idle_grace(project);
    let (now_ms, policy) = (now.millis(), &project.policy);
    sessions.retain(|s| {
        let (started, accessed) = (s.started_at.millis(), s.last_accessed_at.millis());
        !policy.ends(started, accessed, now_ms, grace)
    });
    Ok((user, sessions))
}

/// How `sessions/revoke` names its session.
#[derive(Debug, Clone)]
pub enum RevokeBy {
    /// By id.
    Id(String),
    /// By token or JWT.
    Locator(Locator),
}

/// Revokes a session: it is deleted, so every instance refuses it from the next request on.
/// `reason` goes to the event store and the security log.
pub async fn revoke(
    engine: &SessionEngine,
    project: &Project,
    (by, reason): (RevokeBy, EndReason),
    now: Timestamp,
) -> Result<()> {
    let session_id = match by {
        RevokeBy::Id(id) => id,
        RevokeBy::Locator(loc) => resolve(engine, project, &loc, now).await?.session_id,
    };
    if sandbox::is_sandbox_session(project, &session_id) {
        return Err(Error::new(ErrorType::CannotRevokeSandboxSession));
    }
    engine.forget_session(&project.project_id, &session_id);
    if engine
        .store
        .delete_session(
            &project.project_id,
            &session_id,
            now,
            (reason, reason.actor()),
        )
        .await?
    {
        crate::service::security_log::session_ended(project, &session_id, reason.as_str());
        Ok(())
    } else {
        Err(Error::new(ErrorType::SessionNotFound))
    }
}

/// Revokes every live session of `user_id` but `keep` (a password reset, or the user logging
/// out their other devices); how many.
pub async fn revoke_others(
    engine: &SessionEngine,
    project: &Project,
    (user_id, keep): (&str, Option<&str>),
    reason: EndReason,
    now: Timestamp,
) -> Result<usize> {
    let pid = &project.project_id;
    let mut n = 0;
    for s in engine.store.sessions_of_user(pid, user_id, now).await? {
        if Some(s.session_id.as_str()) == keep
            || sandbox::is_sandbox_session(project, &s.session_id)
        {
            continue;
        }
        engine.forget_session(pid, &s.session_id);
        let end = (reason, reason.actor());
        if engine
            .store
            .delete_session(pid, &s.session_id, now, end)
            .await?
        {
            crate::service::security_log::session_ended(project, &s.session_id, reason.as_str());
            n += 1;
        }
    }
    Ok(n)
}

/// The keys a project's session JWTs are verified with (`project_not_found` for an unknown
/// project).
pub async fn published_keys(
    engine: &SessionEngine,
    project_id: &str,
) -> Result<Vec<Arc<crate::jwt::SigningKey>>> {
    engine
        .store
        .project(project_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::ProjectNotFound))?;
    engine.keys.published(&engine.store, project_id).await
}
