use serde_json::{Map, Value};

use super::events::insert_event_query;
use super::user_rows::{UserRow, user_select};
use super::{Pools, Store, StoreError, StoreResult, on_read, on_write};
use crate::model::Timestamp;
use crate::model::event::{Actor, EndReason, EventDraft};
use crate::model::session::{AuthFactor, Session};
use crate::model::user::User;

pub use super::basis::{SessionBasis, SessionKey, TokenAtRest};

const SESSION_COLUMNS: &str = "session_id, user_id, started_at, last_accessed_at, expires_at, \
    ip_address, user_agent, factors, custom_claims";

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: String,
    user_id: String,
    started_at: i64,
    last_accessed_at: i64,
    expires_at: i64,
    ip_address: String,
    user_agent: String,
    factors: String,
    custom_claims: String,
}

/// A session and its user, read together.
#[derive(sqlx::FromRow)]
struct SessionUserRow {
    session_id: String,
    started_at: i64,
    last_accessed_at: i64,
    expires_at: i64,
    ip_address: String,
    user_agent: String,
    factors: String,
    custom_claims: String,
    token_sealed: Option<Vec<u8>>,
    user_version: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

impl SessionUserRow {
    fn split(self) -> StoreResult<(Session, User, SessionBasis)> {
        let user = self.user.into_user()?;
        let basis = SessionBasis {
            session_id: self.session_id.clone(),
            user_id: user.user_id.clone(),
            started_at: self.started_at,
            last_accessed_at: self.last_accessed_at,
            expires_at: self.expires_at,
            ip_address: self.ip_address.clone(),
            user_agent: self.user_agent.clone(),
            factors: self.factors.clone(),
            custom_claims: self.custom_claims.clone(),
            user_version: self.user_version,
            user_lock_expires_at: user.lock.map(|(_, until)| until.millis()),
            token_sealed: self.token_sealed,
        };
        let session = Session::try_from(SessionRow {
            session_id: self.session_id,
            user_id: user.user_id.clone(),
            started_at: self.started_at,
            last_accessed_at: self.last_accessed_at,
            expires_at: self.expires_at,
            ip_address: self.ip_address,
            user_agent: self.user_agent,
            factors: self.factors,
            custom_claims: self.custom_claims,
        })?;
        Ok((session, user, basis))
    }
}

/// [`Store::session_basis`] on SQLite, by token digest and by id; static text, so the prepared
/// statement is found by the cache without formatting anything.
const BASIS_SQL: [&str; 2] = [
    "SELECT s.session_id, s.user_id, s.started_at, s.last_accessed_at, s.expires_at, \
     s.ip_address, s.user_agent, s.factors, s.custom_claims, users.version AS user_version, \
     users.lock_expires_at AS user_lock_expires_at, s.token_sealed FROM sessions s \
     JOIN users ON users.project_id = s.project_id AND users.user_id = s.user_id \
     WHERE s.project_id = $1 AND s.token_digest = $2 AND s.expires_at > $3",
    "SELECT s.session_id, s.user_id, s.started_at, s.last_accessed_at, s.expires_at, \
     s.ip_address, s.user_agent, s.factors, s.custom_claims, users.version AS user_version, \
     users.lock_expires_at AS user_lock_expires_at, s.token_sealed FROM sessions s \
     JOIN users ON users.project_id = s.project_id AND users.user_id = s.user_id \
     WHERE s.project_id = $1 AND s.session_id = $2 AND s.expires_at > $3",
];

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    /// Unreadable factor or claim JSON is an error, never an empty list.
    fn try_from(r: SessionRow) -> StoreResult<Self> {
        Ok(Session {
            session_id: r.session_id,
            user_id: r.user_id,
            started_at: Timestamp::from_millis(r.started_at),
            last_accessed_at: Timestamp::from_millis(r.last_accessed_at),
            expires_at: Timestamp::from_millis(r.expires_at),
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            factors: serde_json::from_str::<Vec<AuthFactor>>(&r.factors)
                .map_err(|_| StoreError::Corrupt("session factors"))?,
            custom_claims: serde_json::from_str::<Map<String, Value>>(&r.custom_claims)
                .map_err(|_| StoreError::Corrupt("session custom claims"))?,
        })
    }
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The write of a session's mutable parts: `$1` project, `$2` session, `$3` access time, `$4`
/// expiry, `$5` factors, `$6` claims, `$7` now. An access time only moves forward; a session
/// that ended meanwhile is not brought back.
const UPDATE_SESSION: &str = "UPDATE sessions SET last_accessed_at = CASE \
    WHEN last_accessed_at > $3 THEN last_accessed_at ELSE $3 END, expires_at = $4, factors = $5, \
    custom_claims = $6 WHERE project_id = $1 AND session_id = $2 AND expires_at > $7";

/// Binds `$1`–`$7` of [`UPDATE_SESSION`].
macro_rules! bind_update {
    ($q:expr, $project_id:expr, $s:expr, $now:expr) => {
        $q.bind($project_id)
            .bind(&$s.session_id)
            .bind($s.last_accessed_at.millis())
            .bind($s.expires_at.millis())
            .bind(json(&$s.factors))
            .bind(json(&$s.custom_claims))
            .bind($now.millis())
    };
}

/// The columns a new session row is written with, in bind order from `$1` (the PostgreSQL
/// magic-link spend writes the row in its own statement, with these columns).
macro_rules! session_columns {
    () => {
        "project_id, session_id, user_id, token_digest, started_at, last_accessed_at, \
         expires_at, ip_address, user_agent, factors, custom_claims, token_sealed"
    };
}
pub(super) use session_columns;

/// The INSERT of a session row, bound and ready to execute on a pool or in a transaction of
/// either backend.
macro_rules! insert_session_query {
    ($project_id:expr, $s:expr, $token:expr) => {
        sqlx::query(concat!(
            "INSERT INTO sessions (",
            $crate::store::sessions::session_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind($project_id)
        .bind($s.session_id.as_str())
        .bind($s.user_id.as_str())
        .bind(&$token.digest.0[..])
        .bind($s.started_at.millis())
        .bind($s.last_accessed_at.millis())
        .bind($s.expires_at.millis())
        .bind($s.ip_address.as_str())
        .bind($s.user_agent.as_str())
        .bind($crate::store::sessions::json(&$s.factors))
        .bind($crate::store::sessions::json(&$s.custom_claims))
        .bind($token.sealed.as_deref())
    };
}
pub(super) use insert_session_query;

impl Store {
    /// Inserts a new session under the digest of its token.
    pub async fn insert_session(
        &self,
        project_id: &str,
        s: &Session,
        token: &TokenAtRest,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            insert_session_query!(project_id, s, token).execute(pool).await?;
        });
        Ok(())
    }

    /// A live session with its whole user, in one query: the hot path of
    /// `sessions/authenticate`.
    pub async fn session_with_user(
        &self,
        project_id: &str,
        key: SessionKey<'_>,
        now: Timestamp,
    ) -> StoreResult<Option<(Session, User, SessionBasis)>> {
        let column = match key {
            SessionKey::Token(_) => "token_digest",
            SessionKey::Id(_) => "session_id",
        };
        let sql = |d| {
            format!(
                "SELECT s.session_id, s.started_at, s.last_accessed_at, s.expires_at, s.ip_address, \
                 s.user_agent, s.factors, s.custom_claims, s.token_sealed, \
                 users.version AS user_version, {} \
                 FROM sessions s \
                 JOIN users ON users.project_id = s.project_id AND users.user_id = s.user_id \
                 WHERE s.project_id = $1 AND s.{column} = $2 AND s.expires_at > $3",
                user_select(d),
            )
        };
        if let super::Pools::Sqlite { path, vfs, .. } = &self.pools {
            let digest;
            let key_param: &dyn rusqlite::ToSql = match &key {
                SessionKey::Token(d) => {
                    digest = d.0.to_vec();
                    &digest
                }
                SessionKey::Id(id) => id,
            };
            let row = super::hot::query_row(
                (path, vfs),
                &sql(super::Dialect::Sqlite),
                &[&project_id, key_param, &now.millis()],
                |r| {
                    Ok(SessionUserRow {
                        session_id: r.get(0)?,
                        started_at: r.get(1)?,
                        last_accessed_at: r.get(2)?,
                        expires_at: r.get(3)?,
                        ip_address: r.get(4)?,
                        user_agent: r.get(5)?,
                        factors: r.get(6)?,
                        custom_claims: r.get(7)?,
                        token_sealed: r.get(8)?,
                        user_version: r.get(9)?,
                        user: UserRow::from_rusqlite(r, 10)?,
                    })
                },
            )?;
            return row.map(SessionUserRow::split).transpose();
        }
        let row: Option<SessionUserRow> = on_read!(self, pool, d => {
            let text = sql(d);
            let q = sqlx::query_as(&text).bind(project_id);
            let q = match key {
                SessionKey::Token(digest) => q.bind(digest.0.to_vec()),
                SessionKey::Id(id) => q.bind(id.to_owned()),
            };
            q.bind(now.millis()).fetch_optional(pool).await?
        });
        row.map(SessionUserRow::split).transpose()
    }

    /// The basis of a live session: the session row and its user's version, one indexed read
    /// without the user's emails and phone numbers. The hot path of `sessions/authenticate`.
    pub async fn session_basis(
        &self,
        project_id: &str,
        key: SessionKey<'_>,
        now: Timestamp,
    ) -> StoreResult<Option<SessionBasis>> {
        let (path, vfs) = match &self.pools {
            super::Pools::Sqlite { path, vfs, .. } => (path, *vfs),
            super::Pools::Postgres { batcher, .. } => {
                return batcher.basis(project_id, key, now.millis()).await;
            }
        };
        let sql = BASIS_SQL[matches!(key, SessionKey::Id(_)) as usize];
        let map = |r: &rusqlite::Row<'_>| {
            Ok(SessionBasis {
                session_id: r.get(0)?,
                user_id: r.get(1)?,
                started_at: r.get(2)?,
                last_accessed_at: r.get(3)?,
                expires_at: r.get(4)?,
                ip_address: r.get(5)?,
                user_agent: r.get(6)?,
                factors: r.get(7)?,
                custom_claims: r.get(8)?,
                user_version: r.get(9)?,
                user_lock_expires_at: r.get(10)?,
                token_sealed: r.get(11)?,
            })
        };
        let params: [&dyn rusqlite::ToSql; 3] = match &key {
            SessionKey::Token(d) => [&project_id, &d.0, &now.millis()],
            SessionKey::Id(id) => [&project_id, id, &now.millis()],
        };
        Ok(super::hot::query_row((path, vfs), sql, &params, map)?)
    }

    /// The live session with this id.
    pub async fn session_by_id(
        &self,
        project_id: &str,
        session_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE project_id = $1 AND session_id = $2 AND expires_at > $3"
        );
        let row: Option<SessionRow> = on_read!(self, pool =>
            sqlx::query_as(&sql).bind(project_id).bind(session_id).bind(now.millis())
                .fetch_optional(pool).await?);
        row.map(Session::try_from).transpose()
    }

    /// How many sessions are live: the metrics' gauge.
    pub async fn count_live_sessions(&self, now: Timestamp) -> StoreResult<i64> {
        Ok(on_read!(self, pool =>
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE expires_at > $1")
                .bind(now.millis())
                .fetch_one(pool)
                .await?))
    }

    /// A user's live sessions, newest first.
    pub async fn sessions_of_user(
        &self,
        project_id: &str,
        user_id: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE project_id = $1 AND user_id = $2 AND expires_at > $3 \
             ORDER BY started_at DESC, session_id"
        );
        let rows: Vec<SessionRow> = on_read!(self, pool =>
            sqlx::query_as(&sql).bind(project_id).bind(user_id).bind(now.millis())
                .fetch_all(pool).await?);
        rows.into_iter().map(Session::try_from).collect()
    }

    /// Writes the mutable parts of a session, with the events that say what changed, in one
    /// transaction. `false` when it is gone (revoked or expired) meanwhile: a revoked session
    /// is never brought back, and its events are not written.
    pub async fn update_session(
        &self,
        project_id: &str,
        s: &Session,
        now: Timestamp,
        events: &[EventDraft],
    ) -> StoreResult<bool> {
        // PostgreSQL: one statement (one round trip) writes the session and its events.
        if let Pools::Postgres { pool, .. } = &self.pools
            && !events.is_empty()
        {
            let (mut ids, mut kinds, mut actors, mut data) = (vec![], vec![], vec![], vec![]);
            for e in events {
                ids.push(super::events::new_event_id());
                kinds.push(e.kind);
                actors.push(e.actor.map(|a| a.as_str()));
                data.push(json(&e.data));
            }
            let sql = format!(
                "WITH u AS ({UPDATE_SESSION} RETURNING user_id, session_id) \
                 INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, \
                 actor, data) SELECT e.id, $1, $7, e.kind, u.user_id, u.session_id, e.actor, \
                 e.data FROM u CROSS JOIN \
                 unnest($8::text[], $9::text[], $10::text[], $11::text[]) AS e(id, kind, actor, data)"
            );
            let n = bind_update!(sqlx::query(&sql), project_id, s, now)
                .bind(&ids)
                .bind(&kinds)
                .bind(&actors)
                .bind(&data)
                .execute(pool)
                .await?
                .rows_affected();
            return Ok(n == events.len() as u64);
        }
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            let n = bind_update!(sqlx::query(UPDATE_SESSION), project_id, s, now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            for e in events {
                insert_event_query!(project_id, e, now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(true)
    }

    /// Records accesses written behind, `(project_id, session_id, at_ms)`, in one transaction
    /// (one statement on PostgreSQL). An access time only moves forward; a session deleted
    /// meanwhile stays deleted.
    pub async fn record_accesses(&self, batch: &[(String, String, i64)]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        match &self.pools {
            Pools::Postgres { pool, .. } => {
                let (mut pids, mut sids, mut ats) = (Vec::new(), Vec::new(), Vec::new());
                for (p, s, at) in batch {
                    pids.push(p.as_str());
                    sids.push(s.as_str());
                    ats.push(*at);
                }
                sqlx::query(
                    "UPDATE sessions s SET last_accessed_at = v.at \
                     FROM unnest($1::text[], $2::text[], $3::int8[]) AS v(project_id, session_id, at) \
                     WHERE s.project_id = v.project_id AND s.session_id = v.session_id \
                     AND s.last_accessed_at < v.at",
                )
                .bind(&pids)
                .bind(&sids)
                .bind(&ats)
                .execute(pool)
                .await?;
            }
            Pools::Sqlite { write, .. } => {
                let mut tx = write.begin().await?;
                for (p, s, at) in batch {
                    sqlx::query(
                        "UPDATE sessions SET last_accessed_at = $3 WHERE project_id = $1 \
                         AND session_id = $2 AND last_accessed_at < $3",
                    )
                    .bind(p)
                    .bind(s)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Deletes a live session (revocation) with the `session.revoked` event that says why and
    /// by whom, in one transaction. `false` when there was none, and then no event is written.
    pub async fn delete_session(
        &self,
        project_id: &str,
        session_id: &str,
        now: Timestamp,
        (reason, actor): (EndReason, Actor),
    ) -> StoreResult<bool> {
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            // The event goes first: the deletion trigger sees it and adds none of its own.
            sqlx::query(
                "INSERT INTO events (event_id, project_id, created_at, type, user_id, session_id, \
                 actor, data) SELECT $1, project_id, $2, 'session.revoked', user_id, session_id, \
                 $3, $4 FROM sessions WHERE project_id = $5 AND session_id = $6 AND expires_at > $2",
            )
            .bind(super::events::new_event_id())
            .bind(now.millis())
            .bind(actor.as_str())
            .bind(json(&serde_json::json!({ "reason": reason.as_str() })))
            .bind(project_id)
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
            let n = sqlx::query(
                "DELETE FROM sessions WHERE project_id = $1 AND session_id = $2 AND expires_at > $3",
            )
            .bind(project_id)
            .bind(session_id)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(false);
            }
            tx.commit().await?;
        });
        Ok(true)
    }
}
