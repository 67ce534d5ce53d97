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
use std::cmp::Ordering;
use std::sync::Arc;

use crate::service::cache::{MintedJwt, Rendered, VerifiedJwt, fingerprint};
use crate::service::sandbox;
use crate::state::AppState;
use crate::store::sessions::{SessionBasis, SessionKey};
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
/// same claim content is handed out again instead of signing a new one while it is
/// [reusable](MintedJwt::reusable): at most 120 s old (its reuse window, then the grace while its
/// successor is signed in the background), so `iat` inside a JWT is at most that stale, and
/// `last_accessed_at` at most that plus the write-behind bound (3 minutes in all). After an
/// extension the current JWT, stating the earlier end, is handed out until its successor is
/// signed in the background (normally milliseconds, at most the same 120 s); a JWT never states
/// a later end than the session's, so after a shortening one is signed before answering.
pub async fn mint_jwt(
    app: &AppState,
    project: &Project,
    s: &Session,
    roles: Vec<String>,
    now: Timestamp,
) -> Result<String> {
    Ok(mint(app, project, s, roles, now).await?.jwt.to_string())
}

/// [`mint_jwt`], with when the JWT may be handed out again.
async fn mint(
    app: &AppState,
    project: &Project,
    s: &Session,
    roles: Vec<String>,
    now: Timestamp,
) -> Result<Arc<MintedJwt>> {
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
    // So is `expires_at`, compared apart below: a JWT stating an earlier end than the
    // session's (an extension) is handed out while its successor is signed in the background.
    let last_accessed = std::mem::take(&mut claims.session.last_accessed_at);
    let expires = std::mem::take(&mut claims.session.expires_at);
    let content = serde_json::to_vec(&claims).map_err(anyhow::Error::from)?;
    let fp = fingerprint(&content);
    claims.session.last_accessed_at = last_accessed;
    claims.session.expires_at = expires;
    let key = app
        .keys
        .signing_key(&app.store, &project.project_id)
        .await?;
    let times = (s.last_accessed_at.millis(), s.expires_at.millis());
    if let Some(minted) = app
        .jwts
        .get(&project.project_id, &s.session_id, &key.kid, fp, now_s)
    {
        // A JWT never states a later end than the session's: after a shortening, sign now.
        match minted.session_expires_at.cmp(&times.1) {
            Ordering::Equal => {
                app.presigner
                    .refresh_if_due(&project.project_id, &minted, &key, times, now_s);
                return Ok(minted);
            }
            Ordering::Less => {
                app.presigner
                    .refresh_now(&project.project_id, &minted, &key, times);
                return Ok(minted);
            }
            Ordering::Greater => {}
        }
    }
    claims.iat = now_s;
    claims.nbf = now_s;
    claims.exp = (now_s + JWT_LIFETIME_SECONDS)
        .min(s.expires_at.millis().div_euclid(1000))
        .max(now_s + 1);
    let (iat, exp) = (claims.iat, claims.exp);
    // ~0.85 ms of CPU: off the async workers, so requests queued behind it are not stalled.
    let signer = Arc::clone(&key);
    // At most one signature per core at a time: more only time-slice the same cores, and
    // each extra blocking thread keeps its own allocator heap.
    let _permit = signing_slots()
        .acquire()
        .await
        .map_err(anyhow::Error::from)?;
    let jwt = tokio::task::spawn_blocking(move || signer.sign(&claims))
        .await
        .map_err(anyhow::Error::from)??;
    let minted = Arc::new(MintedJwt::new(
        &key.kid,
        (iat, exp),
        Arc::from(jwt),
        fp,
        times.1,
    ));
    app.jwts
        .put(&project.project_id, &s.session_id, Arc::clone(&minted));
    Ok(minted)
}

/// Slots for inline signatures, one per core.
fn signing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
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

/// The session id and user a JWT names, verified as [`verify_jwt`] does. A JWT verified
/// before is recognised by the SHA-256 of its text, provided the key that verified it is still
/// published.
async fn jwt_session(app: &AppState, project: &Project, jwt: &str) -> Result<VerifiedJwt> {
    let digest = Digest256::of(jwt);
    if let Some(v) = app.verified_jwts.get(&project.project_id, &digest)
        && app
            .keys
            .verification_key(&app.store, &project.project_id, &v.kid)
            .await?
            .is_some()
    {
        return Ok(v);
    }
    let kid = UnverifiedJwt::parse(jwt)
        .map(|p| p.kid)
        .ok_or_else(|| Error::new(ErrorType::UnableToParseSessionJwt))?;
    let claims = verify_jwt(app, project, jwt).await?;
    let v = VerifiedJwt {
        project_id: project.project_id.clone(),
        kid: kid.to_string(),
        session_id: claims.session.id,
        sub: claims.sub,
    };
    app.verified_jwts.put(&digest, v.clone());
    Ok(v)
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
    resolve_full(app, project, loc, now)
        .await
        .map(|(s, u, _)| (s, u))
}

/// [`resolve_with_user`], with the basis the answer is made of.
async fn resolve_full(
    app: &AppState,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<(Session, User, SessionBasis)> {
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
            let v = jwt_session(app, project, j).await?;
            let found = app
                .store
                .session_with_user(pid, SessionKey::Id(&v.session_id), now)
                .await?
                .ok_or_else(not_found)?;
            if found.0.user_id != v.sub {
                return Err(not_found());
            }
            Ok(found)
        }
    }
}

/// The basis of the live session a locator names, one small read; `None` when there is none
/// (a sandbox token may still have to be created: [`resolve_full`] decides).
async fn basis_of(
    app: &AppState,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<Option<SessionBasis>> {
    let pid = &project.project_id;
    match loc {
        Locator::Token(t) => Ok(app
            .store
            .session_basis(pid, SessionKey::Token(Digest256::of(t)), now)
            .await?),
        Locator::Jwt(j) => {
            let v = jwt_session(app, project, j).await?;
            match app
                .store
                .session_basis(pid, SessionKey::Id(&v.session_id), now)
                .await?
            {
                Some(b) if b.user_id == v.sub => Ok(Some(b)),
                _ => Err(not_found()),
            }
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
/// A random bound between half and all of [`TOUCH_GRANULARITY_MS`], drawn per request, so
/// sessions written together (after a restart, a bulk extension) spread out instead of coming
/// due together again.
fn touch_bound() -> i64 {
    rand::Rng::gen_range(
        &mut rand::thread_rng(),
        TOUCH_GRANULARITY_MS / 2..=TOUCH_GRANULARITY_MS,
    )
}

/// Whether extending a session that ends at `expires_at` (ms) to `minutes` from `now` is to be
/// written: only when it moves the end by `bound` or more, so that a repeated "30 days from now"
/// costs a write per bound, not per request.
fn extension_due(minutes: i64, expires_at: i64, now: Timestamp, bound: i64) -> bool {
    (now.plus_minutes(minutes).millis() - expires_at).abs() >= bound
}

/// What [`touch`] did besides the answer.
struct Touched {
    /// The JWT, with its reuse window.
    minted: Arc<MintedJwt>,
    /// Whether the session was written.
    wrote: bool,
}

async fn touch(
    app: &AppState,
    project: &Project,
    (mut s, user): (Session, User),
    token: String,
    change: Change,
    now: Timestamp,
    bound: i64,
) -> Result<(Issued, User, Touched)> {
    let accessed = now.millis() - s.last_accessed_at.millis() >= bound;
    let mut dirty = false;
    if let Some(f) = change.factor {
        s.add_factor(f);
        dirty = true;
    }
    if let Some(m) = change.duration_minutes
        && extension_due(m, s.expires_at.millis(), now, bound)
    {
        s.expires_at = now.plus_minutes(m);
        dirty = true;
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
    } else if accessed {
        // Only the access time moved: written behind, with others (see `service::access`).
        s.last_accessed_at = now;
        app.access
            .record(&project.project_id, &s.session_id, now.millis());
    }
    let minted = mint(app, project, &s, user.effective_roles(), now).await?;
    Ok((
        Issued {
            session: s,
            token,
            jwt: minted.jwt.to_string(),
        },
        user,
        Touched {
            minted,
            wrote: dirty,
        },
    ))
}

/// `v` as JSON text, kept as it is.
fn raw<T: Serialize>(v: &T) -> Result<Box<serde_json::value::RawValue>> {
    Ok(serde_json::value::to_raw_value(v).map_err(anyhow::Error::from)?)
}

/// `sessions/authenticate`'s answer: the rendering shared by every request with the same
/// basis, and the caller's token (`""` when it named the session by JWT).
pub struct AuthenticatedSession {
    /// Session, user and JWT, rendered.
    pub rendered: Arc<Rendered>,
    /// The session token the caller sent.
    pub token: String,
}

/// `sessions/authenticate`: checks the session, optionally extends it and merges claims,
/// records the access and returns a fresh JWT.
///
/// Every call reads the session from the database, so a revoked session fails at once. When
/// nothing is to be written (no claims, and no extension due) and the session row and user
/// version read equal those of a rendered answer whose JWT is still reusable, that answer is
/// returned as it is: one small read and no serialization. Otherwise the whole user is read
/// and the answer rendered again.
pub async fn authenticate(
    app: &AppState,
    project: &Project,
    loc: Locator,
    duration_minutes: Option<i64>,
    custom_claims: Option<Map<String, Value>>,
    now: Timestamp,
) -> Result<AuthenticatedSession> {
    let bound = touch_bound();
    let token = match &loc {
        Locator::Token(t) => t.clone(),
        Locator::Jwt(_) => String::new(),
    };
    // Until an extension is due, a request with a duration is answered like one without.
    if custom_claims.is_none()
        && let Some(basis) = basis_of(app, project, &loc, now).await?
        && basis.user_lock_expires_at.is_none()
        && !duration_minutes.is_some_and(|m| extension_due(m, basis.expires_at, now, bound))
    {
        let key = app
            .keys
            .signing_key(&app.store, &project.project_id)
            .await?;
        let now_s = now.millis().div_euclid(1000);
        if let Some(rendered) = app
            .rendered
            .get(&project.project_id, &basis, &key.kid, now_s)
            && now.millis() - rendered.accessed_at < bound
        {
            app.presigner.refresh_if_due(
                &project.project_id,
                &rendered.jwt,
                &key,
                (rendered.accessed_at, basis.expires_at),
                now_s,
            );
            return Ok(AuthenticatedSession { rendered, token });
        }
    }
    let (s, user, basis) = resolve_full(app, project, &loc, now).await?;
    let change = Change {
        duration_minutes,
        custom_claims,
        factor: None,
    };
    let (issued, user, touched) = touch(app, project, (s, user), token, change, now, bound).await?;
    let roles = user.effective_roles();
    let rendered = Arc::new(Rendered {
        project_id: project.project_id.clone(),
        accessed_at: issued.session.last_accessed_at.millis(),
        session: raw(&wire::session(&issued.session, roles))?,
        user: raw(&wire::user(user, now))?,
        basis,
        jwt: touched.minted,
    });
    // After a write the stored basis is new; the next request reads and renders it.
    if !touched.wrote && rendered.basis.user_lock_expires_at.is_none() {
        app.rendered.put(Arc::clone(&rendered));
    }
    Ok(AuthenticatedSession {
        rendered,
        token: issued.token,
    })
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
        let bound = touch_bound();
        let (issued, _, _) =
            touch(app, project, (s, user.clone()), token, change, now, bound).await?;
        return Ok(Some(issued));
    }
    let Some(fresh) = plan_new(project, user, factor, req, attrs, now)? else {
        return Ok(None);
    };
    app.store
        .insert_session(&project.project_id, &fresh.session, fresh.digest())
        .await?;
    Ok(Some(issue_new(app, project, user, fresh, now).await?))
}

/// A session decided on but not yet stored: its row and the token it will be known by.
#[derive(Debug)]
pub struct NewSession {
    /// The row to insert.
    pub session: Session,
    /// The opaque token (only its digest is stored).
    pub token: String,
}

impl NewSession {
    /// The digest the row is stored under.
    pub fn digest(&self) -> Digest256 {
        Digest256::of(&self.token)
    }
}

/// The session a factor creates when no existing one is named: `None` without a duration.
/// Pure, so callers can store the row in the same transaction as the factor's own writes.
pub fn plan_new(
    project: &Project,
    user: &User,
    factor: AuthFactor,
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Option<NewSession>> {
    debug_assert!(req.existing.is_none());
    let Some(minutes) = req.duration_minutes else {
        return Ok(None);
    };
    let custom_claims = match req.custom_claims {
        Some(c) => session::merge_custom_claims(&Map::new(), c)?,
        None => Map::new(),
    };
    Ok(Some(NewSession {
        session: Session {
            session_id: IdKind::Session.mint(project.env),
            user_id: user.user_id.clone(),
            started_at: now,
            last_accessed_at: now,
            expires_at: now.plus_minutes(minutes),
            ip_address: attrs.ip_address.clone(),
            user_agent: attrs.user_agent.clone(),
            factors: vec![factor],
            custom_claims,
        },
        token: crypto::random_b64_nopad(33),
    }))
}

/// Signs the first JWT of a session [`plan_new`] planned, once its row is stored.
pub async fn issue_new(
    app: &AppState,
    project: &Project,
    user: &User,
    fresh: NewSession,
    now: Timestamp,
) -> Result<Issued> {
    let jwt = mint_jwt(app, project, &fresh.session, user.effective_roles(), now).await?;
    Ok(Issued {
        session: fresh.session,
        token: fresh.token,
        jwt,
    })
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
    app.rendered.forget(&session_id);
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
