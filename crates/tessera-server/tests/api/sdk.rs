//! Stytch's official backend SDKs, unchanged, against Tessera on both backends: the Python SDK
//! (strict pydantic models, PyJWT local verification) and the Node SDK (jose local
//! verification) run the session guide's scenarios in `sdk-tests/`.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::delivery::{code_in, link_token};
use crate::harness::{TestApp, both_backends};

both_backends!(
    python_sdk_runs_the_session_guide,
    node_sdk_runs_the_session_guide
);

macro_rules! with_breach_server {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = crate::passwords::spawn(crate::harness::Backend::Sqlite).await;
                super::$name(&app).await;
            }
            #[tokio::test]
            async fn postgres() {
                let app = crate::passwords::spawn(crate::harness::Backend::Postgres).await;
                super::$name(&app).await;
            }
        }
    )*};
}

with_breach_server!(
    python_sdk_runs_passwords_and_totp,
    node_sdk_runs_passwords_and_totp
);

both_backends!(python_sdk_runs_webauthn_and_wallets);

/// Stytch's Python SDK runs passkeys (a software authenticator on `cryptography`) and wallet
/// logins (signatures by `eth-account` and PyNaCl) for a project on `https://app.example.com`.
async fn python_sdk_runs_webauthn_and_wallets(app: &TestApp) {
    let python = installed(repo().join("target/sdk-env/python/bin/python"));
    let creds = tessera_server::service::projects::create(
        (&app.store, &app.master),
        tessera_server::service::projects::NewProject {
            name: "Python keys".into(),
            authorized_origins: vec!["https://app.example.com".into()],
            redirect_urls: vec!["https://app.example.com/authenticate".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(repo().join("sdk-tests/python/webauthn_wallets.py"))
        .env("PROJECT_ID", &creds.project_id)
        .env("SECRET", &creds.secret)
        .env("ORIGIN", "https://app.example.com")
        .env("DOMAIN", "app.example.com")
        .env("SIWE_DOMAIN", "app.example.com");
    run_command(app, cmd).await;
}

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn installed(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run ./scripts/setup-sdk-tests (./scripts/test does)",
        path.display()
    );
    path
}

/// Runs an SDK script, answering its requests for links and codes from the harness's mail and
/// SMS receivers, and checks it ends with PASS.
async fn run(app: &TestApp, program: PathBuf, script: PathBuf) {
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg(script)
        .env("PROJECT_ID", &app.creds.project_id)
        .env("SECRET", &app.creds.secret);
    run_command(app, cmd).await
}

/// Runs a prepared SDK script command (its project and anything else set by the caller)
/// against `app`, answering its requests for links and codes.
pub(crate) async fn run_command(app: &TestApp, cmd: tokio::process::Command) {
    let url = format!("http://127.0.0.1:{}", app.addr.port());
    run_command_at(&url, (&app.smtp, &app.sms), cmd).await
}

/// Runs a prepared SDK script command against the server at `url`, answering its requests
/// for links and codes from `receivers`.
pub(crate) async fn run_command_at(
    url: &str,
    (smtp, sms): (&crate::delivery::SmtpSink, &crate::delivery::WebhookSink),
    mut cmd: tokio::process::Command,
) {
    cmd.env("TESSERA_URL", url)
        .env("BREACHED_PASSWORD", crate::passwords::BREACHED[0]);
    drive(cmd, async |req: &Value| {
        let to = req["to"].as_str().unwrap();
        match req["need"].as_str().unwrap() {
            "email_link" => link_token(&smtp.last_to(to).await),
            "reset_link" => {
                crate::delivery::typed_link_url(&smtp.last_to(to).await, "reset_password")
                    .query_pairs()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v.into_owned())
                    .unwrap()
            }
            "sms_code" => code_in(&sms.last_to("sms", to).await),
            other => panic!("unknown request {other}"),
        }
    })
    .await;
}

/// Runs a test script that prints `{"need": ...}` lines and reads one answer line for each,
/// and checks that it succeeds with PASS as its last line.
pub(crate) async fn drive(
    mut cmd: tokio::process::Command,
    mut answer: impl AsyncFnMut(&Value) -> String,
) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the SDK script");
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut transcript = String::new();
    let run = async {
        while let Some(line) = out.next_line().await.unwrap() {
            transcript.push_str(&line);
            transcript.push('\n');
            if let Some(step) = line.strip_prefix("# ") {
                eprintln!("{step}");
            }
            let Ok(req) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let reply = answer(&req).await;
            stdin
                .write_all(format!("{reply}\n").as_bytes())
                .await
                .unwrap();
            stdin.flush().await.unwrap();
        }
    };
    let finished = tokio::time::timeout(std::time::Duration::from_secs(180), run).await;
    if finished.is_err() {
        let _ = child.start_kill();
    }
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        finished.is_ok() && output.status.success() && transcript.lines().last() == Some("PASS"),
        "SDK script failed ({}):\n{transcript}\n{stderr}",
        output.status
    );
}

async fn python_sdk_runs_the_session_guide(app: &TestApp) {
    let python = installed(repo().join("target/sdk-env/python/bin/python"));
    run(
        app,
        python,
        repo().join("sdk-tests/python/session_guide.py"),
    )
    .await;
}

async fn node_sdk_runs_the_session_guide(app: &TestApp) {
    installed(repo().join("sdk-tests/node/node_modules/stytch"));
    run(
        app,
        PathBuf::from("node"),
        repo().join("sdk-tests/node/session_guide.js"),
    )
    .await;
}

async fn python_sdk_runs_passwords_and_totp(app: &TestApp) {
    let python = installed(repo().join("target/sdk-env/python/bin/python"));
    run(
        app,
        python,
        repo().join("sdk-tests/python/passwords_totp.py"),
    )
    .await;
}

async fn node_sdk_runs_passwords_and_totp(app: &TestApp) {
    installed(repo().join("sdk-tests/node/node_modules/stytch"));
    run(
        app,
        PathBuf::from("node"),
        repo().join("sdk-tests/node/passwords_totp.js"),
    )
    .await;
}
