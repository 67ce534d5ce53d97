//! The hottest read on SQLite, `sessions/authenticate`'s session-with-user lookup, through
//! rusqlite on the calling thread. sqlx's SQLite driver runs each connection on its own thread
//! and hands every query over a channel: two thread switches per read, the largest single cost
//! in the profile (BENCHMARKS.md). Here each runtime thread keeps its own read-only connection
//! per database file, with cached prepared statements, and runs the lookup directly: under WAL a
//! reader never waits for the writer, and the lookup is one indexed row (tens of µs).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

thread_local! {
    static READERS: RefCell<HashMap<PathBuf, Connection>> = RefCell::new(HashMap::new());
}

/// Runs `f` with this thread's read-only connection to `path`, opening it with `vfs` on first
/// use.
pub(super) fn with_reader<T>(
    path: &Path,
    vfs: &str,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    READERS.with(|cell| {
        let mut map = cell.borrow_mut();
        if !map.contains_key(path) {
            // Read-write, made read-only with `query_only`: see the read pool in `Store::connect`.
            let c = Connection::open_with_flags_and_vfs(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                vfs,
            )?;
            c.pragma_update(None, "query_only", true)?;
            c.busy_timeout(Duration::from_secs(10))?;
            // No memory map of the file: each commit by the writer makes a reader drop its
            // page cache and unmap the file, and access times are written behind in batches
            // (`service::access`) so that commits stay rare; pages are read with pread(2).
            c.set_prepared_statement_cache_capacity(32);
            map.insert(path.to_owned(), c);
        }
        f(&map[path])
    })
}

/// One optional row of `sql` with `params`, mapped by `map`.
pub(super) fn query_row<T>(
    (path, vfs): (&Path, &str),
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
    map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    with_reader(path, vfs, |c| {
        c.prepare_cached(sql)?.query_row(params, map).optional()
    })
}
