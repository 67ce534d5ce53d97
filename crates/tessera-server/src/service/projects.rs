use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use quick_cache::sync::Cache;

use crate::crypto::{self, Digest256};
use crate::error::{Error, ErrorType, Result};
use crate::model::event::{Actor, EventDraft};
use crate::model::ids::IdKind;
use crate::model::project::{PolicyChange, ProjectCredentials, ProjectPolicy};
use crate::model::{Environment, Project, Timestamp};
use crate::sealing::MasterKey;
use crate::store::Store;

/// What a new project is made of.
#[derive(Debug, Clone, Default)]
pub struct NewProject {
    /// Display name.
    pub name: String,
    /// A live project instead of a test one.
    pub live: bool,
    /// Allowed redirect URLs (absolute http or https URLs).
    pub redirect_urls: Vec<String>,
    /// Origins allowed to use the frontend API (`scheme://host[:port]`).
    pub authorized_origins: Vec<String>,
    /// Policy settings other than the defaults.
    pub policy: PolicyChange,
}

/// Checks an absolute http(s) URL.
fn parse_redirect_url(s: &str) -> anyhow::Result<String> {
    let u = url::Url::parse(s).map_err(|e| anyhow::anyhow!("redirect URL {s:?}: {e}"))?;
    anyhow::ensure!(
        matches!(u.scheme(), "http" | "https") && u.host().is_some(),
        "redirect URL {s:?} must be an absolute http or https URL"
    );
    Ok(s.to_owned())
}

/// Normalizes an origin to `scheme://host[:port]` and refuses paths, queries and fragments.
pub fn parse_origin(s: &str) -> anyhow::Result<String> {
    let u = url::Url::parse(s).map_err(|e| anyhow::anyhow!("origin {s:?}: {e}"))?;
    anyhow::ensure!(
        matches!(u.scheme(), "http" | "https")
            && u.host().is_some()
            && (u.path() == "/" || u.path().is_empty())
            && u.query().is_none()
            && u.fragment().is_none(),
        "origin {s:?} must be scheme://host[:port] with nothing after it"
    );
    Ok(u.origin().ascii_serialization())
}

/// Creates a project and returns its credentials: the only time the secret is ever shown.
pub async fn create(
    (store, master): (&Store, &MasterKey),
    input: NewProject,
) -> anyhow::Result<ProjectCredentials> {
    let env = if input.live {
        Environment::Live
    } else {
        Environment::Test
    };
    let project = Project {
        project_id: IdKind::Project.mint(env),
        name: input.name,
        env,
        public_token: IdKind::PublicToken.mint(env),
        redirect_urls: input
            .redirect_urls
            .iter()
            .map(|u| parse_redirect_url(u))
            .collect::<anyhow::Result<_>>()?,
        authorized_origins: input
            .authorized_origins
            .iter()
            .map(|o| parse_origin(o))
            .collect::<anyhow::Result<_>>()?,
        created_at: Timestamp::now(),
        policy: ProjectPolicy::default()
            .with(input.policy)
            .map_err(anyhow::Error::msg)?,
    };
    let secret = format!("secret-{env}-{}", crypto::random_b64_padded(32));
    let key = super::keys::generate(master, &project.project_id, env, project.created_at).await?;
    store
        .insert_project(&project, Digest256::of(&secret))
        .await?;
    store.insert_signing_key(&project.project_id, &key).await?;
    Ok(ProjectCredentials {
        project_id: project.project_id,
        secret,
        public_token: project.public_token,
    })
}

/// On a database with no project yet, creates a test project and returns its credentials.
pub async fn ensure_first_project(
    store: &Store,
    master: &MasterKey,
) -> anyhow::Result<Option<ProjectCredentials>> {
    if store.has_projects().await? {
        return Ok(None);
    }
    let creds = create(
        (store, master),
        NewProject {
            name: "Default test project".into(),
            authorized_origins: vec![
                "http://localhost:3000".into(),
                "http://localhost:5173".into(),
            ],
            redirect_urls: vec!["http://localhost:3000/authenticate".into()],
            ..NewProject::default()
        },
    )
    .await?;
    Ok(Some(creds))
}

/// Changes a project's policy; the project as it now is. Every instance sees the change within
/// its project cache bound ([`PROJECT_TTL`]), at once on PostgreSQL (the change feed).
pub async fn update_policy(
    store: &Store,
    project_id: &str,
    change: PolicyChange,
) -> anyhow::Result<Project> {
    let project = store
        .project(project_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no such project"))?;
    let policy = project.policy.with(change).map_err(anyhow::Error::msg)?;
    store.set_project_policy(project_id, &policy).await?;
    store.notify_change(project_id).await?;
    Ok(Project { policy, ..project })
}

/// Replaces a project's redirect URLs and authorized origins (each checked as at creation);
/// the project as it now is.
pub async fn set_urls(
    store: &Store,
    project_id: &str,
    (redirect_urls, origins): (&[String], &[String]),
) -> anyhow::Result<Project> {
    let project = store
        .project(project_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no such project"))?;
    let redirect_urls: Vec<String> = redirect_urls
        .iter()
        .map(|u| parse_redirect_url(u))
        .collect::<anyhow::Result<_>>()?;
    let authorized_origins: Vec<String> = origins
        .iter()
        .map(|o| parse_origin(o))
        .collect::<anyhow::Result<_>>()?;
    store
        .set_project_urls(project_id, &redirect_urls, &authorized_origins)
        .await?;
    store.notify_change(project_id).await?;
    Ok(Project {
        redirect_urls,
        authorized_origins,
        ..project
    })
}

/// A secret's public name: the first bytes of its digest, in hex (never the secret).
fn secret_id(digest: &[u8]) -> String {
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("secret-id-{hex}")
}

/// A project's secret as listed: its id and creation time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SecretInfo {
    /// `secret-id-<12 hex digits>`.
    pub secret_id: String,
    /// Epoch ms.
    pub created_at: i64,
}

/// Adds a secret to a project: its id and the secret (shown once, stored as a digest).
pub async fn create_secret(store: &Store, project_id: &str) -> anyhow::Result<(String, String)> {
    let project = store
        .project(project_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no such project"))?;
    let secret = format!("secret-{}-{}", project.env, crypto::random_b64_padded(32));
    let digest = Digest256::of(&secret);
    store
        .insert_secret(project_id, digest, Timestamp::now())
        .await?;
    let id = secret_id(&digest.0);
    super::security_log::credential_changed(project_id, "secret_created", &id);
    let e = EventDraft::new("project.secret_created", Actor::Admin).with("secret_id", id.as_str());
    super::events::record(store, project_id, e).await;
    Ok((id, secret))
}

/// A project's secrets, oldest first.
pub async fn list_secrets(store: &Store, project_id: &str) -> anyhow::Result<Vec<SecretInfo>> {
    Ok(store
        .secrets(project_id)
        .await?
        .into_iter()
        .map(|(digest, created_at)| SecretInfo {
            secret_id: secret_id(&digest),
            created_at,
        })
        .collect())
}

/// Deletes a secret (never a project's last): it fails at once here and, through the change
/// feed, on every instance on PostgreSQL.
pub async fn delete_secret(store: &Store, project_id: &str, id: &str) -> anyhow::Result<()> {
    let secrets = store.secrets(project_id).await?;
    let (digest, _) = secrets
        .iter()
        .find(|(d, _)| secret_id(d) == id)
        .ok_or_else(|| anyhow::anyhow!("no secret {id} in project {project_id}"))?;
    anyhow::ensure!(
        store.delete_secret(project_id, digest).await?,
        "{id} is the project's last secret: create another first"
    );
    store.notify_change(project_id).await?;
    super::security_log::credential_changed(project_id, "secret_deleted", id);
    let e = EventDraft::new("project.secret_deleted", Actor::Admin).with("secret_id", id);
    super::events::record(store, project_id, e).await;
    Ok(())
}

/// The project these Basic credentials belong to, or `unauthorized_credentials`. Verified
/// pairs are remembered for [`PROJECT_TTL`], keyed by the secret's
/// digest, so a wrong secret never matches a remembered one.
pub async fn authenticate(
    store: &Store,
    cache: &ProjectCache,
    project_id: &str,
    secret: &str,
) -> Result<Arc<Project>> {
    // Only well-formed credentials reach the database.
    if Environment::of_credential(project_id).is_none() || !secret.starts_with("secret-") {
        return Err(Error::new(ErrorType::UnauthorizedCredentials));
    }
    let digest = Digest256::of(secret);
    if let Some(p) = cache.get(project_id, &digest) {
        return Ok(p);
    }
    let project = Arc::new(
        store
            .project_by_secret(project_id, digest)
            .await?
            .ok_or_else(|| Error::new(ErrorType::UnauthorizedCredentials))?,
    );
    cache.put(&digest, Arc::clone(&project));
    Ok(project)
}

/// The project a public token names (`unauthorized_credentials` when none). The token
/// identifies the project to the frontend API and grants nothing by itself.
pub async fn by_public_token(
    store: &Store,
    cache: &ProjectCache,
    token: &str,
) -> Result<Arc<Project>> {
    if !token.starts_with("public-token-") || token.len() > 128 {
        return Err(Error::new(ErrorType::UnauthorizedCredentials));
    }
    if let Some(p) = cache.by_public_token(token) {
        return Ok(p);
    }
    let project = Arc::new(
        store
            .project_by_public_token(token)
            .await?
            .ok_or_else(|| Error::new(ErrorType::UnauthorizedCredentials))?,
    );
    cache.put_public(Arc::clone(&project));
    Ok(project)
}

/// Whether any project lists this origin (a preflight carries no credentials, so it can only
/// be answered for the server as a whole; the request that follows is checked per project).
pub async fn origin_known(store: &Store, cache: &ProjectCache, origin: &str) -> Result<bool> {
    // A miss re-reads the projects at most once a second, so a newly authorized origin works
    // at once without letting unknown origins cost a query each.
    let set = match cache.origins() {
        Some(set) if set.contains(origin) || !cache.origins_older_than(Duration::from_secs(1)) => {
            set
        }
        _ => {
            let set: HashSet<String> = store
                .list_projects()
                .await?
                .into_iter()
                .flat_map(|p| p.authorized_origins)
                .collect();
            let set = Arc::new(set);
            cache.put_origins(Arc::clone(&set));
            set
        }
    };
    Ok(set.contains(origin))
}

/// How long a verified `project_id:secret` pair is trusted without asking the database.
pub const PROJECT_TTL: Duration = Duration::from_secs(10);
const MAX_PROJECTS: usize = 20_000;

/// A project and when it was read.
type Seen = (Arc<Project>, Instant);

/// Verified project credentials: saves a database read on every `/v1` call. Also the projects
/// named by public tokens and the set of all authorized origins, for the frontend API. Bounded
/// (S3-FIFO eviction); every entry also expires after [`PROJECT_TTL`].
pub struct ProjectCache {
    /// By secret digest; the project id is compared on use.
    map: Cache<[u8; 32], Seen>,
    public: Cache<String, Seen>,
    origins: Mutex<Option<(Arc<HashSet<String>>, Instant)>>,
}

impl Default for ProjectCache {
    fn default() -> Self {
        ProjectCache {
            map: Cache::new(MAX_PROJECTS),
            public: Cache::new(MAX_PROJECTS),
            origins: Mutex::new(None),
        }
    }
}

impl ProjectCache {
    /// The project with this public token, if it was read under [`PROJECT_TTL`] ago.
    pub fn by_public_token(&self, token: &str) -> Option<Arc<Project>> {
        self.public
            .get(token)
            .filter(|(_, at)| at.elapsed() < PROJECT_TTL)
            .map(|(p, _)| p)
    }

    /// Remembers the project of a public token.
    pub fn put_public(&self, project: Arc<Project>) {
        self.public
            .insert(project.public_token.clone(), (project, Instant::now()));
    }

    /// Every project's authorized origins, if read under [`PROJECT_TTL`] ago.
    pub fn origins(&self) -> Option<Arc<HashSet<String>>> {
        let o = self.origins.lock();
        o.as_ref()
            .filter(|(_, at)| at.elapsed() < PROJECT_TTL)
            .map(|(set, _)| Arc::clone(set))
    }

    /// Whether the remembered origins were read more than `age` ago (or never).
    pub fn origins_older_than(&self, age: Duration) -> bool {
        let o = self.origins.lock();
        o.as_ref().is_none_or(|(_, at)| at.elapsed() > age)
    }

    /// Remembers every project's authorized origins.
    pub fn put_origins(&self, set: Arc<HashSet<String>>) {
        *self.origins.lock() = Some((set, Instant::now()));
    }

    /// The project these credentials were verified for, if that was under [`PROJECT_TTL`] ago.
    pub fn get(&self, project_id: &str, secret: &Digest256) -> Option<Arc<Project>> {
        self.map
            .get(&secret.0)
            .filter(|(p, at)| p.project_id == project_id && at.elapsed() < PROJECT_TTL)
            .map(|(p, _)| p)
    }

    /// Remembers verified credentials.
    pub fn put(&self, secret: &Digest256, project: Arc<Project>) {
        self.map.insert(secret.0, (project, Instant::now()));
    }

    /// Forgets every remembered project and origin (a project was created or changed through
    /// this instance).
    pub fn clear(&self) {
        self.map.clear();
        self.public.clear();
        *self.origins.lock() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized_and_checked() {
        assert_eq!(
            parse_origin("https://App.example.com:8443/").unwrap(),
            "https://app.example.com:8443"
        );
        assert_eq!(
            parse_origin("http://localhost:3000").unwrap(),
            "http://localhost:3000"
        );
        assert!(parse_origin("https://example.com/path").is_err());
        assert!(parse_origin("example.com").is_err());
        assert!(parse_origin("ftp://example.com").is_err());
    }

    #[test]
    fn redirect_urls_must_be_absolute_http() {
        assert!(parse_redirect_url("https://example.com/auth?x=1").is_ok());
        assert!(parse_redirect_url("/relative").is_err());
        assert!(parse_redirect_url("javascript:alert(1)").is_err());
    }
}
