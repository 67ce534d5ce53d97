//! `sessions/authenticate` and what factors do with sessions: resolve, touch, create, attach.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::cache::{MintedJwt, Rendered};
use super::tokens::{jwt_session, mint, mint_jwt};
use super::{ClientAttributes, Issued, Locator, SessionEngine, SessionRequest};
use crate::crypto::{self, Digest256};
use crate::error::{Error, ErrorType, Result};
use crate::model::event::{Actor, EndReason, EventDraft};
use crate::model::ids::IdKind;
use crate::model::session::{self, AuthFactor, Session};
use crate::model::user::User;
use crate::model::{Project, Timestamp};
use crate::service::{sandbox, security_log};
use crate::store::sessions::{SessionBasis, SessionKey, TokenAtRest};

fn not_found() -> Error {
    Error::new(ErrorType::SessionNotFound)
}

/// The live session a locator names, with its user, in one read.
pub async fn resolve_with_user(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<(Session, User)> {
    resolve_full(engine, project, loc, now)
        .await
        .map(|(s, u, _)| (s, u))
}

/// [`resolve_with_user`], with the basis the answer is made of.
async fn resolve_full(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<(Session, User, SessionBasis)> {
    let found = find_full(engine, project, loc, now).await?;
    let s = &found.0;
    let times = (s.started_at.millis(), s.last_accessed_at.millis());
    if ended(engine, project, &s.session_id, times, now).await? {
        return Err(not_found());
    }
    Ok(found)
}

/// The session a project's policy ended (idle too long, or past its lifetime) is deleted, so
/// that it fails everywhere and leaves the user's list; whether it was ended.
async fn ended(
    engine: &SessionEngine,
    project: &Project,
    session_id: &str,
    (started_at, last_accessed_at): (i64, i64),
    now: Timestamp,
) -> Result<bool> {
    if !project.policy.ends(
        started_at,
        last_accessed_at,
        now.millis(),
        idle_grace(project),
    ) {
        return Ok(false);
    }
    let reason = match project.policy.latest_end(started_at) {
        Some(end) if now.millis() >= end => EndReason::LifetimeReached,
        _ => EndReason::IdleTimeout,
    };
    engine
        .store
        .delete_session(
            &project.project_id,
            session_id,
            now,
            (reason, reason.actor()),
        )
        .await?;
    engine.forget_session(&project.project_id, session_id);
    security_log::session_ended(project, session_id, reason.as_str());
    Ok(true)
}

/// How far behind the last access the stored access time may be (its write-behind): an idle
/// timeout is never applied before it has really passed.
pub(super) fn idle_grace(project: &Project) -> i64 {
    let flush = i64::try_from(super::access::FLUSH_INTERVAL.as_millis()).unwrap_or(i64::MAX);
    project.policy.touch_bound_ms(TOUCH_GRANULARITY_MS) + flush
}

/// [`resolve_full`] before the project's policy is applied.
async fn find_full(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<(Session, User, SessionBasis)> {
    let pid = &project.project_id;
    match loc {
        Locator::Token(t) => {
            let key = SessionKey::Token(Digest256::of(t));
            match engine.store.session_with_user(pid, key, now).await? {
                Some(found) => Ok(found),
                None if sandbox::is_sandbox_session_token(project, t) => {
                    sandbox::ensure(&engine.store, project).await?;
                    engine
                        .store
                        .session_with_user(pid, key, now)
                        .await?
                        .ok_or_else(not_found)
                }
                None => Err(not_found()),
            }
        }
        Locator::Jwt(j) => {
            let v = jwt_session(engine, project, j).await?;
            let found = engine
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
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<Option<SessionBasis>> {
    let found = find_basis(engine, project, loc, now).await?;
    if let Some(b) = &found {
        let times = (b.started_at, b.last_accessed_at);
        if ended(engine, project, &b.session_id, times, now).await? {
            return Err(not_found());
        }
    }
    Ok(found)
}

/// [`basis_of`] before the project's policy is applied.
async fn find_basis(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<Option<SessionBasis>> {
    let pid = &project.project_id;
    match loc {
        Locator::Token(t) => Ok(engine
            .store
            .session_basis(pid, SessionKey::Token(Digest256::of(t)), now)
            .await?),
        Locator::Jwt(j) => {
            let v = jwt_session(engine, project, j).await?;
            match engine
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
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    now: Timestamp,
) -> Result<Session> {
    resolve_with_user(engine, project, loc, now)
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
    /// Who asks: the events say so.
    actor: Actor,
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

/// Where extending a session that started at `started_at` (ms) to `minutes` from `now` ends:
/// never past the project's maximum lifetime.
fn extended_end(project: &Project, started_at: i64, minutes: i64, now: Timestamp) -> i64 {
    let wanted = now.plus_minutes(minutes).millis();
    project
        .policy
        .latest_end(started_at)
        .map_or(wanted, |cap| wanted.min(cap))
}

/// Whether moving a session's end from `expires_at` to `end` (ms) is to be written: only when
/// it moves by `bound` or more, so that a repeated "30 days from now" costs a write per bound,
/// not per request.
fn extension_due(end: i64, expires_at: i64, bound: i64) -> bool {
    (end - expires_at).abs() >= bound
}

/// What [`touch`] did besides the answer.
struct Touched {
    /// The JWT, with its reuse window.
    minted: Arc<MintedJwt>,
    /// Whether the session was written.
    wrote: bool,
}

async fn touch(
    engine: &SessionEngine,
    project: &Project,
    (mut s, user): (Session, User),
    token: String,
    change: Change,
    now: Timestamp,
    bound: i64,
) -> Result<(Issued, User, Touched)> {
    let accessed = now.millis() - s.last_accessed_at.millis() >= bound;
    // The events say what changed; their ids are filled in only when there is one (an
    // authenticate that changes nothing allocates nothing here).
    let mut events = Vec::new();
    let event = |kind| EventDraft::new(kind, change.actor);
    if let Some(f) = change.factor {
        let (kind, delivery) = f.kind.wire();
        // A factor proven again in the session is a re-authentication, not a new factor.
        let again = s.factors.iter().any(|x| x.same_as(&f));
        let what = if again {
            "session.factor_reauthenticated"
        } else {
            "session.factor_added"
        };
        events.push(
            event(what)
                .with("type", kind)
                .with("delivery_method", delivery),
        );
        s.add_factor(f);
    }
    // An impersonated session keeps its fixed end: it cannot be extended.
    if let Some(m) = change.duration_minutes.filter(|_| !s.is_impersonated()) {
        let end = extended_end(project, s.started_at.millis(), m, now);
        if extension_due(end, s.expires_at.millis(), bound) {
            events.push(
                event("session.extended")
                    .with("old_expires_at", s.expires_at.millis())
                    .with("new_expires_at", end),
            );
            s.expires_at = Timestamp::from_millis(end);
        }
    }
    if let Some(c) = change.custom_claims {
        let merged = session::merge_custom_claims(&s.custom_claims, c)?;
        if merged != s.custom_claims {
            let changed: Vec<Value> = merged
                .iter()
                .filter(|(k, v)| s.custom_claims.get(*k) != Some(*v))
                .map(|(k, _)| Value::from(k.as_str()))
                .chain(
                    s.custom_claims
                        .keys()
                        .filter(|k| !merged.contains_key(*k))
                        .map(|k| Value::from(k.as_str())),
                )
                .collect();
            events.push(event("session.claims_changed").with("claims", changed));
            s.custom_claims = merged;
        }
    }
    for e in &mut events {
        e.user_id = Some(s.user_id.clone());
        e.session_id = Some(s.session_id.clone());
    }
    let dirty = !events.is_empty();
    if events.iter().any(|e| e.kind == "session.extended") {
        metrics::counter!("tessera_sessions_extended_total").increment(1);
    }
    if dirty {
        s.last_accessed_at = now;
        if !engine
            .store
            .update_session(&project.project_id, &s, now, &events)
            .await?
        {
            return Err(not_found());
        }
    } else if accessed {
        // Only the access time moved: written behind, with others (see `service::access`).
        s.last_accessed_at = now;
        engine
            .access
            .record(&project.project_id, &s.session_id, now.millis());
    }
    let minted = mint(engine, project, &s, user.effective_roles(), now).await?;
    Ok((
        Issued {
            session: s,
            token,
            jwt: minted.jwt.to_string(),
            created: false,
        },
        user,
        Touched {
            minted,
            wrote: dirty,
        },
    ))
}

/// `sessions/authenticate`'s answer: the rendering shared by every request with the same
/// basis, and the caller's token (`""` when it named the session by JWT).
pub struct AuthenticatedSession {
    /// Session, user and JWT, rendered.
    pub rendered: Arc<Rendered>,
    /// The session token the caller sent.
    pub token: String,
}

/// Hits and misses of the rendered-answer cache, looked up in the metrics registry once (the
/// recorder, when metrics are on, is installed before the server serves).
static RENDERED_LOOKUPS: std::sync::LazyLock<[metrics::Counter; 2]> =
    std::sync::LazyLock::new(|| {
        ["hit", "miss"].map(|outcome| {
            metrics::counter!("tessera_cache_lookups_total", "cache" => "rendered",
                "outcome" => outcome)
        })
    });

/// `sessions/authenticate`: checks the session, optionally extends it and merges claims,
/// records the access and returns a fresh JWT.
///
/// Every call reads the session from the database, so a revoked session fails at once. When
/// nothing is to be written (no claims, and no extension due) and the session row and user
/// version read equal those of a rendered answer whose JWT is still reusable, that answer is
/// returned as it is: one small read and no serialization. Otherwise the whole user is read
/// and the answer rendered again.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    loc: Locator,
    (duration_minutes, custom_claims): (Option<i64>, Option<Map<String, Value>>),
    actor: Actor,
    now: Timestamp,
) -> Result<AuthenticatedSession> {
    let bound = project.policy.touch_bound_ms(touch_bound());
    // Until an extension is due, a request with a duration is answered like one without.
    if custom_claims.is_none()
        && let Some(basis) = basis_of(engine, project, &loc, now).await?
        && basis.user_lock_expires_at.is_none()
        && !duration_minutes.is_some_and(|m| {
            let end = extended_end(project, basis.started_at, m, now);
            extension_due(end, basis.expires_at, bound)
        })
    {
        let key = engine
            .keys
            .signing_key(&engine.store, &project.project_id)
            .await?;
        let now_s = now.millis().div_euclid(1000);
        if let Some(rendered) = engine
            .rendered
            .get(&project.project_id, &basis, &key.kid, now_s)
            && now.millis() - rendered.accessed_at < bound
        {
            RENDERED_LOOKUPS[0].increment(1);
            engine.presigner.refresh_if_due(
                &project.project_id,
                &rendered.jwt,
                &key,
                (rendered.accessed_at, basis.expires_at),
                now_s,
            );
            let (sid, sealed) = (&basis.session_id, basis.token_sealed.as_deref());
            let token = engine.token_for(&project.project_id, sid, &loc, sealed);
            return Ok(AuthenticatedSession { rendered, token });
        }
    }
    RENDERED_LOOKUPS[1].increment(1);
    let (s, user, basis) = resolve_full(engine, project, &loc, now).await?;
    let (sid, sealed) = (&basis.session_id, basis.token_sealed.as_deref());
    let token = engine.token_for(&project.project_id, sid, &loc, sealed);
    let change = Change {
        duration_minutes,
        custom_claims,
        factor: None,
        actor,
    };
    let (issued, user, touched) =
        touch(engine, project, (s, user), token, change, now, bound).await?;
    let roles = user.effective_roles();
    let rendered = Arc::new(Rendered {
        project_id: project.project_id.clone(),
        accessed_at: issued.session.last_accessed_at.millis(),
        session: engine
            .render
            .session(&issued.session, roles)
            .map_err(anyhow::Error::from)?,
        user: engine.render.user(user, now).map_err(anyhow::Error::from)?,
        basis,
        jwt: touched.minted,
    });
    // After a write the stored basis is new; the next request reads and renders it.
    if !touched.wrote && rendered.basis.user_lock_expires_at.is_none() {
        engine.rendered.put(Arc::clone(&rendered));
    }
    Ok(AuthenticatedSession {
        rendered,
        token: issued.token,
    })
}

/// After a factor succeeded for `user`: attaches it to the named session, or creates a session
/// when a duration is given, or does nothing.
pub async fn start_or_attach(
    engine: &SessionEngine,
    project: &Project,
    user: &User,
    factor: AuthFactor,
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Option<Issued>> {
    if let Some(loc) = &req.existing {
        let (s, _, basis) = resolve_full(engine, project, loc, now).await?;
        if s.user_id != user.user_id {
            return Err(Error::new(ErrorType::UserIdMismatch));
        }
        let sealed = basis.token_sealed.as_deref();
        let token = engine.token_for(&project.project_id, &s.session_id, loc, sealed);
        let change = Change {
            duration_minutes: req.duration_minutes,
            custom_claims: req.custom_claims,
            factor: Some(factor),
            actor: Actor::User,
        };
        let bound = project.policy.touch_bound_ms(touch_bound());
        let (issued, _, _) = touch(
            engine,
            project,
            (s, user.clone()),
            token,
            change,
            now,
            bound,
        )
        .await?;
        return Ok(Some(issued));
    }
    let Some(fresh) = plan_new(project, user, factor, req, attrs, now)? else {
        return Ok(None);
    };
    engine
        .store
        .insert_session(
            &project.project_id,
            &fresh.session,
            &fresh.at_rest(engine, project),
        )
        .await?;
    Ok(Some(issue_new(engine, project, user, fresh, now).await?))
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
    /// The token as the row stores it: digest and sealed.
    pub fn at_rest(&self, engine: &SessionEngine, project: &Project) -> TokenAtRest {
        let (pid, sid) = (&project.project_id, &self.session.session_id);
        engine.token_at_rest(pid, sid, &self.token)
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
            expires_at: Timestamp::from_millis(extended_end(project, now.millis(), minutes, now)),
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
    engine: &SessionEngine,
    project: &Project,
    user: &User,
    fresh: NewSession,
    now: Timestamp,
) -> Result<Issued> {
    let jwt = mint_jwt(engine, project, &fresh.session, user.effective_roles(), now).await?;
    Ok(Issued {
        session: fresh.session,
        token: fresh.token,
        jwt,
        created: true,
    })
}
