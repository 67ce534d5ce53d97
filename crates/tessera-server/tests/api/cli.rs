//! The `tessera` binary as a user runs it: first start, `project create --json`, `migrate`,
//! configuration errors, graceful shutdown, who may open the SQLite file meanwhile, and the admin
//! commands that reach a running server.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

fn tessera(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("TESSERA_DATABASE_URL")
        .env_remove("TESSERA_DATA_DIR");
    c
}

/// Runs a command that must succeed; its stdout.
fn succeed(args: &[&str]) -> Vec<u8> {
    let out = tessera(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A `tessera serve` child process.
struct Running {
    child: Child,
    /// `http://127.0.0.1:PORT`
    addr: String,
    stdout: std::thread::JoinHandle<String>,
}

/// Starts `tessera serve` on a free port with JSON logs and waits until it listens.
fn serve(data_dir: &str) -> Running {
    serve_with(data_dir, &[])
}

/// [`serve`] with more flags.
fn serve_with(data_dir: &str, extra: &[&str]) -> Running {
    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--log-format",
        "json",
        "--data-dir",
        data_dir,
    ];
    args.extend_from_slice(extra);
    let mut child = tessera(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Ok(v) = serde_json::from_str::<Value>(&line)
            && v["fields"]["message"] == "tessera listening"
        {
            break v["fields"]["address"].as_str().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "server did not start");
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Running {
        child,
        addr,
        stdout,
    }
}

impl Running {
    /// Sends SIGTERM, waits for a clean exit, and returns what the server printed on stdout.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "graceful shutdown exits 0, got {status}");
        self.stdout.join().unwrap()
    }

    /// Sends SIGKILL and waits: the server cleans nothing up.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// `project create --json` on `data_dir`, then a user created with the new credentials on the
/// server at `addr`: the running server knows the project at once. The credentials printed.
fn create_project_and_use_it(data_dir: &str, addr: &str, email: &str) -> Value {
    let created: Value = serde_json::from_slice(&succeed(&[
        "project",
        "create",
        "--json",
        "--data-dir",
        data_dir,
    ]))
    .unwrap();
    let client = tessera_client::Client::new(
        addr,
        created["project_id"].as_str().unwrap(),
        created["secret"].as_str().unwrap(),
    )
    .unwrap();
    let created_user = block_on(async {
        client
            .users()
            .create(&tessera_client::proto::users::CreateUserRequest {
                email: Some(email.into()),
                ..Default::default()
            })
            .await
    });
    assert!(created_user.is_ok(), "{created_user:?}");
    created
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn first_start_prints_credentials_once_and_they_work() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let server = serve(data);
    let health = block_on(async {
        reqwest::get(format!("{}/healthz", server.addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert_eq!(health, r#"{"status":"ok"}"#);
    let out = server.stop();
    let field = |name: &str| {
        out.lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("{name} missing from:\n{out}"))
    };
    let (project_id, secret, public_token) =
        (field("project_id"), field("secret"), field("public_token"));
    assert!(project_id.starts_with("project-test-"));
    assert!(secret.starts_with("secret-test-"));
    assert!(public_token.starts_with("public-token-test-"));
    assert!(dir.path().join("data/tessera.db").exists());

    // Second start on the same data: no new project, no secret printed; the old one works.
    let server = serve(data);
    block_on(async {
        let client = tessera_client::Client::new(&server.addr, &project_id, &secret).unwrap();
        let r = client
            .users()
            .create(&tessera_client::proto::users::CreateUserRequest {
                email: Some("cli@example.com".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(r.user_id.starts_with("user-test-"));
    });
    let out = server.stop();
    assert!(
        !out.contains("secret"),
        "credentials are printed only once:\n{out}"
    );
}

#[test]
fn project_create_json_prints_exactly_the_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let stdout = String::from_utf8(succeed(&[
        "project",
        "create",
        "--json",
        "--name",
        "Shop",
        "--data-dir",
        data,
        "--redirect-url",
        "https://shop.example.com/auth",
        "--authorized-origin",
        "https://shop.example.com",
    ]))
    .unwrap();
    let v: Value = serde_json::from_str(stdout.trim()).expect("stdout is exactly one JSON object");
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["project_id", "public_token", "secret"]);
    assert!(
        v["project_id"]
            .as_str()
            .unwrap()
            .starts_with("project-test-")
    );

    let out = tessera(&["project", "create", "--json", "--live", "--data-dir", data])
        .output()
        .unwrap();
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        live["project_id"]
            .as_str()
            .unwrap()
            .starts_with("project-live-")
    );
    assert!(live["secret"].as_str().unwrap().starts_with("secret-live-"));
    assert!(
        live["public_token"]
            .as_str()
            .unwrap()
            .starts_with("public-token-live-")
    );

    let out = tessera(&["project", "list", "--json", "--data-dir", data])
        .output()
        .unwrap();
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["authorized_origins"][0], "https://shop.example.com");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("secret-"),
        "list never shows secrets"
    );

    // A bad origin is refused with a clear message and creates nothing.
    let out = tessera(&[
        "project",
        "create",
        "--authorized-origin",
        "https://x.com/path",
        "--data-dir",
        data,
    ])
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("origin"));
}

#[test]
fn configuration_errors_are_clear() {
    let out = tessera(&["migrate", "--database-url", "mysql://u@h/db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsupported database URL scheme \"mysql\""),
        "{err}"
    );

    let out = tessera(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        "only-cert.pem",
    ])
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));

    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tessera.toml");
    std::fs::write(&cfg, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = tessera(&["migrate", "--config", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field"));
}

#[test]
fn config_file_and_environment_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tessera.toml");
    let db = dir.path().join("from-file.db");
    std::fs::write(
        &cfg,
        format!("database_url = \"sqlite://{}\"\n", db.display()),
    )
    .unwrap();
    succeed(&["migrate", "--config", cfg.to_str().unwrap()]);
    assert!(db.exists(), "the file's database_url was used");

    let env_db = dir.path().join("from-env.db");
    let out = tessera(&["migrate", "--config", cfg.to_str().unwrap()])
        .env(
            "TESSERA_DATABASE_URL",
            format!("sqlite://{}", env_db.display()),
        )
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env_db.exists(), "the environment overrides the file");
}

/// By default a running server keeps its SQLite file for itself: a second server is refused at
/// once with what to do, and the admin commands go through the server's admin socket instead
/// (straight to the file once it stops, even past a socket a killed server left). With
/// `--sqlite-shared` they open the file beside it.
#[test]
fn a_running_server_keeps_its_sqlite_file_unless_shared() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = serve(data);

    let started = Instant::now();
    let out = tessera(&["serve", "--listen", "127.0.0.1:0", "--data-dir", data])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a second server must be refused");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("in use by another process") && err.contains("--sqlite-shared"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused at once, not after the 10 s busy timeout"
    );

    // The admin commands reach the running server; what they create works on it at once.
    let created = create_project_and_use_it(data, &server.addr, "socket@example.com");
    let list = |expected: usize| {
        let out = succeed(&["project", "list", "--json", "--data-dir", data]);
        let projects: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(projects.as_array().unwrap().len(), expected, "{projects}");
        projects
    };
    // The project the server created on first start, then this one.
    assert_eq!(list(2)[1]["project_id"], created["project_id"]);
    let rotated = String::from_utf8(succeed(&["keys", "rotate", "--data-dir", data])).unwrap();
    assert_eq!(rotated.matches("new signing key").count(), 2, "{rotated}");
    // The server itself is undisturbed.
    let health = block_on(async {
        reqwest::get(format!("{}/healthz", server.addr))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(health, 200);
    server.stop();
    let socket = dir.path().join("tessera.db-admin.sock");
    assert!(
        !socket.exists(),
        "a stopped server removes its admin socket"
    );

    // With no server, the commands open the file themselves, whatever is left at the socket.
    list(2);
    serve(data).kill();
    assert!(socket.exists(), "a killed server leaves its socket behind");
    list(2);
    std::fs::remove_file(&socket).unwrap();
    std::fs::write(&socket, "").unwrap();
    list(2);
    std::fs::remove_file(&socket).unwrap();

    let server = serve_with(data, &["--sqlite-shared"]);
    // The running server sees the project the command created.
    create_project_and_use_it(data, &server.addr, "shared@example.com");
    server.stop();
}

/// The signal handlers are in place before the server says it listens: a SIGTERM sent at once
/// still drains and exits 0 (it killed the process 16 times in 20 when they were installed on
/// the accept loop's first poll).
#[test]
fn sigterm_right_after_listening_is_graceful() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for _ in 0..3 {
        serve(data).stop();
    }
}

#[test]
fn oauth_providers_and_impersonation_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = serve(data);
    let created = create_project_and_use_it(data, &server.addr, "imp@example.com");
    let pid = created["project_id"].as_str().unwrap();

    // A provider with its secret in a file; listed without it.
    let secret_file = dir.path().join("google.secret");
    std::fs::write(&secret_file, "very-secret-value\n").unwrap();
    let set = [
        "project",
        "oauth",
        "set",
        pid,
        "google",
        "--client-id",
        "cid-1",
        "--issuer",
        "https://accounts.example.test",
        "--client-secret-file",
    ];
    let mut args = set.to_vec();
    args.extend([secret_file.to_str().unwrap(), "--data-dir", data]);
    succeed(&args);
    let listed = String::from_utf8(succeed(&[
        "project",
        "oauth",
        "list",
        pid,
        "--data-dir",
        data,
    ]))
    .unwrap();
    let v: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(v[0]["provider"], "google");
    assert_eq!(v[0]["client_id"], "cid-1");
    assert_eq!(v[0]["endpoint"], "https://accounts.example.test");
    assert!(
        !listed.contains("very-secret-value"),
        "list never shows secrets"
    );

    // A provider without a preset needs its endpoints; an unknown one is refused.
    for (provider, want) in [
        ("tiktok", "no preset"),
        ("myspace", "invalid_oauth_provider"),
    ] {
        let out = tessera(&[
            "project",
            "oauth",
            "set",
            pid,
            provider,
            "--client-id",
            "x",
            "--client-secret",
            "y",
            "--data-dir",
            data,
        ])
        .output()
        .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(want),
            "{provider}"
        );
    }
    succeed(&[
        "project",
        "oauth",
        "delete",
        pid,
        "google",
        "--data-dir",
        data,
    ]);
    let listed = succeed(&["project", "oauth", "list", pid, "--data-dir", data]);
    assert_eq!(
        serde_json::from_slice::<Value>(&listed).unwrap(),
        serde_json::json!([])
    );

    // Impersonation: a token from the command line starts a session once.
    let client =
        tessera_client::Client::new(&server.addr, pid, created["secret"].as_str().unwrap())
            .unwrap();
    let user_id = block_on(async {
        let q = tessera_client::proto::users::SearchUsersRequest::default();
        client.users().search(&q).await.unwrap().results[0]
            .user_id
            .clone()
    });
    let out = succeed(&[
        "impersonate",
        "--project",
        pid,
        "--user",
        &user_id,
        "--impersonator",
        "support@example.com",
        "--reason",
        "ticket 7",
        "--data-dir",
        data,
    ]);
    let minted: Value = serde_json::from_slice(&out).unwrap();
    let token = minted["impersonation_token"].as_str().unwrap().to_owned();
    let req = tessera_client::proto::oauth::ImpersonationAuthenticateRequest {
        impersonation_token: token,
    };
    let first = block_on(client.impersonation().authenticate(&req));
    assert_eq!(first.unwrap().user_id, user_id);
    let second = block_on(client.impersonation().authenticate(&req));
    assert_eq!(
        second.unwrap_err().error_type(),
        Some("unable_to_auth_impersonation_token")
    );
    server.stop();
}
