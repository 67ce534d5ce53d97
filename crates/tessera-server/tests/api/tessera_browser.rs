//! Tessera's own browser SDK (`sdk/js`: `@tessera/js`, `@tessera/react`) against a real
//! Tessera, on both backends:
//!
//! * in Chromium over HTTPS: the seeds' React components through `@tessera/react`, three tabs
//!   sharing one refresh, an outage, and HttpOnly cookie mode with a cross-site post
//!   (`sdk/js/e2e/run.mjs` drives the pages; this test boots the server and answers the
//!   script's requests for codes and backend sessions);
//! * in Node with jsdom (`sdk/js/packages/js/test/e2e.test.ts`): a password login, refreshes,
//!   `getServerSession` verifying the JWT against the server's JWKS, the user, TOTP, logout,
//!   and HttpOnly mode with a cookie jar.

use serde_json::Value;
use tessera_client::Client;
use tessera_server::model::project::{CookieMode, PolicyChange};
use tessera_server::service::projects::{self, NewProject};

use crate::browser::{backend_session, session_alive, spawn_tls};
use crate::delivery::code_in;
use crate::harness::{Backend, TestApp, both_backends, free_port};
use crate::sdk::{drive, installed, repo};

/// Names Chromium resolves to 127.0.0.1: Tessera, the app (same site as Tessera, as an app on
/// `app.example.com` with Tessera on `auth.example.com`), and another site.
const HOSTS: [&str; 3] = ["tessera.test", "app.tessera.test", "evil.test"];

both_backends!(sdk_unit_suite_against_the_server);

mod tessera_sdk_in_chromium {
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
    let e2e = repo().join("sdk/js/e2e/run.mjs");
    installed(repo().join("sdk/js/packages/js/dist/tessera.iife.js"));
    installed(repo().join("sdk/js/node_modules/playwright-core"));
    installed("/usr/bin/chromium".into());

    let listen = format!("127.0.0.1:{}", free_port());
    let (app, cert) = spawn_tls(
        backend,
        &listen,
        &[HOSTS[0], HOSTS[1], HOSTS[2], "localhost"],
    )
    .await;
    let server = format!("https://{}:{}", HOSTS[0], app.addr.port());

    let page_port = free_port();
    let page_origin = format!("https://{}:{page_port}", HOSTS[1]);
    let project = async |name: &str, mode: CookieMode| {
        projects::create(
            (&app.store, &app.master),
            NewProject {
                name: name.into(),
                authorized_origins: vec![page_origin.clone()],
                redirect_urls: vec![
                    format!("{page_origin}/"),
                    format!("{page_origin}/vanilla.html"),
                ],
                policy: PolicyChange {
                    cookie_mode: Some(mode),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap()
    };
    let readable = project("Readable", CookieMode::Readable).await;
    let httponly = project("HttpOnly", CookieMode::Httponly).await;
    let client = Client::builder(
        &format!("https://localhost:{}", app.addr.port()),
        &readable.project_id,
        &readable.secret,
    )
    .add_root_certificate_pem(cert.pem.as_bytes())
    .build()
    .unwrap();

    // A real OpenID provider, as the readable project's Google.
    let oidc =
        crate::oidc::OidcProvider::as_google(&app, &readable.project_id, ("tessera-js", &server))
            .await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(e2e)
        .env("OIDC_ISSUER", &oidc.issuer)
        .env("TESSERA_URL", &server)
        .env("PROJECT_ID", &readable.project_id)
        .env("PUBLIC_TOKEN", &readable.public_token)
        .env("HTTPONLY_PUBLIC_TOKEN", &httponly.public_token)
        .env("HOSTS", HOSTS.join(","))
        .env("CERT_PEM", &cert.cert_path)
        .env("KEY_PEM", &cert.key_path)
        .env("PAGE_PORT", page_port.to_string());
    drive(cmd, async |req: &Value| {
        let to = req["to"].as_str().unwrap_or_default();
        match req["need"].as_str().unwrap() {
            "email_code" => code_in(&app.smtp.last_to(to).await.data),
            "backend_session" => backend_session(&client, &app.smtp, to).await,
            "session_alive" => session_alive(&client, req).await,
            other => panic!("unknown request {other}"),
        }
    })
    .await;
}

/// The SDK's opt-in end-to-end vitest file, pointed at this server (the test project authorizes
/// `http://localhost:3000`, jsdom's origin). Its magic-link case reads a server log and is
/// skipped here; the Chromium test covers passcodes.
async fn sdk_unit_suite_against_the_server(app: &TestApp) {
    let sdk = installed(repo().join("sdk/js/node_modules/.bin/vitest"));
    let httponly = projects::create(
        (&app.store, &app.master),
        NewProject {
            name: "HttpOnly".into(),
            authorized_origins: vec!["http://localhost:3000".into()],
            policy: PolicyChange {
                cookie_mode: Some(CookieMode::Httponly),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let out = tokio::process::Command::new(sdk)
        .current_dir(repo().join("sdk/js"))
        .args(["run", "--reporter=json", "packages/js/test/e2e.test.ts"])
        .env("TESSERA_E2E_BASE_URL", app.url(""))
        .env("TESSERA_E2E_PUBLIC_TOKEN", &app.creds.public_token)
        .env("TESSERA_E2E_PROJECT_ID", &app.creds.project_id)
        .env("TESSERA_E2E_HTTPONLY_PUBLIC_TOKEN", &httponly.public_token)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(120), out)
        .await
        .expect("vitest finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = stdout
        .find('{')
        .and_then(|i| serde_json::from_str(&stdout[i..]).ok())
        .unwrap_or_else(|| {
            panic!(
                "a JSON report: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(out.status.success(), "{report:#}");
    assert_eq!(report["numPassedTests"], 2, "{report:#}");
    assert_eq!(report["numFailedTests"], 0, "{report:#}");
}

/// The example app, as a new user meets it: `examples/react-login/check.mjs` starts
/// `examples/react-login/run` (the SDK's build, `tessera serve` on the embedded default
/// database, Vite), logs in by email code in Chromium with two tabs open, logs out in one and
/// sees the other follow.
#[tokio::test]
async fn the_react_example_logs_in() {
    let dir = repo().join("examples/react-login");
    installed(repo().join("sdk/js/packages/react/dist/index.js"));
    let out = tokio::process::Command::new("node")
        .arg(dir.join("check.mjs"))
        .current_dir(&dir)
        .env("TESSERA_BIN", env!("CARGO_BIN_EXE_tessera"))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(300), out)
        .await
        .expect("check.mjs finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("check: OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
