//! The render cache's invariant, checked against the schema: every table that feeds an answer to
//! `sessions/authenticate` bumps its user's `version` on every write, so a cached answer is never
//! served after its user changed. A new table with a `user_id` column fails here until it has
//! its triggers, or is listed below with the reason it does not feed the answer.

use std::collections::{BTreeMap, BTreeSet};

use tessera_server::model::Timestamp;
use tessera_server::service::{projects, users};
use tessera_server::store::{DatabaseUrl, SqliteSharing, Store};

use crate::harness::{Backend, fresh_database};

#[tokio::test]
async fn sqlite() {
    every_table_of_the_answer_bumps_the_user_version(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres() {
    every_table_of_the_answer_bumps_the_user_version(Backend::Postgres).await;
}

/// A migrated database (no server: the test reads the schema beside the store) and a user.
async fn database_with_user(backend: Backend) -> (Db, Option<tempfile::TempDir>, String) {
    let (url, dir) = fresh_database(backend);
    let store = Store::connect_with(&url, SqliteSharing::Shared)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let master = tessera_server::sealing::MasterKey::generate().0;
    let creds = projects::create((&store, &master), projects::NewProject::default())
        .await
        .unwrap();
    let project = store.project(&creds.project_id).await.unwrap().unwrap();
    let new = users::NewUser {
        email: Some(
            tessera_server::model::user::EmailAddress::parse("version@example.com").unwrap(),
        ),
        ..Default::default()
    };
    let user = users::create(&store, &project, new, Timestamp::now())
        .await
        .unwrap();
    store.close().await;
    (Db(url), dir, user.user_id)
}

struct Db(DatabaseUrl);

/// Tables with a `user_id` that are not part of the answer, and why.
const NOT_IN_THE_ANSWER: [(&str, &str); 10] = [
    ("events", "events are never shown in a session or user"),
    (
        "sessions",
        "the session row is itself part of the basis compared on every read",
    ),
    ("magic_links", "links are never shown in a session or user"),
    (
        "webauthn_challenges",
        "WebAuthn ceremonies are never shown in a session or user",
    ),
    (
        "crypto_wallet_challenges",
        "wallet challenges are never shown in a session or user",
    ),
    ("otp_codes", "codes are never shown in a session or user"),
    (
        "password_resets",
        "reset links are never shown in a session or user",
    ),
    (
        "oauth_tokens",
        "OAuth tokens are never shown in a session or user",
    ),
    (
        "oauth_attach_tokens",
        "attach tokens are never shown in a session or user",
    ),
    (
        "impersonation_tokens",
        "impersonation tokens are never shown in a session or user",
    ),
];

/// Events each table of the answer must bump the version on (`users` bumps itself on update;
/// an inserted user has no sessions yet and a deleted one takes its sessions with it).
fn required(table: &str) -> BTreeSet<&'static str> {
    if table == "users" {
        BTreeSet::from(["UPDATE"])
    } else {
        BTreeSet::from(["INSERT", "UPDATE", "DELETE"])
    }
}

async fn every_table_of_the_answer_bumps_the_user_version(backend: Backend) {
    let (db, _dir, user) = database_with_user(backend).await;
    let app = &db;
    let (tables, triggers) = schema(app).await;
    let mut missing = Vec::new();
    for table in &tables {
        if NOT_IN_THE_ANSWER.iter().any(|(t, _)| t == table) {
            continue;
        }
        let have = triggers.get(table).cloned().unwrap_or_default();
        for event in required(table) {
            if !have.contains(event) {
                missing.push(format!(
                    "{table}: no trigger bumping users.version on {event}"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{}\nAdd the triggers to both migration trees, or list the table in NOT_IN_THE_ANSWER.",
        missing.join("\n")
    );
    assert!(tables.contains("user_emails") && tables.contains("users"));

    // And they work: a change to an email (as any code path might make it) moves the version.
    let before = version(app, &user).await;
    exec(
        app,
        "UPDATE user_emails SET verified = NOT verified WHERE user_id = $1",
        &user,
    )
    .await;
    let after = version(app, &user).await;
    assert!(after > before, "version {before} -> {after}");
    exec(app, "DELETE FROM user_emails WHERE user_id = $1", &user).await;
    assert!(version(app, &user).await > after);
}

/// Tables with a `user_id` column, and for each table the events of triggers that touch
/// `version`.
async fn schema(app: &Db) -> (BTreeSet<String>, BTreeMap<String, BTreeSet<&'static str>>) {
    let mut triggers: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let mut add = |table: String, text: &str| {
        let text = text.to_uppercase();
        for event in ["INSERT", "UPDATE", "DELETE"] {
            if text.contains(event) {
                triggers.entry(table.clone()).or_default().insert(event);
            }
        }
    };
    match &app.0 {
        DatabaseUrl::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND p.name = 'user_id'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' \
                 AND sql LIKE '%version%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for (table, sql) in rows {
                // Only the event clause: `AFTER UPDATE ON t`, before the body.
                let head = sql.split(" ON ").next().unwrap_or_default().to_owned();
                add(table, &head);
            }
            (tables.into_iter().map(|t| t.0).collect(), triggers)
        }
        DatabaseUrl::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let tables: Vec<(String,)> = sqlx::query_as(
                "SELECT table_name::text FROM information_schema.columns \
                 WHERE column_name = 'user_id' AND table_schema = current_schema()",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT event_object_table::text, event_manipulation::text \
                 FROM information_schema.triggers \
                 WHERE action_statement LIKE '%bump_version%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for (table, event) in rows {
                add(table, &event);
            }
            (tables.into_iter().map(|t| t.0).collect(), triggers)
        }
    }
}

async fn version(app: &Db, user_id: &str) -> i64 {
    let sql = "SELECT version FROM users WHERE user_id = $1";
    match &app.0 {
        DatabaseUrl::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query_scalar(sql)
                .bind(user_id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query_scalar(sql)
                .bind(user_id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    }
}

async fn exec(app: &Db, sql: &str, user_id: &str) {
    match &app.0 {
        DatabaseUrl::Sqlite(path) => {
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(sql).bind(user_id).execute(&pool).await.unwrap();
        }
        DatabaseUrl::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sql).bind(user_id).execute(&pool).await.unwrap();
        }
    }
}
