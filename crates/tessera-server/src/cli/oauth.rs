//! `tessera project oauth set|list|delete` (a project's OAuth providers) and
//! `tessera impersonate` (a single-use impersonation token).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{DbArgs, run_admin};
use crate::admin::AdminRequest;
use crate::model::oauth::ProviderSettings;

#[derive(Debug, Subcommand)]
pub(crate) enum OauthCommand {
    /// Configure a provider (google, microsoft, apple, github, gitlab, …): its client id and
    /// secret, and for a provider without a preset (or a self-hosted one) its OpenID issuer or
    /// OAuth 2.0 endpoints. The secret is sealed at rest. Register
    /// <public URL>/v1/public/oauth/callback as the redirect URI with the provider.
    Set(Box<OauthSetArgs>),
    /// List a project's providers (never their secrets).
    List(OauthListArgs),
    /// Remove a provider: its logins stop at once (users keep their registrations).
    Delete(OauthDeleteArgs),
}

#[derive(Debug, Args)]
pub(crate) struct OauthSetArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
    /// The provider, by Stytch's name (google, apple, microsoft, github, …).
    provider: String,
    /// The client id the provider issued.
    #[arg(long)]
    client_id: String,
    /// The client secret (prefer --client-secret-file: arguments are visible to other users).
    #[arg(long, conflicts_with = "client_secret_file")]
    client_secret: Option<String>,
    /// A file holding the client secret (Apple: the .p8 private key).
    #[arg(long)]
    client_secret_file: Option<PathBuf>,
    /// Scopes to ask for, space-separated [default: the provider's].
    #[arg(long)]
    scopes: Option<String>,
    /// An OpenID Connect issuer (discovery at <issuer>/.well-known/openid-configuration).
    #[arg(long)]
    issuer: Option<String>,
    /// Plain OAuth 2.0: the authorization endpoint.
    #[arg(long)]
    authorization_url: Option<String>,
    /// Plain OAuth 2.0: the token endpoint.
    #[arg(long)]
    token_url: Option<String>,
    /// Plain OAuth 2.0: the userinfo endpoint.
    #[arg(long)]
    userinfo_url: Option<String>,
    /// Apple: the team id.
    #[arg(long)]
    team_id: Option<String>,
    /// Apple: the key id of the private key.
    #[arg(long)]
    key_id: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct OauthListArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
}

#[derive(Debug, Args)]
pub(crate) struct OauthDeleteArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
    /// The provider.
    provider: String,
}

/// `tessera impersonate`.
#[derive(Debug, Args)]
pub(crate) struct ImpersonateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    #[arg(long)]
    project: String,
    /// The user to act as.
    #[arg(long)]
    user: String,
    /// Your email, recorded with the session and in the security log.
    #[arg(long)]
    impersonator: String,
    /// Why (recorded in the security log).
    #[arg(long)]
    reason: String,
}

/// Runs a `project oauth` command.
pub(crate) async fn run(cmd: OauthCommand) -> anyhow::Result<()> {
    match cmd {
        OauthCommand::Set(a) => {
            let a = *a;
            let db = a.db.resolve()?;
            let client_secret = match (a.client_secret, a.client_secret_file) {
                (Some(s), _) => s,
                (None, Some(f)) => std::fs::read_to_string(&f)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", f.display()))?
                    .trim_end()
                    .to_owned(),
                (None, None) => anyhow::bail!("give --client-secret or --client-secret-file"),
            };
            let req = AdminRequest::OauthSet {
                project_id: a.project_id,
                provider: a.provider,
                settings: ProviderSettings {
                    client_id: a.client_id,
                    scopes: a.scopes.unwrap_or_default(),
                    issuer: a.issuer,
                    authorization_url: a.authorization_url,
                    token_url: a.token_url,
                    userinfo_url: a.userinfo_url,
                    team_id: a.team_id,
                    key_id: a.key_id,
                },
                client_secret,
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&run_admin(&db, req).await?)?
            );
        }
        OauthCommand::List(a) => {
            let db = a.db.resolve()?;
            let req = AdminRequest::OauthList {
                project_id: a.project_id,
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&run_admin(&db, req).await?)?
            );
        }
        OauthCommand::Delete(a) => {
            let db = a.db.resolve()?;
            let req = AdminRequest::OauthDelete {
                project_id: a.project_id,
                provider: a.provider,
            };
            run_admin(&db, req).await?;
            println!("deleted");
        }
    }
    Ok(())
}

/// Runs `tessera impersonate`: prints the token and its expiry as JSON.
pub(crate) async fn impersonate(a: ImpersonateArgs) -> anyhow::Result<()> {
    let db = a.db.resolve()?;
    let req = AdminRequest::Impersonate {
        project_id: a.project,
        user_id: a.user,
        impersonator: a.impersonator,
        reason: a.reason,
    };
    println!("{}", serde_json::to_string(&run_admin(&db, req).await?)?);
    Ok(())
}
