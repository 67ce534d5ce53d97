//! Real processes for the cluster and chaos tests: a PostgreSQL cluster of the test's own (so it
//! can be stopped and started), `tessera serve` processes (so they can be killed), Debian's
//! nginx balancing them round-robin on loopback, and a load of `sessions/authenticate` calls
//! that records every outcome.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Mutex;

use tessera_server::model::project::ProjectCredentials;
use tessera_server::service::master_key::MasterKeySource;
use tessera_server::service::projects;
use tessera_server::store::{DatabaseUrl, Store};

use crate::delivery::{SmtpSink, WebhookSink};
use crate::harness::{WEBHOOK_SECRET, free_port, initdb, is_root, pg_bin_dir, pg_command};

/// A PostgreSQL cluster in a temporary directory, stopped and removed on drop.
pub(crate) struct PgCluster {
    dir: PathBuf,
    port: u16,
}

impl PgCluster {
    pub(crate) fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("tessera-chaos-pg-{}", free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            assert!(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir)
                    .status()
                    .unwrap()
                    .success()
            );
        }
        initdb(&dir.join("data"));
        let cluster = PgCluster {
            dir,
            port: free_port(),
        };
        cluster.pg_ctl(&["-w", "start"]);
        cluster
    }

    fn pg_ctl(&self, args: &[&str]) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let out = pg_command(&pg_bin_dir().join("pg_ctl"), is_root())
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-o", &opts, "-l"])
            .arg(self.dir.join("log"))
            .args(args)
            .output()
            .expect("run pg_ctl");
        assert!(
            out.status.success(),
            "pg_ctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the server (fast shutdown: connections are cut, as in a restart or fail-over).
    pub(crate) fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"]);
    }

    /// Starts it again.
    pub(crate) fn resume(&self) {
        self.pg_ctl(&["-w", "start"]);
    }

    /// The URL of the `postgres` database.
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = pg_command(&pg_bin_dir().join("pg_ctl"), is_root())
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A database with its first project and master key, and the receivers its servers deliver to.
pub(crate) struct Deployment {
    pub(crate) database: String,
    pub(crate) key: PathBuf,
    pub(crate) creds: ProjectCredentials,
    pub(crate) smtp: SmtpSink,
    smtp_url: String,
    pub(crate) sms: WebhookSink,
    sms_url: String,
    pub(crate) dir: tempfile::TempDir,
}

impl Deployment {
    /// Migrates `database` (a URL) and creates a test project on it.
    pub(crate) async fn new(database: String) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("master.key");
        tessera_server::sealing::MasterKey::create(&key).unwrap();
        let url = DatabaseUrl::parse(&database).unwrap();
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let master = tessera_server::service::master_key::unlock(
            &store,
            &MasterKeySource::File(key.clone()),
        )
        .await
        .unwrap();
        // The project a first start creates: the one a new user works with.
        let creds = projects::ensure_first_project(&store, &master)
            .await
            .unwrap()
            .expect("a fresh database");
        store.close().await;
        let (smtp, smtp_url) = SmtpSink::start().await;
        let (sms, sms_url) = WebhookSink::start(Some(WEBHOOK_SECRET)).await;
        Deployment {
            database,
            key,
            creds,
            smtp,
            smtp_url,
            sms,
            sms_url,
            dir,
        }
    }

    /// Creates another project like the first (same origins and redirect URL), for a scenario
    /// that needs a project of its own; works while servers run (PostgreSQL only).
    pub(crate) async fn another_project(&self) -> ProjectCredentials {
        let store = Store::connect(&DatabaseUrl::parse(&self.database).unwrap())
            .await
            .unwrap();
        let master = tessera_server::service::master_key::unlock(
            &store,
            &MasterKeySource::File(self.key.clone()),
        )
        .await
        .unwrap();
        let creds = projects::create(
            (&store, &master),
            projects::NewProject {
                name: "another".into(),
                authorized_origins: vec!["http://localhost:3000".into()],
                redirect_urls: vec!["http://localhost:3000/authenticate".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        store.close().await;
        creds
    }

    /// Starts `tessera serve` on a free port, and waits until it is ready.
    pub(crate) async fn serve(&self, extra: &[&str]) -> Instance {
        self.serve_on(free_port(), extra).await
    }

    /// Starts `tessera serve` on `port` (a restart of an instance that was there).
    pub(crate) async fn serve_on(&self, port: u16, extra: &[&str]) -> Instance {
        let log = self.dir.path().join(format!("tessera-{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "serve",
                "--database-url",
                &self.database,
                "--master-key-file",
            ])
            .arg(&self.key)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--smtp-url", &self.smtp_url])
            .args(["--sms-webhook-url", &self.sms_url])
            .args(["--sms-webhook-secret", WEBHOOK_SECRET])
            .args(extra)
            .env_remove("TESSERA_MASTER_KEY_FILE")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::options().append(true).open(&log).unwrap())
            .spawn()
            .expect("start tessera serve");
        let instance = Instance { child, port, log };
        instance.wait_ready(Duration::from_secs(30)).await;
        instance
    }
}

/// A `tessera serve` process, killed on drop.
pub(crate) struct Instance {
    child: Child,
    pub(crate) port: u16,
    log: PathBuf,
}

impl Instance {
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/readyz` answers 200.
    pub(crate) async fn wait_ready(&self, within: Duration) {
        wait_ready(&self.url(), within, &self.log).await;
    }

    /// `kill -9`: no drain, no flush.
    pub(crate) fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the process to end; returns its exit status and how long it took.
    pub(crate) fn terminate(&mut self) -> (std::process::ExitStatus, Duration) {
        let t = Instant::now();
        signal(self.pid(), "TERM");
        let status = self.child.wait().unwrap();
        (status, t.elapsed())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signal(pid: u32, name: &str) {
    assert!(
        Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

async fn wait_ready(url: &str, within: Duration, log: &Path) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + within;
    loop {
        if let Ok(r) = http.get(format!("{url}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} not ready within {within:?}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Debian's nginx balancing `upstreams` round-robin on a loopback port, stopped on drop.
pub(crate) struct Nginx {
    child: Child,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

/// Where Debian puts nginx.
pub(crate) fn nginx_binary() -> PathBuf {
    let path = PathBuf::from("/usr/sbin/nginx");
    assert!(
        path.exists(),
        "nginx is missing: run ./scripts/setup-sdk-tests (./scripts/test does)"
    );
    path
}

impl Nginx {
    pub(crate) async fn start(upstreams: &[u16]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let servers: String = upstreams
            .iter()
            .map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n"))
            .collect();
        let d = dir.path().display();
        // Round-robin; a request whose connection failed (an instance gone, or shutting down
        // between accepting a connection and reading from it) is retried on the next instance,
        // POSTs included: every call that must not run twice is single-use in the database, so
        // a retry of one that did run fails instead of acting twice.
        let conf = format!(
            "worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
                 access_log off;\n\
                 client_body_temp_path {d}/body;\n\
                 proxy_temp_path {d}/proxy;\n\
                 fastcgi_temp_path {d}/fastcgi;\n\
                 uwsgi_temp_path {d}/uwsgi;\n\
                 scgi_temp_path {d}/scgi;\n\
                 upstream tessera {{\n{servers}    }}\n\
                 server {{\n\
                     listen 127.0.0.1:{port};\n\
                     location / {{\n\
                         proxy_pass http://tessera;\n\
                         proxy_set_header Host $http_host;\n\
                         proxy_read_timeout 90s;\n\
                         proxy_next_upstream error timeout non_idempotent;\n\
                     }}\n\
                 }}\n\
             }}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("start nginx");
        let nginx = Nginx { child, port, dir };
        wait_ready(
            &nginx.url(),
            Duration::from_secs(10),
            &nginx.dir.path().join("stderr.log"),
        )
        .await;
        nginx
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request of a load: when it started and ended, and its HTTP status (0: no answer).
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) start: Instant,
    pub(crate) end: Instant,
    pub(crate) status: u16,
    pub(crate) error_type: String,
}

/// `conns` loops of `sessions/authenticate` on `tokens` at `url` until `stop`.
pub(crate) fn authenticate_load(
    url: String,
    (project_id, secret): (String, String),
    tokens: Arc<Vec<String>>,
    conns: usize,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<Outcome>> {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..conns)
            .map(|k| {
                let (http, url, tokens, stop, outcomes) = (
                    http.clone(),
                    format!("{url}/v1/sessions/authenticate"),
                    tokens.clone(),
                    stop.clone(),
                    outcomes.clone(),
                );
                let (project_id, secret) = (project_id.clone(), secret.clone());
                tokio::spawn(async move {
                    let mut i = k;
                    let mut mine = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        let token = &tokens[i % tokens.len()];
                        i += conns;
                        let start = Instant::now();
                        let r = http
                            .post(&url)
                            .basic_auth(&project_id, Some(&secret))
                            .json(&json!({ "session_token": token }))
                            .send()
                            .await;
                        let (status, error_type) = match r {
                            Ok(r) => {
                                let status = r.status().as_u16();
                                let body: Value = r.json().await.unwrap_or(Value::Null);
                                let t = body["error_type"].as_str().unwrap_or("").to_owned();
                                (status, t)
                            }
                            Err(e) => (0, e.to_string()),
                        };
                        mine.push(Outcome {
                            start,
                            end: Instant::now(),
                            status,
                            error_type,
                        });
                        if status != 200 {
                            // An outage answers at once: do not spin on it.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                    outcomes.lock().await.extend(mine);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        Arc::try_unwrap(outcomes).unwrap().into_inner()
    })
}
