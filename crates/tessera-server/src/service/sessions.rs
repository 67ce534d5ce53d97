use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_proto::sessions::AuthenticationFactor;

use crate::crypto::{self, Digest256};
use crate::error::{Error, ErrorType, Result};
use crate::jwt::UnverifiedJwt;
use crate::model::ids::IdKind;
use crate::model::session::{self, AuthFactor, Session};
use crate::model::user::User;
use crate::model::{Project, Timestamp};
use std::sync::Arc;

use crate::service::cache::fingerprint;
use crate::service::sandbox;
use crate::state::AppState;
use crate::store::sessions::SessionKey;
use crate::wire;

/// Lifetime of a session JWT.
pub const JWT_LIFETIME_SECONDS: i64 = 300;

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
}

/// The `https://stytch.com/session` claim.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionClaim {
    /// Session id.
    pub id: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub last_accessed_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// IP and user agent.
    pub attributes: tessera_proto::sessions::SessionAttributes,
    /// Factors, without `created_at`/`updated_at`.
    pub authentication_factors: Vec<AuthenticationFactor>,
    /// The user's roles.
    pub roles: Vec<String>,
}

/// The claims of a session JWT.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// `[project_id]`.
    pub aud: Vec<String>,
    /// Expiry (seconds).
    pub exp: i64,
    /// Issued at (seconds).
    pub iat: i64,
    /// `stytch.com/{project_id}`.
    pub iss: String,
    /// = `iat`.
    pub nbf: i64,
    /// The user id.
    pub sub: String,
    /// The session.
    #[serde(rename = "https://stytch.com/session")]
    pub session: SessionClaim,
    /// Custom claims, at the top level.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// The issuer of a project's JWTs.
pub fn issuer(project_id: &str) -> String {
    format!("stytch.com/{project_id}")
}

/// A 5-minute JWT for `session` (never past the session's own expiry). A JWT minted for the
/// same claim content less than [`JWT_REUSE_SECONDS`](crate::service::cache::JWT_REUSE_SECONDS)
/// ago is handed out again instead of
/// signing a new one, so `iat` inside a JWT is at most that stale, and `last_accessed_at` at
/// most that plus the write-behind bound (2 minutes in all).
pub async fn mint_jwt(
    app: &AppState,
    project: &Project,
    s: &Session,
    roles: Vec<String>,
    now: Timestamp,
) -> Result<String> {
    let now_s = now.millis().div_euclid(1000);
    let mut claims = Claims {
        aud: vec![project.project_id.clone()],
        exp: 0,
        iat: 0,
        iss: issuer(&project.project_id),
        nbf: 0,
        sub: s.user_id.clone(),
        session: SessionClaim {
            id: s.session_id.clone(),
            started_at: s.started_at.to_rfc3339(),
            last_accessed_at: s.last_accessed_at.to_rfc3339(),
            expires_at: s.expires_at.to_rfc3339(),
            attributes: tessera_proto::sessions::SessionAttributes {
                ip_address: s.ip_address.clone(),
                user_agent: s.user_agent.clone(),
            },
            authentication_factors: s.factors.iter().map(|f| wire::factor(f, true)).collect(),
            roles,
        },
        custom: s.custom_claims.clone(),
    };
    // `last_accessed_at` is left out of the comparison: a write-behind that only records the
    // access does not cost a new signature. A reused JWT's `last_accessed_at` is then at most
    // the reuse window behind the stored one, itself at most the write-behind bound behind.
    let last_accessed = std::mem::take(&mut claims.session.last_accessed_at);
    let fp = fingerprint(&serde_json::to_vec(&claims).map_err(anyhow::Error::from)?);
    claims.session.last_accessed_at = last_accessed;
    let key = app
        .keys
        .signing_key(&app.store, &project.project_id)
        .await?;
    if let Some(jwt) = app
        .jwts
        .get(&project.project_id, &s.session_id, &key.kid, fp, now_s)
    {
        return Ok(jwt.to_string());
    }
    claims.iat = now_s;
    claims.nbf = now_s;
    claims.exp = (now_s + JWT_LIFETIME_SECONDS)
        .min(s.expires_at.millis().div_euclid(1000))
        .max(now_s + 1);
    let (iat, exp) = (claims.iat, claims.exp);
    // ~0.85 ms of CPU: off the async workers, so requests queued behind it are not stalled.
    let signer = Arc::clone(&key);
    let jwt = tokio::task::spawn_blocking(move || signer.sign(&claims))
        .await
        .map_err(anyhow::Error::from)??;
    app.jwts.put(
        &project.project_id,
        &s.session_id,
        &key.kid,
        fp,
        iat,
        exp,
        Arc::from(jwt.as_str()),
    );
    Ok(jwt)
}

/// Verifies a JWT's signature against the project's published keys, and its audience and
/// issuer. Expiry is not checked: a JWT past `exp` still names its session.
pub async fn verify_jwt(app: &AppState, project: &Project, jwt: &str) -> Result<Claims> {
    let bad = || Error::new(ErrorType::UnableToParseSessionJwt);
    let parsed = UnverifiedJwt::parse(jwt).ok_or_else(bad)?;
    let key = app
        .keys
        .verification_key(&app.store, &project.project_id, &parsed.kid)
        .await?
        .ok_or_else(bad)?;
    let claims: Claims = parsed.verify_with(&key).ok_or_else(bad)?;
    if !claims.aud.iter().any(|a| a == &project.project_id)
        || claims.iss != issuer(&project.project_id)
    {
        return Err(bad());
    }
    Ok(claims)
}

fn not_found() -> Error {
    Error::new(ErrorType::SessionNotFound)
}

/// The live session a locator names, with its user, in one read.
pub async fn resolve_with_user(
    app: &AppState,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<(Session, User)> {
    let pid = &project.project_id;
    match loc {
        Locator::Token(t) => {
            let key = SessionKey::Token(Digest256::of(t));
            match app.store.session_with_user(pid, key, now).await? {
                Some(found) => Ok(found),
                None if sandbox::is_sandbox_session_token(project, t) => {
                    sandbox::ensure(&app.store, project).await?;
                    app.store
                        .session_with_user(pid, key, now)
                        .await?
                        .ok_or_else(not_found)
                }
                None => Err(not_found()),
            }
        }
        Locator::Jwt(j) => {
            let claims = verify_jwt(app, project, j).await?;
            let (s, user) = app
                .store
                .session_with_user(pid, SessionKey::Id(&claims.session.id), now)
                .await?
                .ok_or_else(not_found)?;
            if s.user_id != claims.sub {
                return Err(not_found());
            }
            Ok((s, user))
        }
    }
}

/// The live session a locator names.
pub async fn resolve(
    app: &AppState,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<Session> {
    resolve_with_user(app, project, loc, now)
        .await
        .map(|(s, _)| s)
}

/// How stale `last_accessed_at` and an extended `expires_at` may be. An authenticate that
/// changes nothing else writes at most once per this interval per session, so a busy session
/// costs one read per request, not a write; revocation is unaffected (it is the read that
/// fails).
pub const TOUCH_GRANULARITY_MS: i64 = 60_000;

/// What an authenticate call changes in a session.
struct Change {
    duration_minutes: Option<i64>,
    custom_claims: Option<Map<String, Value>>,
    factor: Option<AuthFactor>,
}

/// Applies a change to a session, persists it when it matters (see
/// [`TOUCH_GRANULARITY_MS`]) and mints a JWT.
async fn touch(
    app: &AppState,
    project: &Project,
    (mut s, user): (Session, User),
    token: String,
    change: Change,
    now: Timestamp,
) -> Result<(Issued, User)> {
    // A random bound between half and all of the granularity, so sessions written together
    // (after a restart, a bulk extension) spread out instead of coming due together again.
    let bound = rand::Rng::gen_range(
        &mut rand::thread_rng(),
        TOUCH_GRANULARITY_MS / 2..=TOUCH_GRANULARITY_MS,
    );
    let mut dirty = now.millis() - s.last_accessed_at.millis() >= bound;
    if let Some(f) = change.factor {
        s.add_factor(f);
        dirty = true;
    }
    if let Some(m) = change.duration_minutes {
        let expires = now.plus_minutes(m);
        if (expires.millis() - s.expires_at.millis()).abs() >= bound {
            s.expires_at = expires;
            dirty = true;
        }
    }
    if let Some(c) = change.custom_claims {
        let merged = session::merge_custom_claims(&s.custom_claims, c)?;
        if merged != s.custom_claims {
            s.custom_claims = merged;
            dirty = true;
        }
    }
    if dirty {
        s.last_accessed_at = now;
        if !app
            .store
            .update_session(&project.project_id, &s, now)
            .await?
        {
            return Err(not_found());
        }
    }
    let jwt = mint_jwt(app, project, &s, user.effective_roles(), now).await?;
    Ok((
        Issued {
            session: s,
            token,
            jwt,
        },
        user,
    ))
}

/// `sessions/authenticate`: checks the session, optionally extends it and merges claims,
/// records the access and returns a fresh JWT.
pub async fn authenticate(
    app: &AppState,
    project: &Project,
    loc: Locator,
    duration_minutes: Option<i64>,
    custom_claims: Option<Map<String, Value>>,
    now: Timestamp,
) -> Result<(Issued, User)> {
    let found = resolve_with_user(app, project, &loc, now).await?;
    let token = match loc {
        Locator::Token(t) => t,
        Locator::Jwt(_) => String::new(),
    };
    let change = Change {
        duration_minutes,
        custom_claims,
        factor: None,
    };
    touch(app, project, found, token, change, now).await
}

/// After a factor succeeded for `user`: attaches it to the named session, or creates a session
/// when a duration is given, or does nothing.
pub async fn start_or_attach(
    app: &AppState,
    project: &Project,
    user: &User,
    factor: AuthFactor,
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Option<Issued>> {
    if let Some(loc) = &req.existing {
        let (s, _) = resolve_with_user(app, project, loc, now).await?;
        if s.user_id != user.user_id {
            return Err(Error::new(ErrorType::UserIdMismatch));
        }
        let token = match loc {
            Locator::Token(t) => t.clone(),
            Locator::Jwt(_) => String::new(),
        };
        let change = Change {
            duration_minutes: req.duration_minutes,
            custom_claims: req.custom_claims,
            factor: Some(factor),
        };
        let (issued, _) = touch(app, project, (s, user.clone()), token, change, now).await?;
        return Ok(Some(issued));
    }
    let Some(minutes) = req.duration_minutes else {
        return Ok(None);
    };
    let custom_claims = match req.custom_claims {
        Some(c) => session::merge_custom_claims(&Map::new(), c)?,
        None => Map::new(),
    };
    let token = crypto::random_b64_nopad(33);
    let s = Session {
        session_id: IdKind::Session.mint(project.env),
        user_id: user.user_id.clone(),
        started_at: now,
        last_accessed_at: now,
        expires_at: now.plus_minutes(minutes),
        ip_address: attrs.ip_address.clone(),
        user_agent: attrs.user_agent.clone(),
        factors: vec![factor],
        custom_claims,
    };
    app.store
        .insert_session(&project.project_id, &s, Digest256::of(&token))
        .await?;
    let jwt = mint_jwt(app, project, &s, user.effective_roles(), now).await?;
    Ok(Some(Issued {
        session: s,
        token,
        jwt,
    }))
}

/// A user's live sessions.
pub async fn list(
    app: &AppState,
    project: &Project,
    user_id: &str,
    now: Timestamp,
) -> Result<(User, Vec<Session>)> {
    let user = crate::service::users::get(&app.store, project, user_id).await?;
    let sessions = app
        .store
        .sessions_of_user(&project.project_id, &user.user_id, now)
        .await?;
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
pub async fn revoke(app: &AppState, project: &Project, by: RevokeBy, now: Timestamp) -> Result<()> {
    let session_id = match by {
        RevokeBy::Id(id) => id,
        RevokeBy::Locator(loc) => resolve(app, project, &loc, now).await?.session_id,
    };
    if sandbox::is_sandbox_session(project, &session_id) {
        return Err(Error::new(ErrorType::CannotRevokeSandboxSession));
    }
    app.jwts.forget(&project.project_id, &session_id);
    if app
        .store
        .delete_session(&project.project_id, &session_id, now)
        .await?
    {
        Ok(())
    } else {
        Err(not_found())
    }
}
