//! Stytch's official browser SDK, unchanged, in a real Chromium against Tessera: the way a
//! team moving from Stytch runs it, with `customBaseUrl` pointing at Tessera served over HTTPS
//! on port 443 (the SDK drops any port and forces https). `sdk-tests/browser/run.js` drives
//! the page; this test boots the server on each backend and answers the script's requests.

use std::path::PathBuf;

use serde_json::{Value, json};
use tessera_client::Client;
use tessera_client::proto::sessions::AuthenticateSessionRequest;
use tessera_server::Config;
use tessera_server::config::TlsPaths;
use tessera_server::service::projects::{self, NewProject};

use crate::delivery::{SmtpSink, code_in, link_url};
use crate::harness::{Backend, TestApp, free_port, fresh_database, login, spawn_with};
use crate::sdk::{drive, installed, repo};

/// The name Chromium resolves to 127.0.0.1 for the test.
const HOST: &str = "tessera.test";

/// Port 443 is one per machine: the two backends take turns.
static PORT_443: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

mod official_browser_sdk_in_chromium {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}

async fn run(backend: Backend) {
    installed(repo().join("sdk-tests/browser/node_modules/@stytch/vanilla-js"));
    installed("/usr/bin/chromium".into());
    let _port = PORT_443.lock().await;

    let (app, cert) = spawn_tls(backend, "127.0.0.1:443", &[HOST, "localhost"]).await;
    assert_eq!(app.addr.port(), 443);

    // The app's page is served by the script on a port of its own: an authorized origin.
    let page_port = free_port();
    let page_origin = format!("http://localhost:{page_port}");
    let creds = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "Browser test".into(),
            authorized_origins: vec![page_origin.clone()],
            redirect_urls: vec![format!("{page_origin}/app.html")],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A real OpenID provider, as the project's Google.
    let server = format!("https://{HOST}");
    let oidc =
        crate::oidc::OidcProvider::as_google(&app, &creds.project_id, ("browser", &server)).await;
    let client = Client::builder("https://localhost:443", &creds.project_id, &creds.secret)
        .add_root_certificate_pem(cert.pem.as_bytes())
        .build()
        .unwrap();

    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(repo().join("sdk-tests/browser/run.js"))
        .env("PUBLIC_TOKEN", &creds.public_token)
        .env("TESSERA_HOST", HOST)
        .env("CERT_PEM", &cert.cert_path)
        .env("PAGE_PORT", page_port.to_string())
        .env("OIDC_ISSUER", &oidc.issuer);
    drive(cmd, async |req: &Value| {
        let to = req["to"].as_str().unwrap_or_default();
        match req["need"].as_str().unwrap() {
            "email_link" => link_url(&app.smtp.last_to(to).await).to_string(),
            "sms_code" => code_in(&app.sms.last_to("sms", to).await),
            "session_alive" => session_alive(&client, req).await,
            "backend_session" => backend_session(&client, &app.smtp, to).await,
            other => panic!("unknown request {other}"),
        }
    })
    .await;
}

/// Whether the token in a browser script's `session_alive` request still works on the server:
/// `"true"` or `"false"`.
pub(crate) async fn session_alive(client: &Client, req: &Value) -> String {
    let token = req["token"].as_str().unwrap().to_owned();
    let r = client
        .sessions()
        .authenticate(&AuthenticateSessionRequest {
            session_token: Some(token),
            ..Default::default()
        })
        .await;
    match r {
        Ok(_) => "true".into(),
        Err(e) if e.error_type() == Some("session_not_found") => "false".into(),
        Err(e) => panic!("session check failed: {e:?}"),
    }
}

/// A session made through the backend API (a magic-link login of `to`), for a browser script
/// to hydrate: `{session_token, session_jwt, session_id}`.
pub(crate) async fn backend_session(client: &Client, smtp: &SmtpSink, to: &str) -> String {
    let s = login(client, smtp, to, 60).await;
    json!({
        "session_token": s.session_token,
        "session_jwt": s.session_jwt,
        "session_id": s.session.unwrap().session_id,
    })
    .to_string()
}

/// A self-signed certificate, written with its key to a temporary directory (removed on drop).
pub(crate) struct TestCert {
    pub(crate) pem: String,
    pub(crate) cert_path: PathBuf,
    pub(crate) key_path: PathBuf,
    _dir: tempfile::TempDir,
}

/// A server on `backend` answering HTTPS on `listen` with a new certificate for `names`.
pub(crate) async fn spawn_tls(
    backend: Backend,
    listen: &str,
    names: &[&str],
) -> (TestApp, TestCert) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = rcgen::generate_simple_self_signed(names).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let (database, db_dir) = fresh_database(backend);
    let mut config = Config::for_tests(database);
    config.listen = listen.parse().unwrap();
    // The browser tests also drive the admin console.
    config.admin = true;
    config.tls = Some(TlsPaths {
        cert: cert_path.clone(),
        key: key_path.clone(),
    });
    let app = spawn_with(config, db_dir).await;
    let cert = TestCert {
        pem: cert.cert.pem(),
        cert_path,
        key_path,
        _dir: dir,
    };
    (app, cert)
}
