use super::{Environment, Timestamp};

/// A project: one tenant with its own users, sessions, keys and settings.
#[derive(Debug, Clone)]
pub struct Project {
    /// `project-test-<uuid>`.
    pub project_id: String,
    /// Display name.
    pub name: String,
    /// Test or live.
    pub env: Environment,
    /// `public-token-test-<uuid>`: identifies the project to browser SDKs; grants nothing alone.
    pub public_token: String,
    /// Allowed magic-link and OAuth redirect URLs.
    pub redirect_urls: Vec<String>,
    /// Origins allowed to call the frontend API.
    pub authorized_origins: Vec<String>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// Credentials returned once, when a project is created. The secret is never stored in clear.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectCredentials {
    /// The project id (HTTP Basic user name).
    pub project_id: String,
    /// The secret (HTTP Basic password).
    pub secret: String,
    /// The public token for browser SDKs.
    pub public_token: String,
}
