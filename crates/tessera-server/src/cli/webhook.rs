//! `tessera project webhook add|list|delete|log`: a project's webhook endpoints.

use clap::{Args, Subcommand};

use super::{DbArgs, run_admin};
use crate::admin::AdminRequest;

#[derive(Debug, Subcommand)]
pub(crate) enum WebhookCommand {
    /// Add an endpoint: events are POSTed to URL as JSON, signed per Standard Webhooks
    /// (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and retried with exponential
    /// backoff for up to a day until it answers 2xx. Prints its signing secret (`whsec_…`),
    /// shown only this once.
    Add(WebhookAddArgs),
    /// List a project's endpoints (never their secrets).
    List(WebhookProjectArgs),
    /// Delete an endpoint: nothing more is sent to it.
    Delete(WebhookEndpointArgs),
    /// An endpoint's delivery log: its latest 100 deliveries, newest first.
    Log(WebhookEndpointArgs),
}

#[derive(Debug, Args)]
pub(crate) struct WebhookAddArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
    /// Where events are posted (http:// or https://).
    url: String,
    /// The event types to send, comma-separated (say session.revoked,user.created) [default:
    /// all].
    #[arg(long, value_delimiter = ',')]
    events: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct WebhookProjectArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
}

#[derive(Debug, Args)]
pub(crate) struct WebhookEndpointArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The project.
    project_id: String,
    /// The endpoint, as `webhook list` shows it.
    endpoint_id: String,
}

/// Runs a `project webhook` command, printing its answer as JSON.
pub(crate) async fn run(cmd: WebhookCommand) -> anyhow::Result<()> {
    let (db, req) = match cmd {
        WebhookCommand::Add(a) => (
            a.db,
            AdminRequest::WebhookAdd {
                project_id: a.project_id,
                url: a.url,
                events: a.events,
            },
        ),
        WebhookCommand::List(a) => (
            a.db,
            AdminRequest::WebhookList {
                project_id: a.project_id,
            },
        ),
        WebhookCommand::Delete(a) => (
            a.db,
            AdminRequest::WebhookDelete {
                project_id: a.project_id,
                endpoint_id: a.endpoint_id,
            },
        ),
        WebhookCommand::Log(a) => (
            a.db,
            AdminRequest::WebhookLog {
                project_id: a.project_id,
                endpoint_id: a.endpoint_id,
            },
        ),
    };
    let deleted = matches!(req, AdminRequest::WebhookDelete { .. });
    let answer = run_admin(&db.resolve()?, req).await?;
    if deleted {
        println!("deleted");
    } else {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    }
    Ok(())
}
