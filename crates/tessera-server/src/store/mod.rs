//! Persistence: the only module that imports sqlx. Each SQL statement is written once in the
//! subset SQLite and PostgreSQL share (`$n` binds, `RETURNING`, `ON CONFLICT`, TEXT ids, epoch
//! milliseconds); the backend is chosen from the URL scheme in [`DatabaseUrl::parse`].

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// The admin console's administrators and their sessions.
pub mod admins;
/// What finds a session, and the small row an authenticate answer is made of.
mod basis;
/// Coalesced session-basis reads on PostgreSQL.
mod batch;
/// The change feed between instances (PostgreSQL NOTIFY).
mod changes;
/// SQLite WAL checkpoints on their own thread.
pub mod checkpoint;
/// Tallies for the admin console's overview.
pub mod console;
/// Crypto wallets and their single-use challenges.
pub mod crypto_wallets;
/// The event store.
pub mod events;
/// The hottest SQLite read through rusqlite on the calling thread.
mod hot;
/// Session signing keys.
pub mod keys;
/// Rate-limit counters shared by every instance.
mod limits;
/// Magic links (token digests, single use).
pub mod magic_links;
/// OAuth providers, flows, registrations; OAuth, attach and impersonation tokens.
pub mod oauth;
/// One-time passcodes (code digests, attempt counting).
pub mod otps;
/// Telling an unreachable database from a failed statement.
mod outage;
/// Passwords and reset links.
pub mod passwords;
/// Projects and their secret digests.
pub mod projects;
/// Deleting expired rows.
mod purge;
/// Sessions that ended before their expiry, for the revocation feed.
pub mod revocations;
/// Dynamic user-search SQL.
mod search;
/// Sessions.
pub mod sessions;
/// TOTP registrations and recovery codes.
pub mod totps;
/// How a whole user is read in one query and decoded.
mod user_rows;
/// Users, emails and phone numbers.
pub mod users;
/// WebAuthn registrations and ceremonies.
pub mod webauthn;
/// Webhook endpoints and their outbox.
pub mod webhooks;

pub use changes::Change;
use outage::{ConnectError, database_unavailable, nul_in_text, refused_text, unreachable};
pub use search::{SearchCursor, SearchPage, UserFilter};

/// Where the data lives, parsed from `--database-url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// An embedded SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (`postgres://` or `postgresql://`).
    Postgres(String),
}

impl DatabaseUrl {
    /// The one place the backend is chosen: by scheme. Anything else is refused rather than
    /// taken for a file name.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = path.split('?').next().unwrap_or_default();
            anyhow::ensure!(!path.is_empty(), "sqlite URL needs a path: sqlite://PATH");
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let scheme = url.split_once(':').map_or(url, |(s, _)| s);
        anyhow::bail!(
            "unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
        )
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => match url::Url::parse(u) {
                Ok(mut parsed) if parsed.password().is_some() => {
                    let _ = parsed.set_password(Some("***"));
                    parsed.to_string()
                }
                _ => u.clone(),
            },
        }
    }
}

/// Whether other processes may open an embedded SQLite database while this store has it open.
/// Nothing changes on PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSharing {
    /// This process alone (the server's default). SQLite's `unix-excl` VFS locks the file once
    /// for the process and keeps the WAL index in memory, so a read takes no file lock (two
    /// `fcntl` calls per read otherwise, and ~12 % of the CPU of `sessions/authenticate`). A
    /// second process is refused at once with a clear message.
    #[default]
    Exclusive,
    /// Other processes may open the file at the same time: backup tools such as Litestream, the
    /// `sqlite3` shell, or the admin commands while the server runs.
    Shared,
}

impl SqliteSharing {
    /// The SQLite VFS that implements it.
    fn vfs(self) -> &'static str {
        match self {
            SqliteSharing::Exclusive => "unix-excl",
            SqliteSharing::Shared => "unix",
        }
    }
}

/// A failure of the store that services may react to.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key was violated.
    #[error("unique constraint violated: {0:?}")]
    Conflict(Constraint),
    /// Anything else from the database.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A database failure shared by every lookup of a coalesced read.
    #[error(transparent)]
    Shared(std::sync::Arc<sqlx::Error>),
    /// A failure of the synchronous SQLite read path.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value this version cannot read (an unknown status, JSON that does not parse):
    /// an error, never a default, so nothing is decided on data the server does not understand.
    #[error("unreadable stored {0}")]
    Corrupt(&'static str),
}

/// The unique keys services turn into client errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// An email already belongs to a user of the project.
    Email,
    /// A phone number already belongs to a user of the project.
    PhoneNumber,
    /// An external id is already used in the project.
    ExternalId,
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Maps a unique violation to its [`Constraint`]. PostgreSQL names the constraint; SQLite only
/// names the columns in its message, so both forms are recognised here and nowhere else.
fn classify(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        let text = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
        let c = if text.contains("user_emails") {
            Some(Constraint::Email)
        } else if text.contains("user_phone_numbers") {
            Some(Constraint::PhoneNumber)
        } else if text.contains("external_id") {
            Some(Constraint::ExternalId)
        } else {
            None
        };
        if let Some(c) = c {
            return StoreError::Conflict(c);
        }
    }
    StoreError::Db(e)
}

/// Store failures as a client sees them: a unique key becomes Stytch's duplicate error, anything
/// else an internal error.
impl From<StoreError> for crate::error::Error {
    fn from(e: StoreError) -> Self {
        use crate::error::{Error, ErrorType};
        match e {
            StoreError::Conflict(Constraint::Email) => Error::new(ErrorType::DuplicateEmail),
            StoreError::Conflict(Constraint::PhoneNumber) => {
                Error::new(ErrorType::DuplicatePhoneNumber)
            }
            StoreError::Conflict(Constraint::ExternalId) => {
                Error::new(ErrorType::DuplicateUserExternalId)
            }
            StoreError::Db(e) if unreachable(&e) => database_unavailable(&e),
            StoreError::Shared(e) if unreachable(&e) => database_unavailable(&e),
            StoreError::Db(e) if refused_text(&e) => nul_in_text(),
            StoreError::Shared(e) if refused_text(&e) => nul_in_text(),
            StoreError::Db(e) => Error::Internal(anyhow::Error::new(e).context("database error")),
            StoreError::Sqlite(e) => {
                Error::Internal(anyhow::Error::new(e).context("database error"))
            }
            StoreError::Shared(e) => {
                Error::Internal(anyhow::Error::new(e).context("database error"))
            }
            e @ StoreError::Corrupt(_) => Error::Internal(anyhow::Error::new(e)),
        }
    }
}

/// The SQL statements that differ between backends; everything else is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A correlated subquery giving the rows of `table` that belong to the current `users` row
    /// as one JSON array of `{"id", "value", "verified"}`, oldest first. SQLite and PostgreSQL
    /// name their JSON aggregates differently; this is the only place that knows.
    pub(crate) fn factor_array(self, table: &str, id: &str, value: &str) -> String {
        let filter = format!(
            "FROM {table} x WHERE x.project_id = users.project_id AND x.user_id = users.user_id"
        );
        match self {
            Dialect::Sqlite => format!(
                "(SELECT json_group_array(json_object('id', x.{id}, 'value', x.{value}, \
                 'verified', x.verified) ORDER BY x.created_at, x.{id}) {filter})"
            ),
            Dialect::Postgres => format!(
                "(SELECT COALESCE(json_agg(json_build_object('id', x.{id}, 'value', x.{value}, \
                 'verified', x.verified) ORDER BY x.created_at, x.{id}), '[]'::json)::text {filter})"
            ),
        }
    }

    /// Row lock for read-modify-write inside a transaction. SQLite needs none: its single writer
    /// connection serializes every write transaction.
    pub(crate) const fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }
}

/// Fails at once, with what to do, when another process holds the SQLite file at `path` for
/// itself (a running `tessera serve`), instead of waiting out the busy timeout.
fn ensure_not_held(path: &std::path::Path, vfs: &str) -> anyhow::Result<()> {
    let probe = rusqlite::Connection::open_with_flags_and_vfs(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        vfs,
    )?;
    probe.busy_timeout(Duration::from_secs(1))?;
    match probe.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            anyhow::bail!(
                "the SQLite database {} is in use by another process (a running `tessera serve` \
                 keeps it for itself unless started with --sqlite-shared): stop that process \
                 first, or start the server with --sqlite-shared to let other processes open \
                 the file",
                path.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Clone)]
enum Pools {
    /// SQLite allows one writer at a time; a dedicated one-connection write pool queues writers
    /// in the process instead of letting them collide on the file lock, while readers run in
    /// parallel on the WAL.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        path: std::sync::Arc<PathBuf>,
        /// The VFS every connection of this store opens the file with.
        vfs: &'static str,
    },
    /// The pool, and the reader that coalesces concurrent session-basis reads on it.
    Postgres {
        pool: PgPool,
        batcher: std::sync::Arc<batch::Batcher>,
    },
}

/// The handle services use. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
}

/// Runs `$body` with `$pool` bound to the backend's read pool; the body is written once and
/// compiled for each backend.
macro_rules! on_read {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Sqlite { read: $pool, .. } => $body,
            $crate::store::Pools::Postgres { pool: $pool, .. } => $body,
        }
    };
    ($store:expr, $pool:ident, $dialect:ident => $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Sqlite { read: $pool, .. } => {
                let $dialect = $crate::store::Dialect::Sqlite;
                $body
            }
            $crate::store::Pools::Postgres { pool: $pool, .. } => {
                let $dialect = $crate::store::Dialect::Postgres;
                $body
            }
        }
    };
}

/// Like `on_read!`, with the write pool and the backend's [`Dialect`].
macro_rules! on_write {
    ($store:expr, $pool:ident, $dialect:ident => $body:expr) => {
        match &$store.pools {
            $crate::store::Pools::Sqlite { write: $pool, .. } => {
                let $dialect = $crate::store::Dialect::Sqlite;
                $body
            }
            $crate::store::Pools::Postgres { pool: $pool, .. } => {
                let $dialect = $crate::store::Dialect::Postgres;
                $body
            }
        }
    };
}
pub(crate) use {on_read, on_write};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Creates a data directory readable by its owner only (0700); an existing one is left as it is.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates the SQLite file 0600 before SQLite opens it (its WAL and shared-memory files take
/// the same mode), and narrows an existing file that others may read. An existing file is
/// changed by path, never opened: closing a descriptor of a database file releases every POSIX
/// lock this process holds on it, those of open SQLite connections included.
fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::metadata(path) {
            Ok(m) => {
                let mode = m.permissions().mode();
                if mode & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
                    tracing::warn!(file = %path.display(), "the database file was readable by others: now 0600");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

impl Store {
    /// On SQLite, starts WAL checkpoints off the request path (stopped when the guard drops);
    /// nothing on PostgreSQL.
    pub fn start_checkpoints(&self) -> Option<checkpoint::Checkpointer> {
        match &self.pools {
            Pools::Sqlite {
                path, write, vfs, ..
            } => Some(checkpoint::start(
                path.as_ref().clone(),
                vfs,
                write.clone(),
                tokio::runtime::Handle::current(),
            )),
            Pools::Postgres { .. } => None,
        }
    }

    /// Connects to the database, sharing an SQLite file with other processes (the admin
    /// commands and tools); does not migrate.
    pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<Self> {
        Self::connect_with(url, SqliteSharing::Shared).await
    }

    /// Connects to the database; on SQLite, `sharing` says whether other processes may open
    /// the file meanwhile. Does not migrate.
    pub async fn connect_with(url: &DatabaseUrl, sharing: SqliteSharing) -> anyhow::Result<Self> {
        Self::connect_pooled(url, sharing, Duration::from_secs(10)).await
    }

    /// Like [`connect_with`](Self::connect_with), waiting at most `acquire_timeout` for a
    /// PostgreSQL connection on each request (the request then answers 503).
    pub async fn connect_pooled(
        url: &DatabaseUrl,
        sharing: SqliteSharing,
        acquire_timeout: Duration,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let pools = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
                }
                private_file(path).with_context(|| format!("creating {}", path.display()))?;
                let vfs = sharing.vfs();
                ensure_not_held(path, vfs)?;
                let base = SqliteConnectOptions::new()
                    .filename(path)
                    .vfs(vfs)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                // The writer connects first and stays open: with `unix-excl`, its first lock
                // is the process's lock on the file, and the WAL index it creates lives in
                // memory for every connection after it.
                let write = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(
                        base.clone()
                            .create_if_missing(true)
                            .journal_mode(SqliteJournalMode::Wal)
                            // Checkpoints run on their own thread (`checkpoint.rs`).
                            .pragma("wal_autocheckpoint", "0")
                            // A WAL grown past this (a long read held it) is cut back when
                            // it restarts.
                            .pragma("journal_size_limit", checkpoint::WAL_KEEP_BYTES.to_string()),
                    )
                    .await
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                // Readers refuse writes with `query_only` rather than by opening the file
                // read-only: under `unix-excl`, a read-only connection takes a real shared lock,
                // which replaces the process's exclusive one (POSIX locks belong to the process).
                let read = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(base.pragma("query_only", "ON"))
                    .await
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                Pools::Sqlite {
                    read,
                    write,
                    path: std::sync::Arc::new(path.clone()),
                    vfs,
                }
            }
            DatabaseUrl::Postgres(u) => {
                // Every statement is prepared once per connection and planned once: a custom
                // plan per execution re-reads (and decompresses) column statistics each time,
                // which was most of PostgreSQL's CPU for the coalesced session reads.
                let opts = PgConnectOptions::from_str(u)
                    .context("parsing the PostgreSQL URL")?
                    .options([("plan_cache_mode", "force_generic_plan")]);
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(acquire_timeout)
                    .connect_with(opts)
                    .await
                    .map_err(|inner| {
                        let retry = unreachable(&inner);
                        anyhow::Error::new(ConnectError { inner, retry })
                            .context(format!("connecting to {}", url.redacted()))
                    })?;
                Pools::Postgres {
                    batcher: batch::Batcher::new(pool.clone()),
                    pool,
                }
            }
        };
        Ok(Store { pools })
    }

    /// Applies pending migrations of this backend's tree.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.pools {
            Pools::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Pools::Postgres { pool, .. } => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        on_read!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Open and idle connections of the pool requests use (SQLite: the readers).
    pub fn pool_sizes(&self) -> (u32, usize) {
        match &self.pools {
            Pools::Sqlite { read, .. } => (read.size(), read.num_idle()),
            Pools::Postgres { pool, .. } => (pool.size(), pool.num_idle()),
        }
    }

    /// Closes every connection (checkpoints SQLite's WAL).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Pools::Postgres { pool, .. } => pool.close().await,
        }
    }

    /// The names of the migrations of each backend, for the test that keeps both trees aligned.
    pub fn migration_names() -> (Vec<String>, Vec<String>) {
        let names = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|m| format!("{}_{}", m.version, m.description))
                .collect()
        };
        (names(&SQLITE_MIGRATIONS), names(&POSTGRES_MIGRATIONS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://./data/t.db").unwrap(),
            DatabaseUrl::Sqlite("./data/t.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:t.db?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite("t.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        let err = DatabaseUrl::parse("mysql://u@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mysql"), "{err}");
        assert!(DatabaseUrl::parse("./tessera.db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let u = DatabaseUrl::parse("postgres://app:hunter2@db:5432/tessera").unwrap();
        assert!(!u.redacted().contains("hunter2"));
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let (sqlite, postgres) = Store::migration_names();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}
