use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

/// `tessera admin create`: administrators of the admin console.
mod admins;
/// `tessera project oauth …` and `tessera impersonate`.
mod oauth;
/// `tessera project …`: create, list, update a policy, manage secrets.
mod project;
/// `tessera project webhook …`.
mod webhook;

use crate::admin::{self, AdminRequest};
use crate::config::{Layers, LogFormat, Settings};
use crate::sealing::MasterKey;
use crate::service::master_key::{self, MasterKeySource};
use crate::store::{DatabaseUrl, Store};

/// Tessera: self-hosted consumer authentication, wire-compatible with Stytch.
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    #[command(
        after_help = "Every setting can also be given as a TESSERA_* environment variable \
        (TESSERA_LISTEN, TESSERA_SMTP_URL, ...) or as a key of the --config TOML file (listen, \
        smtp_url, ...). A flag wins over the environment, which wins over the file."
    )]
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Manage projects.
    #[command(subcommand)]
    Project(project::ProjectCommand),
    /// Manage the administrators of the admin console (`serve --admin`).
    #[command(subcommand)]
    Admin(admins::AdminCommand),
    /// Manage session signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage the master key that seals secrets at rest.
    #[command(subcommand)]
    MasterKey(MasterKeyCommand),
    /// Mint a single-use token (valid 5 minutes) that starts a 60-minute session as a user,
    /// for support staff; recorded with its reason in the security log.
    Impersonate(oauth::ImpersonateArgs),
}

#[derive(Debug, Subcommand)]
enum MasterKeyCommand {
    /// Re-seal every secret of the database under a new master key, in one transaction. Stop
    /// every server first, then start them with the new key file.
    Rotate(MasterKeyRotateArgs),
}

#[derive(Debug, Args)]
struct MasterKeyRotateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The new key: 32 random bytes (or 64 hex digits), mode 0600; created when it does not
    /// exist.
    #[arg(long)]
    new_key_file: PathBuf,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Make a new signing key current. The old key stays published in the JWKS (and accepted)
    /// until every JWT it signed has expired, so no session is disturbed.
    Rotate(KeysRotateArgs),
}

#[derive(Debug, Args)]
struct KeysRotateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Only this project (default: every project).
    #[arg(long)]
    project: Option<String>,
}

/// Where the data lives; shared by every command.
#[derive(Debug, Args, Default)]
pub(crate) struct DbArgs {
    /// Optional TOML file with the same keys as the long flags (e.g. `listen`, `database_url`).
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Directory of the embedded SQLite database [env: TESSERA_DATA_DIR] [default:
    /// ./tessera-data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// `sqlite://PATH` or `postgres://USER:PASS@HOST:PORT/DB`; overrides --data-dir [env:
    /// TESSERA_DATABASE_URL].
    #[arg(long)]
    database_url: Option<String>,
    /// File of the master key that seals secrets at rest: 32 random bytes, mode 0600
    /// [env: TESSERA_MASTER_KEY_FILE] [default: master.key beside an SQLite database, created
    /// with it; required with PostgreSQL].
    #[arg(long)]
    master_key_file: Option<PathBuf>,
}

impl DbArgs {
    /// These flags over the environment over the file (see [`Layers`]).
    fn layers(self, mut flags: Settings) -> anyhow::Result<Layers> {
        flags.data_dir = self.data_dir;
        flags.database_url = self.database_url;
        flags.master_key_file = self.master_key_file;
        Layers::load(flags, self.config.as_deref())
    }

    /// The database these flags, the environment and the file name, and its master key.
    pub(crate) fn resolve(self) -> anyhow::Result<(DatabaseUrl, MasterKeySource)> {
        let layers = self.layers(Settings::default())?;
        Ok((layers.database()?, layers.master_key()?))
    }
}

#[derive(Debug, Args, Default)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on [default: 127.0.0.1:4000].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// PEM certificate chain: serve HTTPS directly (needs --tls-key).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// PEM private key (needs --tls-cert).
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Log format [default: human].
    #[arg(long, value_enum)]
    log_format: Option<LogFormat>,
    /// SMTP server for emails, smtp://[user:pass@]host[:port]; STARTTLS when offered. Without
    /// it, emails are written to the log (development only).
    #[arg(long)]
    smtp_url: Option<String>,
    /// From address of emails [default: Tessera <no-reply@localhost>].
    #[arg(long)]
    email_from: Option<String>,
    /// Endpoint receiving SMS and WhatsApp messages as a JSON POST {"channel","to","message"}.
    /// Without it, messages are written to the log (development only).
    #[arg(long)]
    sms_webhook_url: Option<String>,
    /// Key signing the webhook's body (HMAC-SHA256, header X-Tessera-Signature: t=<unix
    /// seconds>,v1=<hex of HMAC(key, "<t>.<body>")>); required for live projects' texts.
    #[arg(long)]
    sms_webhook_secret: Option<String>,
    /// A proxy whose X-Forwarded-For is believed (repeatable; comma-separated in the
    /// environment).
    #[arg(long = "trusted-proxy", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Seconds between purges of expired sessions, links and codes [default: 60].
    #[arg(long)]
    purge_interval_seconds: Option<u64>,
    /// The longest a request waits for a database connection; past it the request answers 503
    /// `database_unavailable` (the database is down or every connection is busy) [default: 2].
    #[arg(long)]
    database_timeout_seconds: Option<u64>,
    /// How long start-up keeps retrying a database it cannot reach (with backoff, saying so)
    /// before it gives up; 0 gives up at once [default: 60].
    #[arg(long)]
    database_wait_seconds: Option<u64>,
    /// How many days events (session timelines, `GET /v1/events`) are kept, for projects that
    /// set no retention of their own; purged in the background [default: 30].
    #[arg(long)]
    event_retention_days: Option<i64>,
    /// Serve Prometheus metrics at `/metrics` on this address of its own (say
    /// 127.0.0.1:9464). Metrics are off unless this or `--metrics-token` is set.
    #[arg(long)]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Serve `/metrics` on the main listener to requests that bear this token
    /// (`Authorization: Bearer …`); prefer the environment variable TESSERA_METRICS_TOKEN,
    /// which a process list does not show.
    #[arg(long)]
    metrics_token: Option<String>,
    /// The first retry delay of a failed webhook delivery, doubled after each failure up to an
    /// hour; retries stop a day after the event [default: 5000].
    #[arg(long, hide = true)]
    webhook_retry_base_ms: Option<u64>,
    /// Let other processes open the embedded SQLite database while the server runs (backup
    /// tools such as Litestream, the `sqlite3` shell, the admin commands). Without it the
    /// server keeps the file for itself, which makes every read cheaper.
    #[arg(long)]
    sqlite_shared: bool,
    /// Serve the admin console at /admin (administrators are made with `tessera admin create
    /// EMAIL`; each logs in with a password and an authenticator app's code) [default: off].
    #[arg(long)]
    admin: bool,
    /// Check passwords against a Pwned Passwords k-anonymity range API at this base URL
    /// (https://api.pwnedpasswords.com, or a self-hosted copy): only the first five hex digits
    /// of a password's SHA-1 leave the server. Without it, no breach check.
    #[arg(long)]
    pwned_passwords_url: Option<String>,
    /// The URL browsers reach this server at, e.g. https://auth.example.com: OAuth providers
    /// redirect to <public-url>/v1/public/oauth/callback (register that URL with them).
    /// Without it, the scheme and Host of each request are used.
    #[arg(long)]
    public_url: Option<String>,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TESSERA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn open_store(db: &DatabaseUrl) -> anyhow::Result<Store> {
    let store = Store::connect(db).await?;
    store.migrate().await.context("running migrations")?;
    Ok(store)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(db) => {
            init_logging(LogFormat::Human);
            let (db, _) = db.resolve()?;
            open_store(&db).await?.close().await;
            tracing::info!(database = %db.redacted(), "migrations applied");
            Ok(())
        }
        Command::Project(cmd) => project::run(cmd).await,
        Command::Admin(cmd) => admins::run(cmd).await,
        Command::Impersonate(args) => oauth::impersonate(args).await,
        Command::Keys(KeysCommand::Rotate(args)) => {
            init_logging(LogFormat::Human);
            let db = args.db.resolve()?;
            let req = AdminRequest::KeysRotate {
                project: args.project,
            };
            let rotated: Vec<Rotated> = serde_json::from_value(run_admin(&db, req).await?)?;
            for r in rotated {
                println!("{}  new signing key {}", r.project_id, r.kid);
            }
            Ok(())
        }
        Command::MasterKey(MasterKeyCommand::Rotate(args)) => {
            init_logging(LogFormat::Human);
            rotate_master_key(args).await
        }
    }
}

/// A key `keys rotate` made current.
#[derive(serde::Deserialize)]
struct Rotated {
    project_id: String,
    kid: String,
}

/// Runs an admin command through the server that holds an SQLite database (its admin socket),
/// or on the database itself when no server answers there, and always on PostgreSQL.
pub(crate) async fn run_admin(
    (db, key): &(DatabaseUrl, MasterKeySource),
    req: AdminRequest,
) -> anyhow::Result<serde_json::Value> {
    if let Some(path) = admin::socket_path(db)
        && let Some(result) = admin::call(&path, &req).await
    {
        return result;
    }
    let store = open_store(db).await?;
    let result = match master_key::unlock(&store, key).await {
        Ok(master) => {
            let held = admin::Held {
                store: store.clone(),
                master,
            };
            admin::execute(&held, req).await
        }
        Err(e) => Err(e),
    };
    store.close().await;
    result
}

/// `master-key rotate`: refused while a server holds an SQLite database; re-seals everything
/// under the new key, then puts it in place of a default key file.
async fn rotate_master_key(args: MasterKeyRotateArgs) -> anyhow::Result<()> {
    let (db, source) = args.db.resolve()?;
    if let Some(path) = admin::socket_path(&db) {
        anyhow::ensure!(
            admin::call(&path, &AdminRequest::ProjectList)
                .await
                .is_none(),
            "a server is running on this database: stop it first"
        );
    }
    let new = if args.new_key_file.exists() {
        MasterKey::load(&args.new_key_file)?
    } else {
        MasterKey::create(&args.new_key_file)?
    };
    let store = open_store(&db).await?;
    let result = async {
        let old = master_key::unlock(&store, &source).await?;
        anyhow::ensure!(old.id() != new.id(), "the new key is the current key");
        master_key::rotate(&store, &old, &new).await
    }
    .await;
    store.close().await;
    let count = result?;
    if let MasterKeySource::Beside(default) = &source {
        let bytes = std::fs::read(&args.new_key_file)?;
        let tmp = default.with_extension("key.new");
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(&tmp)?, &bytes)?;
        std::fs::rename(&tmp, default)?;
        println!(
            "re-sealed {count} values under master key {}; {} now holds it",
            new.id(),
            default.display()
        );
    } else {
        println!(
            "re-sealed {count} values under master key {}: start every server with \
             --master-key-file {}",
            new.id(),
            args.new_key_file.display()
        );
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let flags = Settings {
        listen: args.listen,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        log_format: args.log_format,
        smtp_url: args.smtp_url,
        email_from: args.email_from,
        sms_webhook_url: args.sms_webhook_url,
        sms_webhook_secret: args.sms_webhook_secret,
        trusted_proxies: (!args.trusted_proxies.is_empty()).then_some(args.trusted_proxies),
        purge_interval_seconds: args.purge_interval_seconds,
        database_timeout_seconds: args.database_timeout_seconds,
        database_wait_seconds: args.database_wait_seconds,
        event_retention_days: args.event_retention_days,
        metrics_listen: args.metrics_listen,
        metrics_token: args.metrics_token,
        webhook_retry_base_ms: args.webhook_retry_base_ms,
        sqlite_shared: args.sqlite_shared.then_some(true),
        admin: args.admin.then_some(true),
        pwned_passwords_url: args.pwned_passwords_url,
        public_url: args.public_url,
        ..Settings::default()
    };
    let config = args.db.layers(flags)?.config()?;
    init_logging(config.log_format);
    let server = crate::Server::build(&config).await?;
    if let Some(creds) = server.first_project() {
        println!(
            "\n================ Tessera: a test project was created ================\n\
             project_id:   {}\n\
             secret:       {}\n\
             public_token: {}\n\
             Save the secret now: it is stored only as a hash and is not shown again.\n\
             =====================================================================\n",
            creds.project_id, creds.secret, creds.public_token
        );
    }
    // Installed before the server says it listens: see `shutdown_signal`.
    let shutdown = crate::app::shutdown_signal();
    let scheme = if server.is_tls() { "https" } else { "http" };
    tracing::info!(
        address = %format!("{scheme}://{}", server.local_addr()),
        database = %config.database.redacted(),
        "tessera listening"
    );
    server.run(shutdown).await
}
