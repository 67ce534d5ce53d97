use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use std::sync::Arc;

use crate::config::Config;
use crate::delivery::Delivery;
use crate::model::Timestamp;
use crate::model::project::ProjectCredentials;
use crate::service;
use crate::service::sessions::SessionEngine;
use crate::state::{AppState, Shared};
use crate::store::Store;

/// A bound, migrated server, not yet serving. `build` then `run`; tests bind port 0 and read
/// [`Server::local_addr`].
pub struct Server {
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: AppState,
    purge_interval: Duration,
    first_project: Option<ProjectCredentials>,
    admin: Option<crate::admin::AdminListener>,
    /// Event retention for projects that set none.
    retention_days: i64,
    /// The webhook dispatcher's first retry delay.
    webhook_retry_base: Duration,
    /// `--metrics-listen`, bound.
    metrics_listener: Option<std::net::TcpListener>,
}

/// Connects to the database, retrying with backoff (and saying so) for up to
/// `config.database_wait` while it cannot be reached: a server started beside its database
/// (compose, Kubernetes) waits for it instead of exiting at once. Errors that will not pass (a
/// wrong password, a missing database) end start-up at once.
async fn connect_patiently(config: &Config) -> anyhow::Result<Store> {
    let give_up = std::time::Instant::now() + config.database_wait;
    let mut pause = Duration::from_millis(250);
    let mut attempt = 1u32;
    loop {
        match Store::connect_pooled(
            &config.database,
            config.sqlite_sharing,
            config.database_timeout,
        )
        .await
        {
            Ok(store) => {
                if attempt > 1 {
                    tracing::info!(attempt, "connected to the database");
                }
                return Ok(store);
            }
            Err(e) if Store::retryable(&e) && std::time::Instant::now() + pause < give_up => {
                tracing::warn!(
                    error = %format!("{e:#}"),
                    attempt,
                    retry_in_ms = pause.as_millis() as u64,
                    "the database cannot be reached yet: retrying"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Installs the process-wide rustls crypto provider (idempotent).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Server {
    /// Connects to the database, runs migrations, creates the first project on an empty
    /// database, loads TLS material and binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        install_crypto_provider();
        let delivery = Delivery::new(&config.delivery)?;
        let store = connect_patiently(config).await?;
        store.migrate().await.context("running migrations")?;
        let master = service::master_key::unlock(&store, &config.master_key).await?;
        let first_project = service::projects::ensure_first_project(&store, &master).await?;
        let tls = config
            .tls
            .as_ref()
            .map(|paths| crate::http::serve::load_tls(&paths.cert, &paths.key))
            .transpose()?;
        let listener = std::net::TcpListener::bind(config.listen)
            .with_context(|| format!("binding {}", config.listen))?;
        listener.set_nonblocking(true)?;
        // The admin socket is bound once the database is held and the port is bound (nothing
        // left to fail), and before the server says it listens. With --sqlite-shared the admin
        // commands open the file themselves.
        let admin = match crate::admin::socket_path(&config.database) {
            Some(path) if config.sqlite_sharing == crate::store::SqliteSharing::Exclusive => {
                match crate::admin::AdminListener::bind(&path) {
                    Ok(l) => Some(l),
                    Err(e) => {
                        tracing::warn!(
                            error = %format!("{e:#}"),
                            "no admin socket: the admin commands need the server stopped"
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        let metrics_listener = match config.metrics.listen {
            Some(addr) => {
                let l = std::net::TcpListener::bind(addr)
                    .with_context(|| format!("binding the metrics listener {addr}"))?;
                l.set_nonblocking(true)?;
                Some(l)
            }
            None => None,
        };
        if config.metrics.enabled() {
            crate::http::metrics::handle();
        }
        let sessions = SessionEngine::new(
            store,
            config.key_cache_ttl,
            Box::new(crate::http::WireRender),
            master,
        )
        .context("starting the JWT signing thread")?;
        Ok(Server {
            listener,
            tls,
            state: AppState::new(Shared {
                sessions,
                delivery,
                trusted_proxies: config.trusted_proxies.clone(),
                projects: Default::default(),
                passwords: crate::service::passwords::Passwords::new(
                    config.pwned_passwords_url.as_deref(),
                ),
                oauth: crate::service::oauth::Providers::new(config.public_url.clone()),
                revocations: Default::default(),
                ready: std::sync::atomic::AtomicBool::new(true),
                metrics: config.metrics.clone(),
                admin_console: config.admin,
            }),
            purge_interval: config.purge_interval,
            first_project,
            admin,
            retention_days: config.event_retention_days,
            webhook_retry_base: config.webhook_retry_base,
            metrics_listener,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Whether the server speaks HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Credentials of the project created because the database was empty, if any.
    pub fn first_project(&self) -> Option<&ProjectCredentials> {
        self.first_project.as_ref()
    }

    /// The master key, for administrative tasks beside the server (and tests).
    pub fn master_key(&self) -> &Arc<crate::sealing::MasterKey> {
        self.state.sessions.master_key()
    }

    /// The store, for administrative tasks beside the server (and tests).
    pub fn store(&self) -> &Store {
        self.state.store()
    }

    /// Serves until `shutdown` completes, then drains in-flight requests (up to 10 s) and closes
    /// the database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let store = self.state.store().clone();
        let purge = tokio::spawn(purge_loop(
            store.clone(),
            self.purge_interval,
            self.retention_days,
        ));
        let (stop_dispatcher, dispatcher_stopped) = tokio::sync::oneshot::channel::<()>();
        let dispatcher = tokio::spawn(
            service::webhooks::Dispatcher::new(
                store.clone(),
                Arc::clone(self.state.sessions.master_key()),
                self.webhook_retry_base,
            )
            .run(async move {
                let _ = dispatcher_stopped.await;
            }),
        );
        let upkeep = self
            .state
            .metrics
            .enabled()
            .then(|| tokio::spawn(crate::http::metrics::upkeep()));
        let metrics = match self.metrics_listener {
            Some(l) => Some(tokio::spawn(crate::http::metrics::serve_own(
                tokio::net::TcpListener::from_std(l)?,
                self.state.clone(),
            ))),
            None => None,
        };
        let _checkpoints = store.start_checkpoints();
        let access = Arc::clone(self.state.sessions.access_log());
        let writer = {
            let (access, store) = (Arc::clone(&access), store.clone());
            tokio::spawn(async move { access.run(store).await })
        };
        let feed = {
            let (state, store) = (self.state.clone(), store.clone());
            tokio::spawn(async move {
                store
                    .watch_changes(|change| match change {
                        crate::store::Change::Revoked(_) => state.revocations.announce(),
                        crate::store::Change::Project(_) => {
                            state.projects.clear();
                            state.sessions.forget_keys();
                        }
                        crate::store::Change::Unknown => {
                            state.projects.clear();
                            state.sessions.forget_keys();
                            state.revocations.announce();
                        }
                    })
                    .await
            })
        };
        let (admin_stop, admin_stopped) = tokio::sync::oneshot::channel::<()>();
        let admin = self.admin.map(|listener| {
            let state = self.state.clone();
            let changed: crate::admin::Changed = Arc::new(move || {
                state.projects.clear();
                state.sessions.forget_keys();
            });
            let held = crate::admin::Held {
                store: store.clone(),
                master: Arc::clone(self.state.sessions.master_key()),
            };
            tokio::spawn(crate::admin::serve(listener, held, changed, async move {
                let _ = admin_stopped.await;
            }))
        });
        let draining = {
            let state = self.state.clone();
            async move {
                shutdown.await;
                // Not ready from now on, and the feed's long polls answer at once, so that the
                // drain below waits only for real requests.
                state
                    .ready
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                state.revocations.close();
            }
        };
        let router = crate::http::router(self.state);
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        crate::http::serve::serve(listener, router, self.tls, draining).await;
        let _ = admin_stop.send(());
        if let Some(admin) = admin {
            let _ = admin.await;
        }
        purge.abort();
        feed.abort();
        // Deliveries in flight finish (or time out) before the database closes.
        let _ = stop_dispatcher.send(());
        let _ = dispatcher.await;
        for task in [metrics, upkeep].into_iter().flatten() {
            task.abort();
        }
        access.stop();
        let _ = writer.await;
        store.close().await;
        Ok(())
    }
}

/// Deletes expired sessions, links, codes and long-retired keys, and events past their
/// retention (`retention_days` where a project sets none), every `every`. It runs beside the
/// request path (expiry is enforced by every query anyway) and deletes in small batches.
async fn purge_loop(store: Store, every: Duration, retention_days: i64) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match service::purge_expired(&store, Timestamp::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "purged expired rows"),
            Err(e) => tracing::warn!(error = %e, "purge of expired rows failed"),
        }
        match service::events::purge(&store, Timestamp::now(), retention_days).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "purged events past their retention"),
            Err(e) => tracing::warn!(error = %e, "purge of events failed"),
        }
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed by this call, not when the future
/// is first polled: a signal that arrives before the accept loop polls it (right after the
/// server said it listens, say) still ends the server gracefully instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::terminate()).and_then(|t| Ok((t, signal(SignalKind::interrupt())?)))
    };
    async move {
        #[cfg(unix)]
        match signals {
            Ok((mut term, mut int)) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}
