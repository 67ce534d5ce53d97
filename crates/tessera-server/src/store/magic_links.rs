use super::{Store, StoreResult, on_read, on_write};
use crate::crypto::Digest256;
use crate::model::Timestamp;
use crate::store::users::FactorRef;

/// A magic link as stored (its token only as a digest).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MagicLinkRecord {
    /// The user it logs in.
    pub user_id: String,
    /// The email it went to (`None` for embeddable links).
    pub email_id: Option<String>,
    /// `login`, `signup`, `invite` or `embedded`.
    pub kind: String,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// Sender's IP address.
    pub ip_address: String,
    /// Sender's user agent.
    pub user_agent: String,
    /// Expiry (epoch ms).
    pub expires_at: i64,
    /// When it was used (epoch ms), if it was.
    pub used_at: Option<i64>,
}

impl Store {
    /// Stores a new link.
    pub async fn insert_magic_link(
        &self,
        project_id: &str,
        token: Digest256,
        link: &MagicLinkRecord,
        now: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO magic_links (project_id, token_digest, user_id, email_id, kind, \
                 code_challenge, ip_address, user_agent, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(project_id)
            .bind(&token.0[..])
            .bind(&link.user_id)
            .bind(link.email_id.as_deref())
            .bind(&link.kind)
            .bind(link.code_challenge.as_deref())
            .bind(&link.ip_address)
            .bind(&link.user_agent)
            .bind(now.millis())
            .bind(link.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The link with this token digest, used or not.
    pub async fn magic_link(
        &self,
        project_id: &str,
        token: Digest256,
    ) -> StoreResult<Option<MagicLinkRecord>> {
        let row = on_read!(self, pool =>
            sqlx::query_as(
                "SELECT user_id, email_id, kind, code_challenge, ip_address, user_agent, \
                 expires_at, used_at FROM magic_links WHERE project_id = $1 AND token_digest = $2",
            )
            .bind(project_id)
            .bind(&token.0[..])
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Spends a magic link and, when it names an email, marks that email verified and a
    /// pending owner active, all in one transaction. `false` (and nothing written) when the link
    /// is already used, expired or unknown: of many concurrent calls exactly one wins.
    pub async fn consume_magic_link(
        &self,
        project_id: &str,
        token: Digest256,
        user_id: &str,
        email_id: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let won = on_write!(self, pool, _d => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE magic_links SET used_at = $3 WHERE project_id = $1 AND token_digest = $2 \
                 AND used_at IS NULL AND expires_at > $3",
            )
            .bind(project_id)
            .bind(&token.0[..])
            .bind(now.millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 && let Some(email_id) = email_id {
                super::users::verify_in(&mut tx, project_id, user_id, &FactorRef::Email(email_id.to_owned())).await?;
            }
            tx.commit().await?;
            n == 1
        });
        Ok(won)
    }

    /// Invalidates a user's unused invite links; how many there were.
    pub async fn revoke_invites(&self, project_id: &str, user_id: &str) -> StoreResult<u64> {
        let n = on_write!(self, pool, _d =>
            sqlx::query(
                "DELETE FROM magic_links WHERE project_id = $1 AND user_id = $2 \
                 AND kind = 'invite' AND used_at IS NULL",
            )
            .bind(project_id)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(n)
    }
}
