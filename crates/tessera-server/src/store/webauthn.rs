//! WebAuthn credentials and the ceremonies between start and finish. A ceremony is taken with
//! `DELETE … RETURNING` (of any number of concurrent finishes, one gets it); a credential id is
//! unique in a project, so an authenticator's credential is registered once.

use super::{Store, StoreResult, on_read, on_write};
use crate::model::Timestamp;

/// A ceremony waiting for the authenticator's answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CeremonyRow {
    /// `register` or `authenticate`.
    pub purpose: String,
    /// The user (none for a discoverable login).
    pub user_id: Option<String>,
    /// The relying-party id.
    pub domain: String,
    /// The library's ceremony state and Tessera's own fields, JSON.
    pub ceremony: String,
}

/// A credential to store.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// `webauthn-registration-…`.
    pub registration_id: String,
    /// The user.
    pub user_id: String,
    /// The relying-party id.
    pub domain: String,
    /// base64url.
    pub credential_id: String,
    /// The user handle the authenticator holds, base64url.
    pub user_handle: String,
    /// The verified credential, JSON.
    pub credential: String,
    /// Its COSE public key, base64.
    pub public_key: String,
    /// `platform`, `cross-platform` or `""`.
    pub authenticator_type: String,
    /// At registration.
    pub user_agent: String,
    /// Display name.
    pub name: String,
}

/// A stored credential.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CredentialRow {
    /// Its registration.
    pub registration_id: String,
    /// The user.
    pub user_id: String,
    /// The relying-party id.
    pub domain: String,
    /// base64url.
    pub credential_id: String,
    /// base64url.
    pub user_handle: String,
    /// The credential, JSON.
    pub credential: String,
    /// Its COSE public key, base64.
    pub public_key: String,
    /// At registration.
    pub user_agent: String,
}

const CREDENTIAL_COLUMNS: &str = "registration_id, user_id, domain, credential_id, user_handle, credential, public_key, \
     user_agent";

impl Store {
    /// Stores a ceremony until `expires_at`.
    pub async fn insert_webauthn_ceremony(
        &self,
        project_id: &str,
        challenge_digest: &[u8],
        row: &CeremonyRow,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO webauthn_challenges (project_id, challenge_digest, purpose, user_id, \
                 domain, ceremony, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(project_id)
            .bind(challenge_digest)
            .bind(&row.purpose)
            .bind(&row.user_id)
            .bind(&row.domain)
            .bind(&row.ceremony)
            .bind(expires_at.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes the live ceremony of a challenge: it works once.
    pub async fn take_webauthn_ceremony(
        &self,
        project_id: &str,
        challenge_digest: &[u8],
        now: Timestamp,
    ) -> StoreResult<Option<CeremonyRow>> {
        let row = on_write!(self, pool, _d => sqlx::query_as(
                "DELETE FROM webauthn_challenges WHERE project_id = $1 AND challenge_digest = $2 \
                 AND expires_at > $3 RETURNING purpose, user_id, domain, ceremony",
            )
            .bind(project_id)
            .bind(challenge_digest)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Stores a verified credential; `Ok(false)` when its credential id is registered already.
    pub async fn insert_webauthn_credential(
        &self,
        project_id: &str,
        c: &NewCredential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "INSERT INTO user_webauthn_registrations (project_id, registration_id, user_id, \
                 domain, credential_id, user_handle, credential, public_key, authenticator_type, \
                 user_agent, name, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (project_id, credential_id) DO NOTHING",
            )
            .bind(project_id)
            .bind(&c.registration_id)
            .bind(&c.user_id)
            .bind(&c.domain)
            .bind(&c.credential_id)
            .bind(&c.user_handle)
            .bind(&c.credential)
            .bind(&c.public_key)
            .bind(&c.authenticator_type)
            .bind(&c.user_agent)
            .bind(&c.name)
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// A credential by its id.
    pub async fn webauthn_credential(
        &self,
        project_id: &str,
        credential_id: &str,
    ) -> StoreResult<Option<CredentialRow>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM user_webauthn_registrations \
             WHERE project_id = $1 AND credential_id = $2"
        );
        let row = on_read!(self, pool => sqlx::query_as(&sql)
            .bind(project_id)
            .bind(credential_id)
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// A user's credentials, for a domain or all.
    pub async fn webauthn_credentials_of(
        &self,
        project_id: &str,
        user_id: &str,
        domain: Option<&str>,
    ) -> StoreResult<Vec<CredentialRow>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM user_webauthn_registrations \
             WHERE project_id = $1 AND user_id = $2 AND ($3 IS NULL OR domain = $3) \
             ORDER BY created_at, registration_id"
        );
        let rows = on_read!(self, pool => sqlx::query_as(&sql)
            .bind(project_id)
            .bind(user_id)
            .bind(domain)
            .fetch_all(pool)
            .await?);
        Ok(rows)
    }

    /// Records a login: the credential's new state (sign counter, flags), if still stored.
    /// The counter only moves forward, so of two concurrent logins with one counter value only
    /// the first is recorded.
    pub async fn record_webauthn_use(
        &self,
        project_id: &str,
        registration_id: &str,
        (credential, counter): (&str, u32),
        now: Timestamp,
    ) -> StoreResult<bool> {
        let n = on_write!(self, pool, _d => sqlx::query(
                "UPDATE user_webauthn_registrations SET credential = $3, sign_count = $4, \
                 last_used_at = $5 WHERE project_id = $1 AND registration_id = $2 \
                 AND (sign_count < $4 OR $4 = 0)",
            )
            .bind(project_id)
            .bind(registration_id)
            .bind(credential)
            .bind(i64::from(counter))
            .bind(now.millis())
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n == 1)
    }

    /// Renames a registration; its user, if it exists.
    pub async fn rename_webauthn_registration(
        &self,
        project_id: &str,
        registration_id: &str,
        name: &str,
    ) -> StoreResult<Option<String>> {
        let user = on_write!(self, pool, _d => sqlx::query_scalar(
                "UPDATE user_webauthn_registrations SET name = $3 \
                 WHERE project_id = $1 AND registration_id = $2 RETURNING user_id",
            )
            .bind(project_id)
            .bind(registration_id)
            .bind(name)
            .fetch_optional(pool)
            .await?);
        Ok(user)
    }

    /// Deletes a registration; its user, if it existed.
    pub async fn delete_webauthn_registration(
        &self,
        project_id: &str,
        registration_id: &str,
    ) -> StoreResult<Option<String>> {
        let user = on_write!(self, pool, _d => sqlx::query_scalar(
                "DELETE FROM user_webauthn_registrations WHERE project_id = $1 \
                 AND registration_id = $2 RETURNING user_id",
            )
            .bind(project_id)
            .bind(registration_id)
            .fetch_optional(pool)
            .await?);
        Ok(user)
    }
}
