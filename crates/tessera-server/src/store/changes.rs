//! The change feed: on PostgreSQL, a NOTIFY on `tessera_changes` when a project's policy,
//! secrets or signing keys change, so every instance forgets what it cached at once, and on
//! `tessera_revocations` (sent by the database) when a session is revoked, so every instance
//! wakes the subscribers of its revocation feed. Nothing on SQLite, where one server holds the
//! file and its admin socket tells it.

use std::time::Duration;

use sqlx::postgres::PgListener;

use super::{Pools, Store, StoreResult};

const CHANNEL: &str = "tessera_changes";
const REVOCATIONS: &str = "tessera_revocations";

/// What another instance (or this one) announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// Something of this project changed: forget what is cached of it.
    Project(&'a str),
    /// Announcements may have been missed (on start, after a lost connection): forget
    /// everything, and look for revocations.
    Unknown,
    /// A session of this project was revoked.
    Revoked(&'a str),
}

impl Store {
    /// Announces that something of `project_id` changed.
    pub async fn notify_change(&self, project_id: &str) -> StoreResult<()> {
        if let Pools::Postgres { pool, .. } = &self.pools {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(project_id)
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Calls `changed` with every change announced by any instance, and with
    /// [`Change::Unknown`] whenever announcements may have been missed, until the pool closes.
    /// Returns at once on SQLite.
    pub async fn watch_changes(&self, changed: impl Fn(Change<'_>) + Send) {
        let Pools::Postgres { pool, .. } = &self.pools else {
            return;
        };
        while !pool.is_closed() {
            let listening = match PgListener::connect_with(pool).await {
                Ok(mut listener) => match listener.listen_all([CHANNEL, REVOCATIONS]).await {
                    Ok(()) => Some(listener),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            match listening {
                Some(mut listener) => {
                    changed(Change::Unknown);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(n)) if n.channel() == REVOCATIONS => {
                                changed(Change::Revoked(n.payload()));
                            }
                            Ok(Some(n)) => changed(Change::Project(n.payload())),
                            // The connection was lost and is being made again.
                            Ok(None) => changed(Change::Unknown),
                            Err(e) => {
                                tracing::warn!(error = %e, "change feed lost");
                                break;
                            }
                        }
                    }
                }
                None => tracing::warn!("change feed: cannot listen, retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}
