//! The local admin channel: `project create|list` and `keys rotate` sent to a running server.

use std::future::Future;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinSet;

use crate::model::Project;
use crate::model::project::PolicyChange;
use crate::sealing::MasterKey;
use crate::service::projects::{self, NewProject};
use crate::service::webhooks;
use crate::store::{DatabaseUrl, Store};

/// How long a request may take to arrive, and a whole exchange to complete.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request accepted.
const MAX_REQUEST: usize = 64 * 1024;
/// The largest answer read (a long project list).
const MAX_ANSWER: u64 = 16 * 1024 * 1024;

/// A command of the admin channel: one per connection, as one line of JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum AdminRequest {
    /// Create a project; answers `{"project_id", "secret", "public_token"}`.
    ProjectCreate {
        /// Display name.
        name: String,
        /// A live project instead of a test one.
        #[serde(default)]
        live: bool,
        /// Allowed redirect URLs.
        #[serde(default)]
        redirect_urls: Vec<String>,
        /// Origins allowed to use the frontend API.
        #[serde(default)]
        authorized_origins: Vec<String>,
        /// Policy other than the defaults.
        #[serde(default)]
        policy: PolicyChange,
    },
    /// Change a project's policy; answers the project as listed.
    ProjectUpdate {
        /// The project.
        project_id: String,
        /// What changes.
        policy: PolicyChange,
    },
    /// Add a secret to a project; answers `{"secret_id", "secret"}`.
    SecretCreate {
        /// The project.
        project_id: String,
    },
    /// List a project's secrets (ids, never secrets).
    SecretList {
        /// The project.
        project_id: String,
    },
    /// Delete a secret (never the last).
    SecretDelete {
        /// The project.
        project_id: String,
        /// Its id, from `SecretList`.
        secret_id: String,
    },
    /// List projects; answers an array of `{"project_id", "name", "environment", …}`.
    ProjectList,
    /// Set a project's OAuth provider; answers it as listed.
    OauthSet {
        /// The project.
        project_id: String,
        /// The provider's name, e.g. `google`.
        provider: String,
        /// Client id, scopes, endpoint overrides.
        settings: crate::model::oauth::ProviderSettings,
        /// The client secret (Apple: its private key, PEM).
        client_secret: String,
    },
    /// List a project's OAuth providers (never their secrets).
    OauthList {
        /// The project.
        project_id: String,
    },
    /// Delete a project's OAuth provider.
    OauthDelete {
        /// The project.
        project_id: String,
        /// The provider's name.
        provider: String,
    },
    /// Mint an impersonation token; answers `{"impersonation_token", "expires_at"}`.
    Impersonate {
        /// The project.
        project_id: String,
        /// The user.
        user_id: String,
        /// The administrator's email.
        impersonator: String,
        /// Why.
        reason: String,
    },
    /// Add a webhook endpoint; answers it with its signing secret (shown once).
    WebhookAdd {
        /// The project.
        project_id: String,
        /// Where events are posted.
        url: String,
        /// The event types it receives (none or `*`: all).
        #[serde(default)]
        events: Vec<String>,
    },
    /// List a project's webhook endpoints (never their secrets).
    WebhookList {
        /// The project.
        project_id: String,
    },
    /// Delete a webhook endpoint.
    WebhookDelete {
        /// The project.
        project_id: String,
        /// The endpoint.
        endpoint_id: String,
    },
    /// An endpoint's recent deliveries.
    WebhookLog {
        /// The project.
        project_id: String,
        /// The endpoint.
        endpoint_id: String,
    },
    /// Make an administrator of the admin console; answers `{"email", "password",
    /// "otpauth_uri"}` (shown once).
    AdminCreate {
        /// The login.
        email: String,
        /// The password; none: one is generated.
        #[serde(default)]
        password: Option<String>,
    },
    /// Make a new signing key current; answers an array of `{"project_id", "kid"}`.
    KeysRotate {
        /// Only this project (default: every project).
        #[serde(default)]
        project: Option<String>,
    },
}

impl AdminRequest {
    /// The command's name, for logs (never its arguments).
    pub fn name(&self) -> &'static str {
        match self {
            AdminRequest::ProjectCreate { .. } => "project_create",
            AdminRequest::ProjectList => "project_list",
            AdminRequest::ProjectUpdate { .. } => "project_update",
            AdminRequest::SecretCreate { .. } => "secret_create",
            AdminRequest::SecretList { .. } => "secret_list",
            AdminRequest::SecretDelete { .. } => "secret_delete",
            AdminRequest::KeysRotate { .. } => "keys_rotate",
            AdminRequest::OauthSet { .. } => "oauth_set",
            AdminRequest::OauthList { .. } => "oauth_list",
            AdminRequest::OauthDelete { .. } => "oauth_delete",
            AdminRequest::Impersonate { .. } => "impersonate",
            AdminRequest::WebhookAdd { .. } => "webhook_add",
            AdminRequest::WebhookList { .. } => "webhook_list",
            AdminRequest::WebhookDelete { .. } => "webhook_delete",
            AdminRequest::WebhookLog { .. } => "webhook_log",
            AdminRequest::AdminCreate { .. } => "admin_create",
        }
    }
}

/// The admin socket of the server that holds this database: `<file>-admin.sock` beside an
/// SQLite file (named after the file, so two databases in one directory never share it).
/// `None` on PostgreSQL, where many instances already share the database and the commands go
/// to it directly.
pub fn socket_path(db: &DatabaseUrl) -> Option<PathBuf> {
    match db {
        DatabaseUrl::Sqlite(path) => {
            let file = path.file_name()?;
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut name = file.to_owned();
            name.push("-admin.sock");
            Some(dir.join(name))
        }
        DatabaseUrl::Postgres(_) => None,
    }
}

/// Runs a command on the store: the one implementation behind the socket and the fallback.
pub async fn execute(db: &Held, req: AdminRequest) -> anyhow::Result<Value> {
    let store = &db.store;
    match req {
        AdminRequest::ProjectCreate {
            name,
            live,
            redirect_urls,
            authorized_origins,
            policy,
        } => {
            let creds = projects::create(
                (store, &db.master),
                NewProject {
                    name,
                    live,
                    redirect_urls,
                    authorized_origins,
                    policy,
                },
            )
            .await?;
            Ok(serde_json::to_value(creds)?)
        }
        AdminRequest::ProjectUpdate { project_id, policy } => {
            let p = projects::update_policy(store, &project_id, policy).await?;
            Ok(listed(&p))
        }
        AdminRequest::SecretCreate { project_id } => {
            let (secret_id, secret) = projects::create_secret(store, &project_id).await?;
            Ok(serde_json::json!({ "secret_id": secret_id, "secret": secret }))
        }
        AdminRequest::SecretList { project_id } => Ok(serde_json::to_value(
            projects::list_secrets(store, &project_id).await?,
        )?),
        AdminRequest::SecretDelete {
            project_id,
            secret_id,
        } => {
            projects::delete_secret(store, &project_id, &secret_id).await?;
            Ok(Value::Null)
        }
        AdminRequest::ProjectList => {
            let rows: Vec<Value> = store
                .list_projects()
                .await?
                .into_iter()
                .map(|p| listed(&p))
                .collect();
            Ok(Value::Array(rows))
        }
        AdminRequest::OauthSet {
            project_id,
            provider,
            settings,
            client_secret,
        } => {
            let listed = crate::service::oauth::config::set(
                store,
                &db.master,
                &project_id,
                &provider,
                settings,
                &client_secret,
            )
            .await
            .map_err(api_error)?;
            Ok(serde_json::to_value(listed)?)
        }
        AdminRequest::OauthList { project_id } => Ok(serde_json::to_value(
            crate::service::oauth::config::list(store, &project_id)
                .await
                .map_err(api_error)?,
        )?),
        AdminRequest::OauthDelete {
            project_id,
            provider,
        } => {
            crate::service::oauth::config::delete(store, &project_id, &provider)
                .await
                .map_err(api_error)?;
            Ok(Value::Null)
        }
        AdminRequest::Impersonate {
            project_id,
            user_id,
            impersonator,
            reason,
        } => {
            let project = store
                .project(&project_id)
                .await?
                .context("no such project")?;
            let (token, expires) = crate::service::impersonation::mint(
                store,
                &project,
                &user_id,
                (&impersonator, &reason),
                crate::model::Timestamp::now(),
            )
            .await
            .map_err(api_error)?;
            Ok(serde_json::json!({
                "impersonation_token": token,
                "expires_at": expires.to_rfc3339(),
            }))
        }
        AdminRequest::WebhookAdd {
            project_id,
            url,
            events,
        } => {
            let held = (store, db.master.as_ref());
            let (listed, secret) = webhooks::add(held, &project_id, &url, &events)
                .await
                .map_err(api_error)?;
            let mut v = serde_json::to_value(listed)?;
            v["secret"] = Value::from(secret);
            Ok(v)
        }
        AdminRequest::WebhookList { project_id } => Ok(serde_json::to_value(
            webhooks::list(store, &project_id)
                .await
                .map_err(api_error)?,
        )?),
        AdminRequest::WebhookDelete {
            project_id,
            endpoint_id,
        } => {
            webhooks::delete(store, &project_id, &endpoint_id)
                .await
                .map_err(api_error)?;
            Ok(Value::Null)
        }
        AdminRequest::WebhookLog {
            project_id,
            endpoint_id,
        } => Ok(Value::Array(
            webhooks::log(store, &project_id, &endpoint_id)
                .await
                .map_err(api_error)?,
        )),
        AdminRequest::AdminCreate { email, password } => {
            use crate::service::passwords::hashing::Hasher;
            let hasher = Hasher::new(1, Hasher::owasp());
            let held = (store, db.master.as_ref(), &hasher);
            let now = crate::model::Timestamp::now();
            let created = crate::service::admins::create(held, &email, password, now)
                .await
                .map_err(api_error)?;
            Ok(serde_json::to_value(created)?)
        }
        AdminRequest::KeysRotate { project } => {
            let projects: Vec<Project> = store
                .list_projects()
                .await?
                .into_iter()
                .filter(|p| project.as_deref().is_none_or(|id| id == p.project_id))
                .collect();
            anyhow::ensure!(!projects.is_empty(), "no such project");
            let mut rotated = Vec::with_capacity(projects.len());
            for p in projects {
                let kid =
                    crate::service::keys::rotate(store, &db.master, &p.project_id, p.env).await?;
                rotated.push(serde_json::json!({ "project_id": p.project_id, "kid": kid }));
            }
            Ok(Value::Array(rotated))
        }
    }
}

/// A service error as an admin answer: its message, or its type.
fn api_error(e: crate::error::Error) -> anyhow::Error {
    match e {
        crate::error::Error::Api {
            kind,
            message: Some(m),
        } => anyhow::anyhow!("{m} ({kind})"),
        crate::error::Error::Api { kind, .. } => anyhow::anyhow!("{kind}"),
        crate::error::Error::Internal(e) => e,
    }
}

/// A project as the admin commands show it (never a secret).
fn listed(p: &Project) -> Value {
    serde_json::json!({
        "project_id": p.project_id,
        "name": p.name,
        "environment": p.env.as_str(),
        "public_token": p.public_token,
        "redirect_urls": p.redirect_urls,
        "authorized_origins": p.authorized_origins,
        "policy": p.policy,
    })
}

/// What admin commands work on: the database and the master key that opens it.
#[derive(Clone)]
pub struct Held {
    /// The database.
    pub store: Store,
    /// Its master key.
    pub master: Arc<MasterKey>,
}

/// A bound admin socket, not yet serving; see [`serve`].
#[derive(Debug)]
pub struct AdminListener {
    listener: UnixListener,
    path: PathBuf,
    /// The user the server runs as: the owner of the socket file.
    uid: u32,
}

impl AdminListener {
    /// Binds the socket at `path`, mode 0600, replacing a stale one. Call it only while holding
    /// the database's exclusive lock: then no other server can be using that path.
    pub fn bind(path: &Path) -> anyhow::Result<Self> {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("removing stale {}", path.display()));
            }
        }
        let listener = UnixListener::bind(path)
            .with_context(|| format!("binding the admin socket {}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
        let uid = std::fs::metadata(path)
            .with_context(|| format!("reading {}", path.display()))?
            .uid();
        Ok(AdminListener {
            listener,
            path: path.to_owned(),
            uid,
        })
    }
}

/// Answers admin commands on `listener` until `shutdown` completes, then waits for the
/// Called in the server after every command that succeeded, so that what this instance
/// remembers (project credentials, signing keys) is read again at once.
pub type Changed = Arc<dyn Fn() + Send + Sync>;

/// exchanges in progress (each bounded by a 10 s timeout) and removes the socket file.
pub async fn serve(
    listener: AdminListener,
    db: Held,
    changed: Changed,
    shutdown: impl Future<Output = ()>,
) {
    let AdminListener {
        listener,
        path,
        uid,
    } = listener;
    let mut shutdown = std::pin::pin!(shutdown);
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.as_mut() => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tasks.spawn(handle(stream, db.clone(), uid, Arc::clone(&changed)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "admin socket: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
    if let Err(e) = std::fs::remove_file(&path) {
        tracing::warn!(error = %e, path = %path.display(), "removing the admin socket failed");
    }
}

/// One exchange: read the request, answer `{"ok": true, "result"}` or `{"ok": false, "error"}`.
async fn handle(mut stream: UnixStream, db: Held, uid: u32, changed: Changed) {
    let exchange = async {
        let answer = match respond(&mut stream, &db, uid).await {
            Ok(result) => {
                changed();
                serde_json::json!({ "ok": true, "result": result })
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "admin command failed");
                serde_json::json!({ "ok": false, "error": format!("{e:#}") })
            }
        };
        let mut line = serde_json::to_vec(&answer)?;
        line.push(b'\n');
        stream.write_all(&line).await
    };
    match tokio::time::timeout(TIMEOUT, exchange).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "admin exchange failed"),
        Err(_) => tracing::warn!("admin exchange timed out"),
    }
}

/// Reads one line of at most [`MAX_REQUEST`] bytes, checks the caller is the server's own
/// user, and runs the command.
async fn respond(stream: &mut UnixStream, db: &Held, uid: u32) -> anyhow::Result<Value> {
    // Who is asking is checked before anything is read.
    let peer = stream.peer_cred()?;
    anyhow::ensure!(
        peer.uid() == uid,
        "refused: the admin socket answers only the user the server runs as (uid {uid})"
    );
    let mut line = Vec::new();
    {
        let mut reader = BufReader::new((&mut *stream).take(MAX_REQUEST as u64 + 1));
        tokio::time::timeout(TIMEOUT, reader.read_until(b'\n', &mut line))
            .await
            .map_err(|_| anyhow::anyhow!("no request within {} s", TIMEOUT.as_secs()))??;
    }
    anyhow::ensure!(line.len() <= MAX_REQUEST, "request larger than 64 KiB");
    let req: AdminRequest = serde_json::from_slice(&line).context("malformed admin request")?;
    tracing::info!(command = req.name(), "admin command");
    execute(db, req).await
}

/// Sends `req` to the server listening at `path`. `None` when none does (no socket file, or a
/// stale one left by a server that died): then the caller opens the database itself.
pub async fn call(path: &Path, req: &AdminRequest) -> Option<anyhow::Result<Value>> {
    use std::io::ErrorKind::{ConnectionRefused, InvalidInput, NotFound};
    let attempt = async {
        let stream = match UnixStream::connect(path).await {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), NotFound | ConnectionRefused | InvalidInput) => {
                return None;
            }
            Err(e) => {
                let at = format!("connecting to the admin socket {}", path.display());
                return Some(Err(anyhow::Error::new(e).context(at)));
            }
        };
        Some(exchange(stream, req).await)
    };
    tokio::time::timeout(TIMEOUT, attempt)
        .await
        .unwrap_or_else(|_| {
            let secs = TIMEOUT.as_secs();
            Some(Err(anyhow::anyhow!(
                "the running server did not answer within {secs} s"
            )))
        })
}

/// Writes the request line and reads the answer line.
async fn exchange(mut stream: UnixStream, req: &AdminRequest) -> anyhow::Result<Value> {
    let mut line = serde_json::to_vec(req)?;
    line.push(b'\n');
    stream.write_all(&line).await?;
    let mut answer = Vec::new();
    BufReader::new(stream.take(MAX_ANSWER))
        .read_until(b'\n', &mut answer)
        .await
        .context("reading the running server's answer")?;
    let mut answer: Value = serde_json::from_slice(&answer)
        .context("the running server closed the admin connection without a valid answer")?;
    if answer["ok"] == true {
        return Ok(answer["result"].take());
    }
    match answer["error"].as_str() {
        Some(error) => Err(anyhow::anyhow!(error.to_owned())),
        None => anyhow::bail!("the running server gave a malformed answer"),
    }
}

#[cfg(test)]
mod tests;
