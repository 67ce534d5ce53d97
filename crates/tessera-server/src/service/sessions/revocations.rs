//! The revocation feed (`GET /v1/sessions/revocations`): the sessions of a project that ended
//! before their expiry since a cursor, waiting (long poll) until there is one.
//!
//! Revocations are stamped by the database's clock when the session row goes, and committed a
//! moment later, so a read can miss one stamped just before it. Every read after the first
//! therefore starts [`GRACE_MS`] before its cursor: what a subscriber receives twice it already
//! knows, and it misses nothing whose transaction took less than that to commit.
//!
//! For the same reason a waiting read cannot wait for a revocation stamped after its cursor:
//! one stamped just before, committed after the previous read, would wait for the next. The
//! cursor therefore also carries how many revocations of the grace window the subscriber has
//! received, and a read waits until the window holds more.

use std::time::Duration;

use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::store::Store;
use crate::store::revocations::{FeedStart, Revocation};

/// How far back the first read of a subscriber goes: a session JWT's lifetime and the clock
/// skew verifiers allow, so it learns every revocation whose JWTs may still verify.
pub const LOOKBACK_MS: i64 = (super::JWT_LIFETIME_SECONDS + 60) * 1000;
/// How long before its cursor each later read starts (see the module documentation).
pub const GRACE_MS: i64 = 5_000;
/// The most revocations in one answer; the rest follow with `has_more`.
pub const PAGE: i64 = 1_000;
/// The longest a read may wait for a revocation (under the 30 s every request is allowed).
pub const MAX_WAIT: Duration = Duration::from_secs(25);
/// How often a waiting read looks at the database when no announcement wakes it (on SQLite
/// there are none; on PostgreSQL this covers one lost).
const POLL: Duration = Duration::from_millis(100);

/// Wakes waiting reads when an announcement of a revocation arrives (PostgreSQL `NOTIFY`), and
/// ends them all when the server shuts down.
#[derive(Debug)]
pub struct RevocationSignal {
    wake: tokio::sync::watch::Sender<u64>,
    closed: std::sync::atomic::AtomicBool,
}

impl Default for RevocationSignal {
    fn default() -> Self {
        RevocationSignal {
            wake: tokio::sync::watch::Sender::new(0),
            closed: Default::default(),
        }
    }
}

impl RevocationSignal {
    /// Some session may have been revoked.
    pub fn announce(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The server is shutting down: waiting reads answer now, and later ones do not wait.
    pub fn close(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.announce();
    }

    fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Where a subscriber is in the feed, as the opaque string it sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// Read up to this moment (database clock), having received this many revocations stamped
    /// in the [`GRACE_MS`] before it.
    At(Timestamp, u32),
    /// In the middle of pages: after this row.
    Row(Timestamp, String),
}

impl Cursor {
    fn parse(s: &str) -> Option<Self> {
        let ms = |t: &str| {
            t.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Timestamp::from_millis)
        };
        match s.split_once('~') {
            None => match s.split_once('.') {
                None => Some(Cursor::At(ms(s)?, 0)),
                Some((t, n)) => Some(Cursor::At(ms(t)?, n.parse().ok()?)),
            },
            Some((t, id)) if !id.is_empty() && id.len() <= 128 => {
                Some(Cursor::Row(ms(t)?, id.to_owned()))
            }
            Some(_) => None,
        }
    }

    fn render(&self) -> String {
        match self {
            Cursor::At(t, 0) => t.millis().to_string(),
            Cursor::At(t, known) => format!("{}.{known}", t.millis()),
            Cursor::Row(t, id) => format!("{}~{id}", t.millis()),
        }
    }
}

/// One answer of the feed.
#[derive(Debug)]
pub struct FeedPage {
    /// Revocations, oldest first (some may repeat ones of the previous answer).
    pub revocations: Vec<Revocation>,
    /// What to send as `cursor` next time.
    pub cursor: String,
    /// More are waiting: ask again at once.
    pub has_more: bool,
}

/// The revocations of `project_id` after `cursor` (the last [`LOOKBACK_MS`] without one),
/// waiting up to `wait` for one when there is none yet.
pub async fn read(
    store: &Store,
    signal: &RevocationSignal,
    project_id: &str,
    cursor: Option<&str>,
    wait: Duration,
) -> Result<FeedPage> {
    let cursor = match cursor.filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Cursor::parse(c).ok_or_else(|| {
            Error::with_message(
                ErrorType::BadRequest,
                "cursor is not one this feed returned",
            )
        })?),
    };
    if let Some(Cursor::At(at, known)) = &cursor {
        let window = Timestamp::from_millis(at.millis() - GRACE_MS);
        wait_for_revocation(
            store,
            signal,
            project_id,
            (window, *known),
            wait.min(MAX_WAIT),
        )
        .await?;
    }
    // Read the clock before the rows: whatever commits after the read was stamped after this
    // moment or within the grace before it.
    let now = store.clock().await?;
    let start = match cursor {
        None => FeedStart::After(Timestamp::from_millis(now.millis() - LOOKBACK_MS)),
        Some(Cursor::Row(at, id)) => FeedStart::AfterRow(at, id),
        Some(Cursor::At(at, _)) => FeedStart::After(Timestamp::from_millis(at.millis() - GRACE_MS)),
    };
    let revocations = store.revocations(project_id, &start, PAGE).await?;
    let has_more = revocations.len() as i64 >= PAGE;
    let cursor = match revocations.last() {
        Some(last) if has_more => Cursor::Row(last.revoked_at, last.session_id.clone()),
        // Every read starts at or before `now - GRACE_MS`, so what it found in the window is
        // all that was committed there; after pages it may count fewer, which only wakes the
        // next read early.
        _ => {
            let window = now.millis() - GRACE_MS;
            let known = revocations
                .iter()
                .filter(|r| r.revoked_at.millis() > window)
                .count();
            Cursor::At(now, u32::try_from(known).unwrap_or(u32::MAX))
        }
    };
    Ok(FeedPage {
        revocations,
        cursor: cursor.render(),
        has_more,
    })
}

/// Returns once more than `known` sessions of `project_id` were revoked after `after`, or
/// `wait` has passed.
async fn wait_for_revocation(
    store: &Store,
    signal: &RevocationSignal,
    project_id: &str,
    (after, known): (Timestamp, u32),
    wait: Duration,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut announcements = signal.wake.subscribe();
    loop {
        if signal.is_closed() || store.revoked_after(project_id, after, known).await? {
            return Ok(());
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(());
        }
        let nap = (deadline - now).min(POLL);
        tokio::select! {
            _ = announcements.changed() => {}
            () = tokio::time::sleep(nap) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        for c in [
            Cursor::At(Timestamp::from_millis(1_700_000_000_123), 0),
            Cursor::At(Timestamp::from_millis(1_700_000_000_123), 7),
            Cursor::Row(Timestamp::from_millis(5), "session-test-abc".into()),
        ] {
            assert_eq!(Cursor::parse(&c.render()), Some(c));
        }
        for bad in [
            "",
            "x",
            "-5",
            "12~",
            "1.x",
            "1.-2",
            "~abc",
            "99999999999999999999",
        ] {
            assert_eq!(Cursor::parse(bad), None, "{bad}");
        }
    }
}
