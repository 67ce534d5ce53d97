//! Boots servers for tests: SQLite in a temporary directory, or a fresh database on PostgreSQL
//! (`TESSERA_TEST_DATABASE_URL`, or a throw-away cluster started with initdb/pg_ctl).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tessera_client::Client;
use tessera_server::model::project::ProjectCredentials;
use tessera_server::service::master_key::MasterKeySource;
use tessera_server::service::projects::{self, NewProject};
use tessera_server::store::DatabaseUrl;
use tessera_server::{Config, Server};
use tokio::sync::oneshot;

use crate::delivery::{SmtpSink, WebhookSink};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// A running server with a project and a client for it.
pub(crate) struct TestApp {
    pub(crate) smtp: SmtpSink,
    pub(crate) sms: WebhookSink,
    pub(crate) addr: SocketAddr,
    pub(crate) base_url: String,
    pub(crate) creds: ProjectCredentials,
    pub(crate) client: Client,
    pub(crate) store: tessera_server::store::Store,
    shutdown: Option<oneshot::Sender<()>>,
    /// The running server, for [`TestApp::restart`].
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// What it was built with.
    config: Config,
    pub(crate) master: std::sync::Arc<tessera_server::sealing::MasterKey>,
    /// The database and its master key, for the `tessera` binary.
    pub(crate) database: (DatabaseUrl, MasterKeySource),
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// Creates another project on the same server.
    pub(crate) async fn new_project(&self, live: bool) -> (ProjectCredentials, Client) {
        let creds = projects::create(
            (&self.store, &self.master),
            NewProject {
                name: "another".into(),
                live,
                ..Default::default()
            },
        )
        .await
        .expect("create project");
        let client = Client::new(&self.base_url, &creds.project_id, &creds.secret).unwrap();
        (creds, client)
    }

    /// A raw HTTP client and the URL of `path`, for wire-level tests.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

impl TestApp {
    /// Stops the server (gracefully, as SIGTERM does) and starts a new one on the same
    /// database, as a deploy does; the new one listens on another port.
    pub(crate) async fn restart(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        let server = Server::build(&self.config).await.expect("server rebuilds");
        self.addr = server.local_addr();
        let scheme = if server.is_tls() { "https" } else { "http" };
        self.base_url = format!("{scheme}://localhost:{}", self.addr.port());
        self.store = server.store().clone();
        self.master = std::sync::Arc::clone(server.master_key());
        let (tx, rx) = oneshot::channel();
        self.task = Some(tokio::spawn(server.run(async {
            let _ = rx.await;
        })));
        self.shutdown = Some(tx);
        self.client =
            Client::new(&self.base_url, &self.creds.project_id, &self.creds.secret).unwrap();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A fresh database of `backend`, with the temp dir that must outlive it.
pub(crate) fn fresh_database(backend: Backend) -> (DatabaseUrl, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = DatabaseUrl::Sqlite(dir.path().join("tessera.db"));
            (url, Some(dir))
        }
        // The master key file lives here (PostgreSQL has no default place for it).
        Backend::Postgres => (
            DatabaseUrl::Postgres(postgres_database()),
            Some(tempfile::tempdir().unwrap()),
        ),
    }
}

pub(crate) async fn spawn_app(backend: Backend) -> TestApp {
    let (database, dir) = fresh_database(backend);
    spawn_with(Config::for_tests(database), dir).await
}

pub(crate) async fn spawn_with(config: Config, dir: Option<tempfile::TempDir>) -> TestApp {
    spawn_delivering(config, dir, Deliveries::Signed).await
}

/// The secret the test webhook checks signatures with.
pub(crate) const WEBHOOK_SECRET: &str = "test-webhook-secret";

/// What delivery a test server is configured with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deliveries {
    /// SMTP and a webhook that checks the signature of every call.
    Signed,
    /// SMTP and a webhook without a secret.
    Unsigned,
    /// Neither: development delivery to the log.
    Off,
}

/// A server on a fresh database of `backend` with the given delivery.
pub(crate) async fn spawn_delivering_on(backend: Backend, deliveries: Deliveries) -> TestApp {
    let (database, dir) = fresh_database(backend);
    spawn_delivering(Config::for_tests(database), dir, deliveries).await
}

pub(crate) async fn spawn_delivering(
    mut config: Config,
    dir: Option<tempfile::TempDir>,
    deliveries: Deliveries,
) -> TestApp {
    let secret = (deliveries == Deliveries::Signed).then_some(WEBHOOK_SECRET);
    let (smtp, smtp_url) = SmtpSink::start().await;
    let (sms, sms_url) = WebhookSink::start(secret).await;
    if deliveries != Deliveries::Off {
        config.delivery.smtp_url = Some(smtp_url);
        config.delivery.sms_webhook_url = Some(sms_url);
        config.delivery.sms_webhook_secret = secret.map(Into::into);
    }
    if config.master_key == MasterKeySource::Missing {
        let path = dir
            .as_ref()
            .expect("a directory for the key")
            .path()
            .join("master.key");
        if !path.exists() {
            tessera_server::sealing::MasterKey::create(&path).unwrap();
        }
        config.master_key = MasterKeySource::File(path);
    }
    let server = Server::build(&config).await.expect("server builds");
    let addr = server.local_addr();
    let creds = server
        .first_project()
        .cloned()
        .expect("a fresh database gets a first project");
    let store = server.store().clone();
    let master = std::sync::Arc::clone(server.master_key());
    let scheme = if server.is_tls() { "https" } else { "http" };
    let base_url = format!("{scheme}://localhost:{}", addr.port());
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let client = Client::new(&base_url, &creds.project_id, &creds.secret).unwrap();
    TestApp {
        smtp,
        sms,
        addr,
        base_url,
        creds,
        client,
        store,
        shutdown: Some(tx),
        task: Some(task),
        config: config.clone(),
        master,
        database: (config.database.clone(), config.master_key.clone()),
        _dir: dir,
    }
}

/// Another server on the same database (another instance of a cluster), stopped on drop.
pub(crate) struct Instance {
    #[allow(dead_code)]
    pub(crate) base_url: String,
    pub(crate) client: Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    /// Starts another server on this one's database, master key and delivery settings.
    pub(crate) async fn another_instance(&self) -> Instance {
        let (database, master_key) = self.database.clone();
        let mut config = Config::for_tests(database);
        config.master_key = master_key;
        config.webhook_retry_base = self.config.webhook_retry_base;
        let server = Server::build(&config).await.expect("server builds");
        let base_url = format!("http://localhost:{}", server.local_addr().port());
        let (tx, rx) = oneshot::channel();
        tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        let client = Client::new(&base_url, &self.creds.project_id, &self.creds.secret).unwrap();
        Instance {
            base_url,
            client,
            shutdown: Some(tx),
        }
    }
}

/// The `tessera` binary on a database and its master key, as an operator runs it.
pub(crate) fn tessera_command(
    (db, key): &(DatabaseUrl, MasterKeySource),
    args: &[&str],
) -> Command {
    let url = match db {
        DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        DatabaseUrl::Postgres(u) => u.clone(),
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.args(args)
        .args(["--database-url", &url])
        .env_remove("TESSERA_MASTER_KEY_FILE");
    if let MasterKeySource::File(p) = key {
        cmd.arg("--master-key-file").arg(p);
    }
    cmd
}

/// Declares `$name::sqlite` and `$name::postgres` tests that run `async fn $name(&TestApp)`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::harness::spawn_app($crate::harness::Backend::Sqlite).await;
                super::$name(&app).await;
            }
            #[tokio::test]
            async fn postgres() {
                let app = $crate::harness::spawn_app($crate::harness::Backend::Postgres).await;
                super::$name(&app).await;
            }
        }
    )*};
}
pub(crate) use both_backends;

// ---------------------------------------------------------------------------------------------
// PostgreSQL

struct Cluster {
    /// `postgres://postgres@127.0.0.1:PORT` without a database name.
    base_url: String,
    host: String,
    port: u16,
    user: String,
    psql: PathBuf,
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

pub(crate) fn pg_bin_dir() -> PathBuf {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if p.join("initdb").exists() {
            return p;
        }
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| rd.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|p| p.join("initdb").exists())
        .expect("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql or set TESSERA_TEST_DATABASE_URL")
}

/// Runs a PostgreSQL tool, as the `postgres` user when we are root (initdb refuses root).
pub(crate) fn pg_command(bin: &Path, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A new cluster's data directory (trust authentication, user `postgres`).
pub(crate) fn initdb(data: &Path) {
    let out = pg_command(&pg_bin_dir().join("initdb"), is_root())
        .arg("-D")
        .arg(data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ])
        .output()
        .expect("run initdb");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_cluster() -> Cluster {
    let bin = pg_bin_dir();
    let root = is_root();
    let dir = std::env::temp_dir().join(format!("tessera-pg-{}", uuid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    if root {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "chown of the PostgreSQL test directory failed");
    }
    let data = dir.join("data");
    initdb(&data);
    let port = free_port();
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=400",
        dir.display()
    );
    let out = pg_command(&bin.join("pg_ctl"), root)
        .arg("-D")
        .arg(&data)
        .args(["-o", &opts, "-l"])
        .arg(dir.join("log"))
        .args(["-w", "start"])
        .output()
        .expect("run pg_ctl");
    assert!(
        out.status.success(),
        "pg_ctl start failed: {}{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(dir.join("log")).unwrap_or_default()
    );
    // A watchdog stops the cluster and removes its files once this test process is gone,
    // however it ends.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser}{pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        runuser = if root { "runuser -u postgres -- " } else { "" },
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display(),
    );
    // Deliberately never waited for: the watchdog must outlive this process.
    #[allow(clippy::zombie_processes)]
    Command::new("setsid")
        .args(["sh", "-c", &stop])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the PostgreSQL watchdog");
    Cluster {
        base_url: format!("postgres://postgres@127.0.0.1:{port}"),
        host: "127.0.0.1".into(),
        port,
        user: "postgres".into(),
        psql: bin.join("psql"),
    }
}

/// A name unique across test processes and threads.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}-{n}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| match std::env::var("TESSERA_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let u = url::Url::parse(&url).expect("TESSERA_TEST_DATABASE_URL is a URL");
            let mut base = u.clone();
            base.set_path("");
            Cluster {
                base_url: base.to_string().trim_end_matches('/').to_owned(),
                host: u.host_str().unwrap_or("127.0.0.1").to_owned(),
                port: u.port().unwrap_or(5432),
                user: u.username().to_owned(),
                psql: pg_bin_dir().join("psql"),
            }
        }
        _ => start_cluster(),
    })
}

/// Creates a fresh, empty database and returns its URL.
fn postgres_database() -> String {
    let c = cluster();
    let name = format!("tessera_test_{}", uuid_like().replace('-', "_"));
    let mut cmd = Command::new(&c.psql);
    cmd.args([
        "-h",
        &c.host,
        "-p",
        &c.port.to_string(),
        "-U",
        &c.user,
        "-d",
        "postgres",
    ])
    .args([
        "-v",
        "ON_ERROR_STOP=1",
        "-q",
        "-c",
        &format!("CREATE DATABASE {name}"),
    ]);
    if let Ok(url) = std::env::var("TESSERA_TEST_DATABASE_URL")
        && let Ok(u) = url::Url::parse(&url)
        && let Some(pw) = u.password()
    {
        cmd.env("PGPASSWORD", pw);
    }
    let out = cmd.output().expect("run psql");
    assert!(
        out.status.success(),
        "CREATE DATABASE failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{}/{name}", c.base_url)
}

// ---------------------------------------------------------------------------------------------
// Login helpers

use tessera_client::proto::magic_links::{AuthenticateMagicLinkRequest, EmailMagicLinkRequest};
use tessera_client::proto::sessions::{FactorAuthenticateResponse, SessionOptions};

impl TestApp {
    /// Sends a login_or_create magic link to `email` and returns the token from the email.
    pub(crate) async fn magic_link_token(&self, email: &str) -> String {
        magic_link_token(&self.client, &self.smtp, email).await
    }

    /// Logs `email` in by magic link with a session of `minutes`.
    pub(crate) async fn login(&self, email: &str, minutes: i64) -> FactorAuthenticateResponse {
        login(&self.client, &self.smtp, email, minutes).await
    }

    /// Revokes the session of `token` through the backend API.
    pub(crate) async fn revoke_token(&self, token: &str) {
        self.client
            .sessions()
            .revoke(&tessera_client::proto::sessions::RevokeSessionRequest {
                session_token: Some(token.to_owned()),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

/// Sends a login_or_create magic link to `email` through `client` and returns its token.
pub(crate) async fn magic_link_token(client: &Client, smtp: &SmtpSink, email: &str) -> String {
    client
        .magic_links()
        .login_or_create(&EmailMagicLinkRequest {
            email: email.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    crate::delivery::link_token(&smtp.last_to(email).await)
}

/// Logs `email` in by magic link through `client`, with a session of `minutes`.
pub(crate) async fn login(
    client: &Client,
    smtp: &SmtpSink,
    email: &str,
    minutes: i64,
) -> FactorAuthenticateResponse {
    let token = magic_link_token(client, smtp, email).await;
    client
        .magic_links()
        .authenticate(&AuthenticateMagicLinkRequest {
            token,
            session: SessionOptions {
                session_duration_minutes: Some(minutes),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The API error of a call that must fail: (HTTP status, error_type).
pub(crate) fn api_error<T: std::fmt::Debug>(
    r: Result<T, tessera_client::ClientError>,
) -> (u16, String) {
    match r {
        Err(tessera_client::ClientError::Api(e)) => (e.status_code, e.error_type),
        other => panic!("expected an API error, got {other:?}"),
    }
}
