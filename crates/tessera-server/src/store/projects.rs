use sqlx::Row;

use super::{Store, StoreResult, on_read, on_write};
use crate::crypto::Digest256;
use crate::model::project::ProjectPolicy;
use crate::model::{Environment, Project, Timestamp};

const PROJECT_COLUMNS: &str = "project_id, name, live, public_token, redirect_urls, \
    authorized_origins, created_at, session_idle_timeout_minutes, session_max_lifetime_minutes, \
    recent_auth_minutes, notify_sign_in, rate_limits, password_policy, cookie_policy, \
    identity_policy, event_retention_days, branding";

/// A stored JSON list; unreadable text is a decode error, never an empty list.
fn json_list(s: &str) -> Result<Vec<String>, sqlx::Error> {
    serde_json::from_str(s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn project_from_row<R: Row>(row: &R) -> Result<Project, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let live: bool = row.try_get("live")?;
    Ok(Project {
        project_id: row.try_get("project_id")?,
        name: row.try_get("name")?,
        env: if live {
            Environment::Live
        } else {
            Environment::Test
        },
        public_token: row.try_get("public_token")?,
        redirect_urls: json_list(&row.try_get::<String, _>("redirect_urls")?)?,
        authorized_origins: json_list(&row.try_get::<String, _>("authorized_origins")?)?,
        created_at: Timestamp::from_millis(row.try_get("created_at")?),
        policy: ProjectPolicy {
            session_idle_timeout_minutes: row.try_get("session_idle_timeout_minutes")?,
            session_max_lifetime_minutes: row.try_get("session_max_lifetime_minutes")?,
            recent_auth_minutes: row.try_get("recent_auth_minutes")?,
            notify_sign_in: row.try_get("notify_sign_in")?,
            limits: serde_json::from_str(&row.try_get::<String, _>("rate_limits")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            passwords: serde_json::from_str(&row.try_get::<String, _>("password_policy")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            cookies: serde_json::from_str(&row.try_get::<String, _>("cookie_policy")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            identity: serde_json::from_str(&row.try_get::<String, _>("identity_policy")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            event_retention_days: row.try_get("event_retention_days")?,
            branding: serde_json::from_str(&row.try_get::<String, _>("branding")?)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        },
    })
}

impl Store {
    /// Inserts a project with its first secret digest.
    pub async fn insert_project(&self, p: &Project, secret: Digest256) -> StoreResult<()> {
        let redirect_urls = serde_json::to_string(&p.redirect_urls).unwrap_or_default();
        let origins = serde_json::to_string(&p.authorized_origins).unwrap_or_default();
        on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO projects (project_id, name, live, public_token, redirect_urls, \
                 authorized_origins, created_at, session_idle_timeout_minutes, \
                 session_max_lifetime_minutes, recent_auth_minutes, notify_sign_in, rate_limits, \
                 password_policy, cookie_policy, identity_policy, event_retention_days, branding) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(&p.project_id)
            .bind(&p.name)
            .bind(p.env == Environment::Live)
            .bind(&p.public_token)
            .bind(&redirect_urls)
            .bind(&origins)
            .bind(p.created_at.millis())
            .bind(p.policy.session_idle_timeout_minutes)
            .bind(p.policy.session_max_lifetime_minutes)
            .bind(p.policy.recent_auth_minutes)
            .bind(p.policy.notify_sign_in)
            .bind(serde_json::to_string(&p.policy.limits).unwrap_or_default())
            .bind(serde_json::to_string(&p.policy.passwords).unwrap_or_default())
            .bind(serde_json::to_string(&p.policy.cookies).unwrap_or_default())
            .bind(serde_json::to_string(&p.policy.identity).unwrap_or_default())
            .bind(p.policy.event_retention_days)
            .bind(serde_json::to_string(&p.policy.branding).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO project_secrets (secret_digest, project_id, created_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind(&secret.0[..])
            .bind(&p.project_id)
            .bind(p.created_at.millis())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets a project's policy; whether the project exists.
    pub async fn set_project_policy(
        &self,
        project_id: &str,
        p: &ProjectPolicy,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d =>
            sqlx::query(
                "UPDATE projects SET session_idle_timeout_minutes = $2, \
                 session_max_lifetime_minutes = $3, recent_auth_minutes = $4, notify_sign_in = $5, \
                 rate_limits = $6, password_policy = $7, cookie_policy = $8, \
                 identity_policy = $9, event_retention_days = $10, branding = $11 \
                 WHERE project_id = $1",
            )
            .bind(project_id)
            .bind(p.session_idle_timeout_minutes)
            .bind(p.session_max_lifetime_minutes)
            .bind(p.recent_auth_minutes)
            .bind(p.notify_sign_in)
            .bind(serde_json::to_string(&p.limits).unwrap_or_default())
            .bind(serde_json::to_string(&p.passwords).unwrap_or_default())
            .bind(serde_json::to_string(&p.cookies).unwrap_or_default())
            .bind(serde_json::to_string(&p.identity).unwrap_or_default())
            .bind(p.event_retention_days)
            .bind(serde_json::to_string(&p.branding).unwrap_or_default())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Sets a project's redirect URLs and authorized origins; whether the project exists.
    pub async fn set_project_urls(
        &self,
        project_id: &str,
        redirect_urls: &[String],
        origins: &[String],
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d =>
            sqlx::query(
                "UPDATE projects SET redirect_urls = $2, authorized_origins = $3 \
                 WHERE project_id = $1",
            )
            .bind(project_id)
            .bind(serde_json::to_string(redirect_urls).unwrap_or_default())
            .bind(serde_json::to_string(origins).unwrap_or_default())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Adds a secret (by digest) to a project.
    pub async fn insert_secret(
        &self,
        project_id: &str,
        secret: Digest256,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO project_secrets (secret_digest, project_id, created_at) \
                 VALUES ($1, $2, $3)",
            )
            .bind(&secret.0[..])
            .bind(project_id)
            .bind(now.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A project's secrets as (digest, created_at), oldest first.
    pub async fn secrets(&self, project_id: &str) -> StoreResult<Vec<(Vec<u8>, i64)>> {
        let rows = on_read!(self, pool =>
            sqlx::query_as(
                "SELECT secret_digest, created_at FROM project_secrets WHERE project_id = $1 \
                 ORDER BY created_at, secret_digest",
            )
            .bind(project_id)
            .fetch_all(pool)
            .await?);
        Ok(rows)
    }

    /// Deletes a secret unless it is the project's last; whether it was deleted.
    pub async fn delete_secret(&self, project_id: &str, digest: &[u8]) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d =>
            sqlx::query(
                "DELETE FROM project_secrets WHERE project_id = $1 AND secret_digest = $2 \
                 AND (SELECT COUNT(*) FROM project_secrets WHERE project_id = $1) > 1",
            )
            .bind(project_id)
            .bind(digest)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// All projects, oldest first.
    pub async fn list_projects(&self) -> StoreResult<Vec<Project>> {
        let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects ORDER BY created_at, project_id");
        let projects = on_read!(self, pool => {
            sqlx::query(&sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(project_from_row)
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(projects)
    }

    /// Whether any project exists (first-start detection).
    pub async fn has_projects(&self) -> StoreResult<bool> {
        let n: i64 = on_read!(self, pool =>
            sqlx::query_scalar("SELECT COUNT(*) FROM projects").fetch_one(pool).await?);
        Ok(n > 0)
    }

    /// The project `project_id` if `secret` is one of its secrets. The digest is looked up by
    /// primary key and then compared again in constant time with the stored value.
    pub async fn project_by_secret(
        &self,
        project_id: &str,
        secret: Digest256,
    ) -> StoreResult<Option<Project>> {
        let sql = format!(
            "SELECT s.secret_digest, {cols} FROM project_secrets s \
             JOIN projects p ON p.project_id = s.project_id \
             WHERE s.secret_digest = $1 AND s.project_id = $2",
            cols = PROJECT_COLUMNS
                .split(", ")
                .map(|c| format!("p.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let found = on_read!(self, pool => {
            match sqlx::query(&sql)
                .bind(&secret.0[..])
                .bind(project_id)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => {
                    let stored: Vec<u8> = row.try_get("secret_digest")?;
                    if secret.ct_eq(&stored) { Some(project_from_row(&row)?) } else { None }
                }
                None => None,
            }
        });
        Ok(found)
    }

    /// The project with this id.
    pub async fn project(&self, project_id: &str) -> StoreResult<Option<Project>> {
        self.project_where("project_id", project_id).await
    }

    /// The project with this public token (the frontend API's identification).
    pub async fn project_by_public_token(&self, token: &str) -> StoreResult<Option<Project>> {
        self.project_where("public_token", token).await
    }

    async fn project_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> StoreResult<Option<Project>> {
        let sql = format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE {column} = $1");
        let found = on_read!(self, pool => {
            match sqlx::query(&sql).bind(value).fetch_optional(pool).await? {
                Some(row) => Some(project_from_row(&row)?),
                None => None,
            }
        });
        Ok(found)
    }
}
