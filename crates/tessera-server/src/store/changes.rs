//! The change feed: on PostgreSQL, a NOTIFY on `tessera_changes` when a project's policy,
//! secrets or signing keys change, so every instance forgets what it cached at once. Nothing on
//! SQLite, where one server holds the file and its admin socket tells it.

use std::time::Duration;

use sqlx::postgres::PgListener;

use super::{Pools, Store, StoreResult};

const CHANNEL: &str = "tessera_changes";

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

    /// Calls `changed` with the project id of every change announced by any instance, and with
    /// `"*"` whenever announcements may have been missed (on start, after a lost connection),
    /// until the pool closes. Returns at once on SQLite.
    pub async fn watch_changes(&self, changed: impl Fn(&str) + Send) {
        let Pools::Postgres { pool, .. } = &self.pools else {
            return;
        };
        while !pool.is_closed() {
            let listening = match PgListener::connect_with(pool).await {
                Ok(mut listener) => match listener.listen(CHANNEL).await {
                    Ok(()) => Some(listener),
                    Err(_) => None,
                },
                Err(_) => None,
            };
            match listening {
                Some(mut listener) => {
                    changed("*");
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(n)) => changed(n.payload()),
                            // The connection was lost and is being made again.
                            Ok(None) => changed("*"),
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
