//! OAuth providers, browser flows, users' provider registrations, single-use OAuth, attach and
//! impersonation tokens. Every single-use row is taken with `DELETE … RETURNING`: of any number
//! of concurrent callers, one gets it.

use super::{Store, StoreResult, on_read, on_write};
use crate::model::Timestamp;

/// A provider as a project configured it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProviderRow {
    /// Its name, e.g. `google`.
    pub provider: String,
    /// `ProviderSettings` as JSON.
    pub settings: String,
    /// The client secret (Apple: its private key), sealed.
    pub secret_sealed: Vec<u8>,
}

/// A browser flow between start and callback.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StateRow {
    /// Its project.
    pub project_id: String,
    /// Digest of the browser's binding cookie.
    pub browser_digest: Vec<u8>,
    /// The flow (nonce, verifier, redirect URLs…), sealed.
    pub flow_sealed: Vec<u8>,
}

/// A user's registration at a provider, to store.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    /// `oauth-user-registration-…`.
    pub registration_id: String,
    /// The user.
    pub user_id: String,
    /// The provider's name.
    pub provider: String,
    /// The provider's `sub`.
    pub provider_subject: String,
    /// The email it proved, if any.
    pub email_id: Option<String>,
    /// Its picture.
    pub profile_picture_url: String,
    /// Its locale.
    pub locale: String,
}

/// The token the callback handed the app.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OauthTokenRow {
    /// The user.
    pub user_id: String,
    /// The registration it proves.
    pub registration_id: String,
    /// The provider's tokens, sealed.
    pub grant_sealed: Vec<u8>,
    /// The app's PKCE challenge.
    pub code_challenge: Option<String>,
}

/// An impersonation token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ImpersonationRow {
    /// The user impersonated.
    pub user_id: String,
    /// The administrator.
    pub impersonator_id: String,
    /// Their email.
    pub impersonator_email: String,
    /// Why.
    pub reason: String,
}

impl Store {
    /// Sets (inserts or replaces) a project's provider.
    pub async fn put_oauth_provider(
        &self,
        project_id: &str,
        row: &ProviderRow,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO oauth_providers (project_id, provider, settings, secret_sealed, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (project_id, provider) DO UPDATE SET settings = excluded.settings, \
                 secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at",
            )
            .bind(project_id)
            .bind(&row.provider)
            .bind(&row.settings)
            .bind(&row.secret_sealed)
            .bind(now.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A project's providers, by name.
    pub async fn oauth_providers(&self, project_id: &str) -> StoreResult<Vec<ProviderRow>> {
        let rows = on_read!(self, pool => sqlx::query_as(
                "SELECT provider, settings, secret_sealed FROM oauth_providers \
                 WHERE project_id = $1 ORDER BY provider",
            )
            .bind(project_id)
            .fetch_all(pool)
            .await?);
        Ok(rows)
    }

    /// Deletes a project's provider; whether it existed.
    pub async fn delete_oauth_provider(
        &self,
        project_id: &str,
        provider: &str,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "DELETE FROM oauth_providers WHERE project_id = $1 AND provider = $2",
            )
            .bind(project_id)
            .bind(provider)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Stores a browser flow until `expires_at`.
    pub async fn insert_oauth_state(
        &self,
        state_digest: &str,
        row: &StateRow,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO oauth_states (state_digest, project_id, browser_digest, flow_sealed, \
                 expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(state_digest)
            .bind(&row.project_id)
            .bind(&row.browser_digest)
            .bind(&row.flow_sealed)
            .bind(expires_at.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes the live flow of a state: it works once.
    pub async fn take_oauth_state(
        &self,
        state_digest: &str,
        now: Timestamp,
    ) -> StoreResult<Option<StateRow>> {
        let row = on_write!(self, pool, _d => sqlx::query_as(
                "DELETE FROM oauth_states WHERE state_digest = $1 AND expires_at > $2 \
                 RETURNING project_id, browser_digest, flow_sealed",
            )
            .bind(state_digest)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// The user and registration of a provider account, if registered.
    pub async fn oauth_registration(
        &self,
        project_id: &str,
        provider: &str,
        subject: &str,
    ) -> StoreResult<Option<(String, String)>> {
        let row = on_read!(self, pool => sqlx::query_as(
                "SELECT registration_id, user_id FROM user_oauth_registrations \
                 WHERE project_id = $1 AND provider = $2 AND provider_subject = $3",
            )
            .bind(project_id)
            .bind(provider)
            .bind(subject)
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Registers a provider account to a user unless it is registered already (to anyone);
    /// the registration and user that hold it afterwards.
    pub async fn insert_oauth_registration(
        &self,
        project_id: &str,
        r: &NewRegistration,
        now: Timestamp,
    ) -> StoreResult<(String, String)> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO user_oauth_registrations (project_id, registration_id, user_id, \
                 provider, provider_subject, email_id, profile_picture_url, locale, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (project_id, provider, provider_subject) DO NOTHING",
            )
            .bind(project_id)
            .bind(&r.registration_id)
            .bind(&r.user_id)
            .bind(&r.provider)
            .bind(&r.provider_subject)
            .bind(&r.email_id)
            .bind(&r.profile_picture_url)
            .bind(&r.locale)
            .bind(now.millis())
            .execute(pool)
            .await?;
        });
        let held = self
            .oauth_registration(project_id, &r.provider, &r.provider_subject)
            .await?;
        Ok(held.unwrap_or_else(|| (r.registration_id.clone(), r.user_id.clone())))
    }

    /// Deletes a registration; its user, if it existed.
    pub async fn delete_oauth_registration(
        &self,
        project_id: &str,
        registration_id: &str,
    ) -> StoreResult<Option<String>> {
        let user = on_write!(self, pool, _d => sqlx::query_scalar(
                "DELETE FROM user_oauth_registrations WHERE project_id = $1 \
                 AND registration_id = $2 RETURNING user_id",
            )
            .bind(project_id)
            .bind(registration_id)
            .fetch_optional(pool)
            .await?);
        Ok(user)
    }

    /// Stores the token the callback hands the app.
    pub async fn insert_oauth_token(
        &self,
        project_id: &str,
        token_digest: &str,
        row: &OauthTokenRow,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO oauth_tokens (project_id, token_digest, user_id, registration_id, \
                 grant_sealed, code_challenge, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(project_id)
            .bind(token_digest)
            .bind(&row.user_id)
            .bind(&row.registration_id)
            .bind(&row.grant_sealed)
            .bind(&row.code_challenge)
            .bind(expires_at.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A live OAuth token, without spending it (its PKCE challenge is checked first).
    pub async fn oauth_token(
        &self,
        project_id: &str,
        token_digest: &str,
        now: Timestamp,
    ) -> StoreResult<Option<OauthTokenRow>> {
        let row = on_read!(self, pool => sqlx::query_as(
                "SELECT user_id, registration_id, grant_sealed, code_challenge FROM oauth_tokens \
                 WHERE project_id = $1 AND token_digest = $2 AND expires_at > $3",
            )
            .bind(project_id)
            .bind(token_digest)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Spends a live OAuth token: it works once.
    pub async fn take_oauth_token(
        &self,
        project_id: &str,
        token_digest: &str,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "DELETE FROM oauth_tokens WHERE project_id = $1 AND token_digest = $2 \
                 AND expires_at > $3",
            )
            .bind(project_id)
            .bind(token_digest)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Stores an attach token for `user_id` and `provider`.
    pub async fn insert_attach_token(
        &self,
        project_id: &str,
        digest: &[u8],
        (user_id, provider): (&str, &str),
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO oauth_attach_tokens (project_id, token_digest, user_id, provider, \
                 expires_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(project_id)
            .bind(digest)
            .bind(user_id)
            .bind(provider)
            .bind(expires_at.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Spends a live attach token; its user and provider.
    pub async fn take_attach_token(
        &self,
        project_id: &str,
        digest: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<(String, String)>> {
        let row = on_write!(self, pool, _d => sqlx::query_as(
                "DELETE FROM oauth_attach_tokens WHERE project_id = $1 AND token_digest = $2 \
                 AND expires_at > $3 RETURNING user_id, provider",
            )
            .bind(project_id)
            .bind(digest)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Stores an impersonation token.
    pub async fn insert_impersonation_token(
        &self,
        project_id: &str,
        digest: &[u8],
        row: &ImpersonationRow,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO impersonation_tokens (project_id, token_digest, user_id, \
                 impersonator_id, impersonator_email, reason, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(project_id)
            .bind(digest)
            .bind(&row.user_id)
            .bind(&row.impersonator_id)
            .bind(&row.impersonator_email)
            .bind(&row.reason)
            .bind(expires_at.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Spends a live impersonation token: it works once.
    pub async fn take_impersonation_token(
        &self,
        project_id: &str,
        digest: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<ImpersonationRow>> {
        let row = on_write!(self, pool, _d => sqlx::query_as(
                "DELETE FROM impersonation_tokens WHERE project_id = $1 AND token_digest = $2 \
                 AND expires_at > $3 \
                 RETURNING user_id, impersonator_id, impersonator_email, reason",
            )
            .bind(project_id)
            .bind(digest)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }
}
