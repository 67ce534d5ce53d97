//! On PostgreSQL, concurrent session-basis reads are coalesced: while a few queries are in
//! flight, the lookups that arrive meanwhile wait and go together in the next query (one
//! `unnest` join), so a burst of `sessions/authenticate` calls costs a few round trips instead of
//! one each. A lookup that finds no query in flight goes at once, alone: batching never adds a
//! wait of its own. Each lookup still sees the database as of its own query, which starts after
//! the lookup was made, so a revocation committed before a request is always seen by it.

use std::sync::{Arc, OnceLock};

use sqlx::PgPool;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::basis::{SessionBasis, SessionKey};
use super::{StoreError, StoreResult};

/// Queries in flight at once: one per two cores, up to 8; further lookups queue and form the
/// next batch. Each query costs PostgreSQL and the driver ~60–90 µs of CPU whatever its size, so
/// fewer, larger batches leave more CPU for everything else: on 2 cores with 64 connections, 1
/// in flight gave 26,000–28,500 req/s by token, 2 gave 23,300–24,900, 4 gave 17,800–19,500
/// (BENCHMARKS.md item 25).
fn in_flight() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores / 2).clamp(1, 8)
}
/// Most lookups in one query.
const MAX_BATCH: usize = 64;

/// What a lookup names the session by.
#[derive(Debug, Clone)]
enum Wanted {
    /// The digest of its token.
    Token(Vec<u8>),
    /// Its id.
    Id(String),
}

struct Lookup {
    project_id: String,
    wanted: Wanted,
    reply: oneshot::Sender<StoreResult<Option<SessionBasis>>>,
}

/// The coalescing reader. Its task starts on first use, on the runtime of that use; when the
/// task is gone (that runtime ended), lookups fall back to a query of their own.
pub(super) struct Batcher {
    pool: PgPool,
    tx: OnceLock<mpsc::UnboundedSender<Lookup>>,
}

/// The select list of both batch queries.
macro_rules! columns {
    () => {
        "SELECT q.i, s.session_id, s.user_id, s.started_at, s.last_accessed_at, s.expires_at, \
         s.ip_address, s.user_agent, s.factors, s.custom_claims, users.version AS user_version, \
         users.lock_expires_at AS user_lock_expires_at, s.token_sealed "
    };
}

const BY_TOKEN: &str = concat!(
    columns!(),
    "FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS q(project_id, token_digest, i) \
     JOIN sessions s ON s.project_id = q.project_id AND s.token_digest = q.token_digest \
     JOIN users ON users.project_id = s.project_id AND users.user_id = s.user_id"
);

const BY_ID: &str = concat!(
    columns!(),
    "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(project_id, session_id, i) \
     JOIN sessions s ON s.project_id = q.project_id AND s.session_id = q.session_id \
     JOIN users ON users.project_id = s.project_id AND users.user_id = s.user_id"
);

#[derive(sqlx::FromRow)]
struct Row {
    i: i64,
    #[sqlx(flatten)]
    basis: SessionBasis,
}

impl Batcher {
    pub(super) fn new(pool: PgPool) -> Arc<Self> {
        Arc::new(Batcher {
            pool,
            tx: OnceLock::new(),
        })
    }

    /// The basis of the session `wanted` names in `project_id`, if it is live at `now_ms`.
    pub(super) async fn basis(
        &self,
        project_id: &str,
        key: SessionKey<'_>,
        now_ms: i64,
    ) -> StoreResult<Option<SessionBasis>> {
        let wanted = match key {
            SessionKey::Token(d) => Wanted::Token(d.0.to_vec()),
            SessionKey::Id(id) => Wanted::Id(id.to_owned()),
        };
        let tx = self.tx.get_or_init(|| spawn(self.pool.clone()));
        let (reply, answer) = oneshot::channel();
        let lookup = Lookup {
            project_id: project_id.to_owned(),
            wanted: wanted.clone(),
            reply,
        };
        let found = match tx.send(lookup) {
            Ok(()) => match answer.await {
                Ok(found) => found?,
                Err(_) => run(&self.pool, project_id, &wanted).await?,
            },
            Err(_) => run(&self.pool, project_id, &wanted).await?,
        };
        Ok(found.filter(|b| b.expires_at > now_ms))
    }
}

fn spawn(pool: PgPool) -> mpsc::UnboundedSender<Lookup> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Lookup>();
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(in_flight()));
        loop {
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(l) => batch.push(l),
                    Err(_) => break,
                }
            }
            let pool = pool.clone();
            tokio::spawn(async move {
                answer(&pool, batch).await;
                drop(slot);
            });
        }
    });
    tx
}

/// One query for every lookup of a batch (by token and by id separately: each uses its own
/// unique index), then each lookup gets its row.
async fn answer(pool: &PgPool, batch: Vec<Lookup>) {
    let (by_token, by_id): (Vec<Lookup>, Vec<Lookup>) = batch
        .into_iter()
        .partition(|l| matches!(l.wanted, Wanted::Token(_)));
    for group in [by_token, by_id] {
        if group.is_empty() {
            continue;
        }
        match query(pool, &group).await {
            Ok(mut rows) => {
                for (i, l) in group.into_iter().enumerate() {
                    let found = rows.iter().position(|r| r.i == i as i64 + 1);
                    let _ = l.reply.send(Ok(found.map(|p| rows.swap_remove(p).basis)));
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                for l in group {
                    let _ = l.reply.send(Err(StoreError::Shared(Arc::clone(&e))));
                }
            }
        }
    }
}

async fn query(pool: &PgPool, group: &[Lookup]) -> Result<Vec<Row>, sqlx::Error> {
    let projects: Vec<&str> = group.iter().map(|l| l.project_id.as_str()).collect();
    match &group[0].wanted {
        Wanted::Token(_) => {
            let digests: Vec<&[u8]> = group
                .iter()
                .map(|l| match &l.wanted {
                    Wanted::Token(d) => d.as_slice(),
                    Wanted::Id(_) => &[],
                })
                .collect();
            sqlx::query_as(BY_TOKEN)
                .bind(projects)
                .bind(digests)
                .fetch_all(pool)
                .await
        }
        Wanted::Id(_) => {
            let ids: Vec<&str> = group
                .iter()
                .map(|l| match &l.wanted {
                    Wanted::Id(id) => id.as_str(),
                    Wanted::Token(_) => "",
                })
                .collect();
            sqlx::query_as(BY_ID)
                .bind(projects)
                .bind(ids)
                .fetch_all(pool)
                .await
        }
    }
}

/// A lookup of its own, when the batching task is gone.
async fn run(
    pool: &PgPool,
    project_id: &str,
    wanted: &Wanted,
) -> StoreResult<Option<SessionBasis>> {
    let (reply, _) = oneshot::channel();
    let one = [Lookup {
        project_id: project_id.to_owned(),
        wanted: wanted.clone(),
        reply,
    }];
    Ok(query(pool, &one).await?.pop().map(|r| r.basis))
}
