//! `tessera project …`: create and list projects, change their policy, manage their secrets.
//! Each command goes through the running server's admin socket when there is one.

use clap::{Args, Subcommand};

use super::{DbArgs, run_admin};
use crate::admin::AdminRequest;
use crate::model::project::PolicyChange;

#[derive(Debug, Subcommand)]
pub(crate) enum ProjectCommand {
    /// Create a project and print its credentials (the secret is shown only this once).
    Create(ProjectCreateArgs),
    /// List projects (never their secrets).
    List(ProjectListArgs),
    /// Change a project's session and security policy.
    Update(ProjectUpdateArgs),
    /// Manage a project's secrets: several may be valid at once, so they rotate without
    /// downtime.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Manage a project's OAuth providers.
    #[command(subcommand)]
    Oauth(super::oauth::OauthCommand),
    /// Manage a project's webhook endpoints.
    #[command(subcommand)]
    Webhook(super::webhook::WebhookCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum SecretCommand {
    /// Add a secret and print it (shown only this once).
    Create(SecretArgs),
    /// List a project's secrets by id (never the secrets).
    List(SecretArgs),
    /// Delete a secret: it fails at once (never the project's last one).
    Delete(SecretDeleteArgs),
}

/// Policy flags shared by `create` and `update`.
#[derive(Debug, Args, Default)]
pub(crate) struct PolicyArgs {
    /// End sessions not authenticated for this many minutes (0: never).
    #[arg(long)]
    session_idle_timeout_minutes: Option<i64>,
    /// End every session this many minutes after it started, whatever its extensions (0: no
    /// limit).
    #[arg(long)]
    session_max_lifetime_minutes: Option<i64>,
    /// Deleting a factor or changing the primary one through the frontend API needs a factor
    /// authenticated within this many minutes [default: 10].
    #[arg(long)]
    recent_auth_minutes: Option<i64>,
    /// Email the user's verified address on every new sign-in [default: false].
    #[arg(long)]
    notify_sign_in: Option<bool>,
    /// Keep this project's events (session timelines, `GET /v1/events`) this many days (0:
    /// the server's --event-retention-days).
    #[arg(long)]
    event_retention_days: Option<i64>,
    /// Frontend API: links and codes per email address or phone number per 10 minutes
    /// [default: 5].
    #[arg(long)]
    send_limit_per_destination: Option<u32>,
    /// Frontend API: links and codes per client IP per 10 minutes [default: 30].
    #[arg(long)]
    send_limit_per_ip: Option<u32>,
    /// Frontend API: links and codes per project per hour [default: 1000].
    #[arg(long)]
    send_limit_per_project: Option<u32>,
    /// Frontend API: factor authentication attempts per client IP per 10 minutes [default: 60].
    #[arg(long)]
    authenticate_limit_per_ip: Option<u32>,
    /// How password strength is judged: zxcvbn (a score of 3 of 4) or luds (length and
    /// character classes) [default: zxcvbn].
    #[arg(long, value_parser = ["zxcvbn", "luds"])]
    password_strength: Option<String>,
    /// LUDS: minimum password length, 8..=32 [default: 8].
    #[arg(long)]
    luds_min_length: Option<u32>,
    /// LUDS: how many of lower case, upper case, digit and symbol, 1..=4 [default: 3].
    #[arg(long)]
    luds_complexity: Option<u32>,
    /// Where browsers keep the session: readable (the SDK keeps the tokens where script can
    /// read them) or httponly (the frontend API sets HttpOnly cookies and accepts them in
    /// place of the token) [default: readable].
    #[arg(long, value_parser = ["readable", "httponly"])]
    cookie_mode: Option<String>,
    /// The Domain of the HttpOnly cookies, e.g. example.com when Tessera is auth.example.com and
    /// the app app.example.com ("" for host-only cookies) [default: none].
    #[arg(long)]
    cookie_domain: Option<String>,
    /// Whether administrators may impersonate users: allow or forbid [default: allow].
    #[arg(long, value_parser = ["allow", "forbid"])]
    impersonation: Option<String>,
    /// The other identity provider's OIDC userinfo URL that sessions/migrate calls with the
    /// presented access token ("" removes it) [default: none].
    #[arg(long)]
    migrate_userinfo_url: Option<String>,
    /// The WebAuthn relying-party ids (and Sign-In with Ethereum domains) the project accepts,
    /// comma-separated ("" returns to the default) [default: the host names of the authorized
    /// origins].
    #[arg(long, value_delimiter = ',')]
    webauthn_domains: Option<Vec<String>>,
    /// Whether browser logins with an Ethereum wallet must use Sign-In with Ethereum (bootstrap
    /// tells the SDK, which then sends siwe_params) [default: false].
    #[arg(long)]
    siwe_required: Option<bool>,
    /// The hosted login page's logo: an https image URL ("" removes it) [default: none].
    #[arg(long)]
    brand_logo_url: Option<String>,
    /// The hosted login page's primary colour, #rrggbb ("" returns to the default).
    #[arg(long)]
    brand_primary_color: Option<String>,
    /// The hosted login page's background colour, #rrggbb ("" returns to the default).
    #[arg(long)]
    brand_background_color: Option<String>,
}

/// A policy enum from its lower-case wire name (clap has already checked the name).
fn by_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

impl From<PolicyArgs> for PolicyChange {
    fn from(a: PolicyArgs) -> Self {
        PolicyChange {
            session_idle_timeout_minutes: a.session_idle_timeout_minutes,
            session_max_lifetime_minutes: a.session_max_lifetime_minutes,
            recent_auth_minutes: a.recent_auth_minutes,
            notify_sign_in: a.notify_sign_in,
            send_per_destination: a.send_limit_per_destination,
            send_per_ip: a.send_limit_per_ip,
            send_per_project: a.send_limit_per_project,
            authenticate_per_ip: a.authenticate_limit_per_ip,
            password_strength: a.password_strength.as_deref().and_then(by_name),
            luds_min_length: a.luds_min_length,
            luds_complexity: a.luds_complexity,
            cookie_mode: a.cookie_mode.as_deref().and_then(by_name),
            cookie_domain: a.cookie_domain,
            impersonation: a.impersonation.map(|v| v == "allow"),
            migrate_userinfo_url: a.migrate_userinfo_url,
            webauthn_domains: a.webauthn_domains,
            siwe_required: a.siwe_required,
            event_retention_days: a.event_retention_days,
            brand_logo_url: a.brand_logo_url,
            brand_primary_color: a.brand_primary_color,
            brand_background_color: a.brand_background_color,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ProjectCreateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Display name.
    #[arg(long, default_value = "My project")]
    name: String,
    /// Create a live project (`project-live-…`) instead of a test one.
    #[arg(long)]
    live: bool,
    /// An allowed redirect URL for magic links and OAuth (repeatable).
    #[arg(long = "redirect-url")]
    redirect_urls: Vec<String>,
    /// An origin allowed to call the frontend API, e.g. https://app.example.com (repeatable).
    #[arg(long = "authorized-origin")]
    authorized_origins: Vec<String>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Print exactly {"project_id","secret","public_token"} on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ProjectListArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Print a JSON array.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ProjectUpdateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, Args)]
pub(crate) struct SecretArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
}

#[derive(Debug, Args)]
pub(crate) struct SecretDeleteArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
    /// The secret's id, as `secret list` shows it.
    secret_id: String,
}

/// What `project create` prints, in this order.
#[derive(serde::Serialize, serde::Deserialize)]
struct Credentials {
    project_id: String,
    secret: String,
    public_token: String,
}

/// A project as `project list` prints it.
#[derive(serde::Deserialize)]
struct Listed {
    project_id: String,
    name: String,
    environment: String,
    public_token: String,
    authorized_origins: Vec<String>,
    policy: serde_json::Value,
}

/// Runs a `project` command.
pub(crate) async fn run(cmd: ProjectCommand) -> anyhow::Result<()> {
    match cmd {
        ProjectCommand::Oauth(cmd) => super::oauth::run(cmd).await?,
        ProjectCommand::Webhook(cmd) => super::webhook::run(cmd).await?,
        ProjectCommand::Create(args) => {
            let db = args.db.resolve()?;
            let req = AdminRequest::ProjectCreate {
                name: args.name,
                live: args.live,
                redirect_urls: args.redirect_urls,
                authorized_origins: args.authorized_origins,
                policy: args.policy.into(),
            };
            let creds: Credentials = serde_json::from_value(run_admin(&db, req).await?)?;
            if args.json {
                println!("{}", serde_json::to_string(&creds)?);
            } else {
                println!("project_id:   {}", creds.project_id);
                println!("secret:       {}", creds.secret);
                println!("public_token: {}", creds.public_token);
                println!("(the secret is not stored in clear and cannot be shown again)");
            }
        }
        ProjectCommand::List(args) => {
            let db = args.db.resolve()?;
            let rows = run_admin(&db, AdminRequest::ProjectList).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for p in serde_json::from_value::<Vec<Listed>>(rows)? {
                    println!(
                        "{}  {}  {}  {:?}  origins={:?}  policy={}",
                        p.project_id,
                        p.public_token,
                        p.environment,
                        p.name,
                        p.authorized_origins,
                        p.policy
                    );
                }
            }
        }
        ProjectCommand::Update(args) => {
            let db = args.db.resolve()?;
            let req = AdminRequest::ProjectUpdate {
                project_id: args.project_id,
                policy: args.policy.into(),
            };
            let p = run_admin(&db, req).await?;
            println!("{}", serde_json::to_string_pretty(&p["policy"])?);
        }
        ProjectCommand::Secret(SecretCommand::Create(args)) => {
            let db = args.db.resolve()?;
            let req = AdminRequest::SecretCreate {
                project_id: args.project_id,
            };
            let r = run_admin(&db, req).await?;
            println!("secret_id: {}", r["secret_id"].as_str().unwrap_or_default());
            println!("secret:    {}", r["secret"].as_str().unwrap_or_default());
            println!("(the secret is not stored in clear and cannot be shown again)");
        }
        ProjectCommand::Secret(SecretCommand::List(args)) => {
            let db = args.db.resolve()?;
            let req = AdminRequest::SecretList {
                project_id: args.project_id,
            };
            let rows = run_admin(&db, req).await?;
            for r in rows.as_array().into_iter().flatten() {
                let created = crate::model::Timestamp::from_millis(
                    r["created_at"].as_i64().unwrap_or_default(),
                );
                println!(
                    "{}  created {}",
                    r["secret_id"].as_str().unwrap_or_default(),
                    created.to_rfc3339()
                );
            }
        }
        ProjectCommand::Secret(SecretCommand::Delete(args)) => {
            let db = args.db.resolve()?;
            let req = AdminRequest::SecretDelete {
                project_id: args.project_id,
                secret_id: args.secret_id.clone(),
            };
            run_admin(&db, req).await?;
            println!("deleted {}", args.secret_id);
        }
    }
    Ok(())
}
