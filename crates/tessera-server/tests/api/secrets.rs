//! Project secrets rotated without downtime, and the session policy set, with the `tessera` binary as an operator runs it:
//! several secrets valid at once, and a deleted one refused at once (the running server's
//! credential cache included), on both backends.

use tessera_client::Client;

use crate::harness::{TestApp, api_error, both_backends, tessera_command};

both_backends!(secrets_rotate_and_a_deleted_one_fails_at_once);

/// Runs the binary on the app's database, off the runtime (the server answers its admin
/// socket on this runtime meanwhile).
pub(crate) async fn run(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = tessera_command(&app.database, args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

pub(crate) async fn tessera(app: &TestApp, args: &[&str]) -> String {
    let out = run(app, args).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

async fn secrets_rotate_and_a_deleted_one_fails_at_once(app: &TestApp) {
    let pid = app.creds.project_id.clone();
    let listed = tessera(app, &["project", "secret", "list", &pid]).await;
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let first_id = listed.split_whitespace().next().unwrap().to_owned();
    assert!(first_id.starts_with("secret-id-"), "{listed}");
    assert!(!listed.contains(&app.creds.secret), "never the secret");

    let made = tessera(app, &["project", "secret", "create", &pid]).await;
    let second = field(&made, "secret:").to_owned();
    assert!(second.starts_with("secret-test-"));
    let new_client = Client::new(&app.base_url, &pid, &second).unwrap();

    // Both work while the app moves over.
    app.client
        .users()
        .search_all(&Default::default())
        .await
        .unwrap();
    new_client
        .users()
        .search_all(&Default::default())
        .await
        .unwrap();

    // The old one goes, and fails on the very next request (it was cached as valid).
    tessera(app, &["project", "secret", "delete", &pid, &first_id]).await;
    // SQLite: the admin socket cleared the server's cache before the command returned, so the
    // very next request fails. PostgreSQL: the command's NOTIFY reaches every instance
    // asynchronously, within milliseconds; a loaded test machine gets a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let r = loop {
        let r = app.client.users().search_all(&Default::default()).await;
        let sqlite = matches!(
            app.database.0,
            tessera_server::store::DatabaseUrl::Sqlite(_)
        );
        if r.is_err() || sqlite || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(api_error(r), (401, "unauthorized_credentials".into()));
    new_client
        .users()
        .search_all(&Default::default())
        .await
        .unwrap();

    // The last secret cannot be deleted: the project would be locked out.
    let listed = tessera(app, &["project", "secret", "list", &pid]).await;
    let last_id = listed.split_whitespace().next().unwrap().to_owned();
    let out = run(app, &["project", "secret", "delete", &pid, &last_id]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("last secret"));
    new_client
        .users()
        .search_all(&Default::default())
        .await
        .unwrap();

    // The policy is set the same way, and shows in the list.
    let p = tessera(
        app,
        &[
            "project",
            "update",
            &pid,
            "--session-idle-timeout-minutes",
            "30",
            "--session-max-lifetime-minutes",
            "1440",
        ],
    )
    .await;
    let policy: serde_json::Value = serde_json::from_str(&p).unwrap();
    assert_eq!(policy["session_idle_timeout_minutes"], 30);
    assert_eq!(policy["session_max_lifetime_minutes"], 1440);
    assert_eq!(policy["recent_auth_minutes"], 10);
    let bad = run(
        app,
        &[
            "project",
            "update",
            &pid,
            "--session-idle-timeout-minutes",
            "-5",
        ],
    )
    .await;
    assert!(!bad.status.success());
    let p = tessera(
        app,
        &[
            "project",
            "update",
            &pid,
            "--webauthn-domains",
            "example.com,Shop.Example.com",
        ],
    )
    .await;
    let policy: serde_json::Value = serde_json::from_str(&p).unwrap();
    assert_eq!(
        policy["identity"]["webauthn_domains"],
        serde_json::json!(["example.com", "shop.example.com"])
    );
    let bad = run(
        app,
        &[
            "project",
            "update",
            &pid,
            "--webauthn-domains",
            "https://example.com",
        ],
    )
    .await;
    assert!(!bad.status.success(), "a URL is not a relying-party id");
    let listed = tessera(app, &["project", "list", "--json"]).await;
    assert!(
        listed.contains("\"session_idle_timeout_minutes\": 30"),
        "{listed}"
    );
}
