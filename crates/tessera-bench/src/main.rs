//! Helpers for `bench/run`: seed a database with users, sessions and magic links whose tokens
//! are written to files; collect session JWTs from a running server; serve the minimal axum
//! "hello world" that every figure is compared with.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use clap::{Parser, Subcommand};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tessera_server::service::projects::{self, NewProject};
use tessera_server::store::{DatabaseUrl, Store};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a project, users, sessions and magic links; write credentials and tokens to --out.
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 1000)]
        users: usize,
        #[arg(long, default_value_t = 10_000)]
        sessions: usize,
        /// Tokens written to session_tokens.txt for the load (the first N sessions).
        #[arg(long, default_value_t = 10_000)]
        hot: usize,
        #[arg(long, default_value_t = 100_000)]
        magic_links: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Authenticate sessions on a running server and write their JWTs.
    Jwts {
        #[arg(long)]
        url: String,
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 2000)]
        count: usize,
    },
    /// The ceiling: axum answering a small JSON POST with a small JSON body.
    Ceiling {
        #[arg(long)]
        listen: SocketAddr,
    },
    /// The password-login ceiling: argon2id hashes per second through the server's own hashing
    /// pool (OWASP's parameters, all cores but one), with no HTTP or database around them.
    Argon2Loop {
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

/// The password every seeded user has (`password_emails.txt` lists their emails).
const BENCH_PASSWORD: &str = "bench-Password-2026-tessera";

fn random_token(padded: bool) -> String {
    let mut b = vec![0u8; if padded { 32 } else { 33 }];
    rand::rngs::OsRng.fill_bytes(&mut b);
    if padded {
        URL_SAFE.encode(b)
    } else {
        URL_SAFE_NO_PAD.encode(b)
    }
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// One row to insert, as text, integers or bytes.
enum V {
    T(String),
    I(i64),
    B(Vec<u8>),
    Bool(bool),
    Null,
}

/// Multi-row INSERTs in transactions of `chunk` rows, for either backend.
macro_rules! bulk {
    ($pool:expr, $db:ty, $table:expr, $cols:expr, $rows:expr) => {{
        let cols: &[&str] = $cols;
        let chunk = (30_000 / cols.len()).min(1000);
        for part in $rows.chunks(chunk) {
            let mut tx = $pool.begin().await?;
            let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                "INSERT INTO {} ({}) ",
                $table,
                cols.join(", ")
            ));
            qb.push_values(part, |mut b, row: &Vec<V>| {
                for v in row {
                    match v {
                        V::T(s) => b.push_bind(s.clone()),
                        V::I(i) => b.push_bind(*i),
                        V::B(x) => b.push_bind(x.clone()),
                        V::Bool(x) => b.push_bind(*x),
                        V::Null => b.push_bind(Option::<String>::None),
                    };
                }
            });
            qb.build().execute(&mut *tx).await?;
            tx.commit().await?;
        }
    }};
}

async fn seed(
    url: &str,
    users: usize,
    sessions: usize,
    hot: usize,
    magic_links: usize,
    out: PathBuf,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&out)?;
    let db = DatabaseUrl::parse(url)?;
    let store = Store::connect(&db).await?;
    store.migrate().await?;
    let key_file = out.join("master.key");
    let _ = std::fs::remove_file(&key_file);
    tessera_server::sealing::MasterKey::create(&key_file)?;
    let source = tessera_server::service::master_key::MasterKeySource::File(key_file);
    let master = tessera_server::service::master_key::unlock(&store, &source).await?;
    let creds = projects::create(
        (&store, &master),
        NewProject {
            name: "bench".into(),
            ..Default::default()
        },
    )
    .await?;
    store.close().await;
    std::fs::write(out.join("creds.json"), serde_json::to_string(&creds)?)?;
    std::fs::write(
        out.join("auth.b64"),
        STANDARD.encode(format!("{}:{}", creds.project_id, creds.secret)),
    )?;
    let pid = creds.project_id.clone();
    let now = now_ms();
    let started = Instant::now();

    let user_ids: Vec<(String, String, String)> = (0..users)
        .map(|i| {
            (
                format!("user-test-{}", uuid::Uuid::new_v4()),
                format!("email-test-{}", uuid::Uuid::new_v4()),
                format!("bench{i}@example.com"),
            )
        })
        .collect();
    let user_rows: Vec<Vec<V>> = user_ids
        .iter()
        .map(|(u, _, _)| {
            vec![
                V::T(pid.clone()),
                V::T(u.clone()),
                V::T("active".into()),
                V::I(now),
            ]
        })
        .collect();
    let email_rows: Vec<Vec<V>> = user_ids
        .iter()
        .map(|(u, e, addr)| {
            vec![
                V::T(pid.clone()),
                V::T(e.clone()),
                V::T(u.clone()),
                V::T(addr.clone()),
                V::Bool(true),
                V::I(now),
            ]
        })
        .collect();
    let mut hot_tokens =
        std::io::BufWriter::new(std::fs::File::create(out.join("session_tokens.txt"))?);
    let mut session_rows = Vec::with_capacity(sessions);
    let mut rng = rand::rngs::OsRng;
    for i in 0..sessions {
        // Spread over the last minute, as real traffic leaves them; all at one instant would
        // make every session cross the one-minute write-behind bound together.
        let accessed = now - (rand::Rng::gen_range(&mut rng, 0..60_000i64));
        let (u, e, addr) = &user_ids[i % users];
        let token = random_token(false);
        if i < hot {
            writeln!(hot_tokens, "{token}")?;
        }
        let factors = format!(
            r#"[{{"kind":"magic_link_email","subject":{{"kind":"email","email_id":"{e}","email_address":"{addr}"}},"created_at":{now},"last_authenticated_at":{now}}}]"#
        );
        session_rows.push(vec![
            V::T(pid.clone()),
            V::T(format!("session-test-{}", uuid::Uuid::new_v4())),
            V::T(u.clone()),
            V::B(digest(&token)),
            V::I(now - 3_600_000),
            V::I(accessed),
            V::I(now + 30 * 24 * 3_600_000),
            V::T(String::new()),
            V::T(String::new()),
            V::T(factors),
            V::T("{}".into()),
        ]);
    }
    hot_tokens.flush()?;
    let mut link_tokens =
        std::io::BufWriter::new(std::fs::File::create(out.join("magic_link_tokens.txt"))?);
    let mut link_rows = Vec::with_capacity(magic_links);
    for i in 0..magic_links {
        let (u, e, _) = &user_ids[i % users];
        let token = random_token(true);
        writeln!(link_tokens, "{token}")?;
        link_rows.push(vec![
            V::T(pid.clone()),
            V::B(digest(&token)),
            V::T(u.clone()),
            V::T(e.clone()),
            V::T("login".into()),
            V::Null,
            V::T(String::new()),
            V::T(String::new()),
            V::I(now),
            V::I(now + 24 * 3_600_000),
        ]);
    }
    link_tokens.flush()?;

    // Every user gets the same password, hashed once by the server's own hasher.
    let hasher = tessera_server::service::passwords::hashing::Hasher::new(
        1,
        tessera_server::service::passwords::hashing::Hasher::owasp(),
    );
    let password_hash = hasher.hash(BENCH_PASSWORD.into()).await?;
    let mut password_emails =
        std::io::BufWriter::new(std::fs::File::create(out.join("password_emails.txt"))?);
    let password_rows: Vec<Vec<V>> = user_ids
        .iter()
        .map(|(u, _, addr)| {
            let _ = writeln!(password_emails, "{addr}");
            vec![
                V::T(pid.clone()),
                V::T(u.clone()),
                V::T(format!("password-test-{}", uuid::Uuid::new_v4())),
                V::T(password_hash.clone()),
                V::Bool(false),
                V::I(now),
                V::I(now),
            ]
        })
        .collect();
    password_emails.flush()?;
    let password_cols: &[&str] = &[
        "project_id",
        "user_id",
        "password_id",
        "hash",
        "requires_reset",
        "created_at",
        "updated_at",
    ];
    let user_cols: &[&str] = &["project_id", "user_id", "status", "created_at"];
    let email_cols: &[&str] = &[
        "project_id",
        "email_id",
        "user_id",
        "email",
        "verified",
        "created_at",
    ];
    let session_cols: &[&str] = &[
        "project_id",
        "session_id",
        "user_id",
        "token_digest",
        "started_at",
        "last_accessed_at",
        "expires_at",
        "ip_address",
        "user_agent",
        "factors",
        "custom_claims",
    ];
    let link_cols: &[&str] = &[
        "project_id",
        "token_digest",
        "user_id",
        "email_id",
        "kind",
        "code_challenge",
        "ip_address",
        "user_agent",
        "created_at",
        "expires_at",
    ];
    match db {
        DatabaseUrl::Sqlite(path) => {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(path))
                .await?;
            bulk!(pool, sqlx::Sqlite, "users", user_cols, user_rows);
            bulk!(pool, sqlx::Sqlite, "user_emails", email_cols, email_rows);
            bulk!(
                pool,
                sqlx::Sqlite,
                "user_passwords",
                password_cols,
                password_rows
            );
            bulk!(pool, sqlx::Sqlite, "sessions", session_cols, session_rows);
            bulk!(pool, sqlx::Sqlite, "magic_links", link_cols, link_rows);
            // No ANALYZE: with the STAT4 statistics it writes, SQLite recompiles every statement
            // whose range conditions get new values, which halves the read path's throughput
            // (BENCHMARKS.md). A database Tessera creates has no statistics either.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&pool)
                .await?;
        }
        DatabaseUrl::Postgres(u) => {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&u)
                .await?;
            bulk!(pool, sqlx::Postgres, "users", user_cols, user_rows);
            bulk!(pool, sqlx::Postgres, "user_emails", email_cols, email_rows);
            bulk!(
                pool,
                sqlx::Postgres,
                "user_passwords",
                password_cols,
                password_rows
            );
            bulk!(pool, sqlx::Postgres, "sessions", session_cols, session_rows);
            bulk!(pool, sqlx::Postgres, "magic_links", link_cols, link_rows);
            sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
        }
    }
    eprintln!(
        "seeded {users} users, {sessions} sessions, {magic_links} magic links in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn jwts(url: &str, dir: PathBuf, count: usize) -> anyhow::Result<()> {
    let creds: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("creds.json"))?)?;
    let (pid, secret) = (
        creds["project_id"].as_str().unwrap(),
        creds["secret"].as_str().unwrap(),
    );
    let tokens = std::fs::read_to_string(dir.join("session_tokens.txt"))?;
    let client = reqwest::Client::new();
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("jwts.txt"))?);
    for token in tokens.lines().take(count) {
        let r: serde_json::Value = client
            .post(format!("{url}/v1/sessions/authenticate"))
            .basic_auth(pid, Some(secret))
            .json(&serde_json::json!({ "session_token": token }))
            .send()
            .await?
            .json()
            .await?;
        writeln!(
            out,
            "{}",
            r["session_jwt"]
                .as_str()
                .context("no session_jwt in the answer")?
        )?;
    }
    out.flush()?;
    Ok(())
}

async fn ceiling(listen: SocketAddr) -> anyhow::Result<()> {
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(|axum::Json(v): axum::Json<serde_json::Value>| async move {
            axum::Json(
                serde_json::json!({ "status_code": 200, "echo": v.as_object().map(|o| o.len()) }),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

async fn argon2_loop(seconds: u64) -> anyhow::Result<()> {
    use tessera_server::service::passwords::hashing::Hasher;
    let hasher = Hasher::sized_to_cores();
    let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
    let started = Instant::now();
    // Twice as many callers as hashing threads, so the pool never idles between hashes.
    let tasks: Vec<_> = (0..hasher.threads() * 2)
        .map(|_| {
            let h = hasher.clone();
            tokio::spawn(async move {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    h.hash(BENCH_PASSWORD.into()).await.expect("argon2id");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await?;
    }
    println!("{:.1}", total as f64 / started.elapsed().as_secs_f64());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed {
            database_url,
            users,
            sessions,
            hot,
            magic_links,
            out,
        } => seed(&database_url, users, sessions, hot, magic_links, out).await,
        Command::Jwts { url, dir, count } => jwts(&url, dir, count).await,
        Command::Ceiling { listen } => ceiling(listen).await,
        Command::Argon2Loop { seconds } => argon2_loop(seconds).await,
    }
}
