//! Secrets at rest, tried as an attacker with a copy of the database would: signing keys and
//! session tokens are sealed under a master key kept outside it; a server given the wrong key
//! (or none) refuses to start; `tessera master-key rotate` re-seals everything.

use std::path::Path;

use tessera_client::Client;
use tessera_client::proto::sessions::AuthenticateSessionRequest;
use tessera_server::model::project::ProjectCredentials;
use tessera_server::sealing::{MasterKey, sealed_by};
use tessera_server::service::master_key::MasterKeySource;
use tessera_server::store::{DatabaseUrl, SqliteSharing, Store};
use tessera_server::{Config, Server};

use crate::delivery::SmtpSink;
use crate::harness::{Backend, fresh_database, login, tessera_command};

#[tokio::test]
async fn sealed_at_rest_sqlite() {
    sealed_at_rest(Backend::Sqlite).await;
}

#[tokio::test]
async fn sealed_at_rest_postgres() {
    sealed_at_rest(Backend::Postgres).await;
}

/// A server running on threads of its own, as a process of its own would: SQLite's readers
/// are per thread, and a thread's connections close when it ends.
pub(crate) struct Running {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Stops the server and waits until its threads (and their connections) are gone.
    pub(crate) async fn stop(mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            tokio::task::spawn_blocking(move || t.join().unwrap())
                .await
                .unwrap();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self.stop.take());
    }
}

/// Starts a server on `config`: its URL, the credentials of a first project it created, and
/// the handle that stops it.
pub(crate) fn start(config: &Config) -> (String, Option<ProjectCredentials>, Running) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let config = config.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = Server::build(&config).await.expect("server builds");
            let first = server.first_project().cloned();
            ready_tx.send((server.local_addr(), first)).unwrap();
            let _ = server
                .run(async {
                    let _ = rx.await;
                })
                .await;
        });
    });
    let (addr, first) = ready_rx.recv().unwrap();
    let running = Running {
        stop: Some(tx),
        thread: Some(thread),
    };
    (format!("http://127.0.0.1:{}", addr.port()), first, running)
}

async fn refused(config: &Config) -> String {
    match Server::build(config).await {
        Ok(_) => panic!("the server started"),
        Err(e) => format!("{e:#}"),
    }
}

fn by_jwt(jwt: &str) -> AuthenticateSessionRequest {
    AuthenticateSessionRequest {
        session_jwt: Some(jwt.to_owned()),
        ..Default::default()
    }
}

/// Every file of an SQLite database, as a thief would copy them.
fn copied_files(db: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        all.extend(std::fs::read(&name).unwrap_or_default());
    }
    all
}

fn rotate_cli(db: &DatabaseUrl, key: &MasterKeySource, new: &Path) -> String {
    let new = new.display().to_string();
    let database = (db.clone(), key.clone());
    let out = tessera_command(&database, &["master-key", "rotate", "--new-key-file", &new])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

async fn sealed_at_rest(backend: Backend) {
    let (db, dir) = fresh_database(backend);
    let dir = dir.expect("a directory for the key");
    let mut config = Config::for_tests(db.clone());
    // Restarts in one process: no exclusive hold of the SQLite file between them.
    config.sqlite_sharing = SqliteSharing::Shared;
    if backend == Backend::Postgres {
        let path = dir.path().join("master.key");
        MasterKey::create(&path).unwrap();
        config.master_key = MasterKeySource::File(path);
    }
    let key_file = config.master_key.path().unwrap().to_owned();

    // A session, then what is stored.
    let (smtp, smtp_url) = SmtpSink::start().await;
    config.delivery.smtp_url = Some(smtp_url);
    let (url, creds, first) = start(&config);
    let creds = creds.expect("a first project");
    let client = Client::new(&url, &creds.project_id, &creds.secret).unwrap();
    let login = login(&client, &smtp, "sealed@example.com", 60).await;
    let token = login.session_token.clone();
    let jwt = login.session_jwt.clone();
    let r = client.sessions().authenticate(&by_jwt(&jwt)).await.unwrap();
    assert_eq!(r.session_token, token, "the token comes back by JWT");
    first.stop().await;
    let store = Store::connect(&db).await.unwrap();
    for (_, kid, stored) in store.signing_key_secrets().await.unwrap() {
        assert!(sealed_by(&stored).is_some(), "{kid} is sealed");
    }
    store.close().await;
    if let DatabaseUrl::Sqlite(path) = &db {
        let bytes = copied_files(path);
        let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!find(token.as_bytes()), "no token in the copied files");
        assert!(find(b"sealed@example.com"), "the copy is a real one");
    }

    // Another key: refused, naming both keys.
    let other = dir.path().join("other.key");
    let other_id = MasterKey::create(&other).unwrap().id();
    let wrong = Config {
        master_key: MasterKeySource::File(other.clone()),
        ..config.clone()
    };
    let err = refused(&wrong).await;
    assert!(err.contains("does not open this database"), "{err}");
    assert!(err.contains(&other_id), "{err}");
    // No key at all: refused, never a fresh key generated in silence.
    let moved = dir.path().join("moved.key");
    std::fs::rename(&key_file, &moved).unwrap();
    let err = refused(&config).await;
    assert!(err.contains("master key"), "{err}");
    std::fs::rename(&moved, &key_file).unwrap();
    if backend == Backend::Postgres {
        let none = Config {
            master_key: MasterKeySource::Missing,
            ..config.clone()
        };
        assert!(refused(&none).await.contains("--master-key-file"));
    }

    // Rotation re-seals keys and tokens: the old session still works, by token and by JWT,
    // under the new key only.
    let old_copy = dir.path().join("old.key");
    std::fs::copy(&key_file, &old_copy).unwrap();
    let new = dir.path().join("new.key");
    let said = rotate_cli(&db, &config.master_key, &new);
    assert!(said.contains("re-sealed"), "{said}");
    let after = match &config.master_key {
        MasterKeySource::Beside(p) => {
            assert_eq!(std::fs::read(p).unwrap(), std::fs::read(&new).unwrap());
            config.clone()
        }
        _ => Config {
            master_key: MasterKeySource::File(new.clone()),
            ..config.clone()
        },
    };
    let (url, _, after_rotation) = start(&after);
    let client = Client::new(&url, &creds.project_id, &creds.secret).unwrap();
    let r = client.sessions().authenticate(&by_jwt(&jwt)).await.unwrap();
    assert_eq!(r.session_token, token);
    let by_token = AuthenticateSessionRequest {
        session_token: Some(token.clone()),
        ..Default::default()
    };
    let fresh = client.sessions().authenticate(&by_token).await.unwrap();
    assert!(
        !fresh.session_jwt.is_empty(),
        "signing works with the re-sealed key"
    );
    after_rotation.stop().await;
    let old = Config {
        master_key: MasterKeySource::File(old_copy),
        ..config.clone()
    };
    assert!(refused(&old).await.contains("does not open this database"));
}
