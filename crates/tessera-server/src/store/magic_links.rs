use super::sessions::{TokenAtRest, insert_session_query, json, session_columns};
use super::user_rows::{UserRow, user_select};
use super::{Dialect, Pools, Store, StoreResult, on_read, on_write};
use crate::crypto::Digest256;
use crate::model::Timestamp;
use crate::model::session::Session;
use crate::model::user::User;
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
    /// The address of a link sent for attachment: not on the user until the link is spent
    /// (`email_id` is the id it will have).
    pub pending_address: Option<String>,
}

/// A link and its user, read together: `user_id` is the one column they share.
#[derive(sqlx::FromRow)]
struct LinkUserRow {
    #[sqlx(flatten)]
    link: MagicLinkRecord,
    #[sqlx(flatten)]
    user: UserRow,
}

fn link_with_user_sql(d: Dialect) -> String {
    format!(
        "SELECT ml.email_id, ml.kind, ml.code_challenge, ml.ip_address, ml.user_agent, \
         ml.expires_at, ml.used_at, ml.pending_address, {} FROM magic_links ml \
         JOIN users ON users.project_id = ml.project_id AND users.user_id = ml.user_id \
         WHERE ml.project_id = $1 AND ml.token_digest = $2",
        user_select(d)
    )
}

/// What spending a magic link writes besides the link itself.
#[derive(Debug, Clone, Copy)]
pub struct Spend<'a> {
    /// The link's user.
    pub user_id: &'a str,
    /// The email to mark verified, if the link went to one and that changes anything.
    pub email_id: Option<&'a str>,
    /// Whether to make the owner active (the service decides: a pending owner whose email
    /// is verified); only with `email_id`.
    pub activate_owner: bool,
    /// The session to create, and its token as stored.
    pub session: Option<(&'a Session, &'a TokenAtRest)>,
}

impl<'a> Spend<'a> {
    /// The link alone: nothing else written.
    pub fn link_only(user_id: &'a str) -> Self {
        Spend {
            user_id,
            email_id: None,
            activate_owner: false,
            session: None,
        }
    }
}

/// The PostgreSQL spend in one statement: the data-modifying CTEs all see the link's update
/// through `link`, so nothing else is written unless the link was won. `$verify` is empty or
/// `verify_pg!()`; the triggers that bump `users.version` run at the end of the statement and
/// see every row it changed.
macro_rules! spend_pg {
    ($verify:expr) => {
        concat!(
            "WITH link AS (UPDATE magic_links SET used_at = $3 WHERE project_id = $1 \
             AND token_digest = $2 AND used_at IS NULL AND expires_at > $3 RETURNING 1), ",
            $verify,
            "session AS (INSERT INTO sessions (",
            session_columns!(),
            ") SELECT $1, $6, $4, $7, $8, $9, $10, $11, $12, $13, $14, $15 \
             WHERE $6::text IS NOT NULL AND EXISTS (SELECT 1 FROM link)) \
             SELECT count(*) FROM link"
        )
    };
}

/// The email verified, as a CTE of [`spend_pg!`].
macro_rules! verify_pg {
    () => {
        "email AS (UPDATE user_emails SET verified = TRUE WHERE project_id = $1 \
         AND user_id = $4 AND email_id = $5 AND NOT verified AND EXISTS (SELECT 1 FROM link)), "
    };
}

/// The pending owner made active, as a CTE of [`spend_pg!`] after [`verify_pg!`].
macro_rules! activate_pg {
    () => {
        "owner AS (UPDATE users SET status = 'active' WHERE $5::text IS NOT NULL \
         AND project_id = $1 AND user_id = $4 AND status = 'pending' \
         AND EXISTS (SELECT 1 FROM link)), "
    };
}

/// The spend when the link verifies its email: the common case of a returning user's link
/// does not need it, and leaves `users` and `user_emails` untouched.
const SPEND_VERIFY_PG: &str = spend_pg!(verify_pg!());
/// The spend when the link also activates its pending owner.
const SPEND_VERIFY_ACTIVATE_PG: &str = spend_pg!(concat!(verify_pg!(), activate_pg!()));
/// The spend of the link and the session alone.
const SPEND_PG: &str = spend_pg!("");

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
                 code_challenge, ip_address, user_agent, created_at, expires_at, pending_address) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
            .bind(link.pending_address.as_deref())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The link with this token digest, used or not, and its user, in one read: the login path
    /// needs both, and each round trip to the database costs more than the read itself.
    pub async fn magic_link_with_user(
        &self,
        project_id: &str,
        token: Digest256,
    ) -> StoreResult<Option<(MagicLinkRecord, User)>> {
        if let Pools::Sqlite { path, vfs, .. } = &self.pools {
            let row = super::hot::query_row(
                (path, vfs),
                &link_with_user_sql(Dialect::Sqlite),
                &[&project_id, &&token.0[..]],
                |r| {
                    let user = UserRow::from_rusqlite(r, 8)?;
                    Ok(LinkUserRow {
                        link: MagicLinkRecord {
                            user_id: r.get(8)?,
                            email_id: r.get(0)?,
                            kind: r.get(1)?,
                            code_challenge: r.get(2)?,
                            ip_address: r.get(3)?,
                            user_agent: r.get(4)?,
                            expires_at: r.get(5)?,
                            used_at: r.get(6)?,
                            pending_address: r.get(7)?,
                        },
                        user,
                    })
                },
            )?;
            return row.map(|r| Ok((r.link, r.user.into_user()?))).transpose();
        }
        let row: Option<LinkUserRow> = on_read!(self, pool, d =>
            sqlx::query_as(&link_with_user_sql(d))
                .bind(project_id)
                .bind(&token.0[..])
                .fetch_optional(pool)
                .await?);
        row.map(|r| Ok((r.link, r.user.into_user()?))).transpose()
    }

    /// Spends a magic link and, in the same transaction, writes what the service decided it
    /// implies: the email it names marked verified (and the owner active), and the session it
    /// creates. `false`, and nothing written, when the link is already used, expired or
    /// unknown: of many concurrent calls exactly one wins. On PostgreSQL it is one statement.
    pub async fn consume_magic_link(
        &self,
        project_id: &str,
        token: Digest256,
        spend: Spend<'_>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let pool = match &self.pools {
            Pools::Sqlite { write, .. } => write,
            Pools::Postgres { pool, .. } => {
                let session = spend.session.map(|(s, _)| s);
                let sql = match (spend.email_id, spend.activate_owner) {
                    (Some(_), true) => SPEND_VERIFY_ACTIVATE_PG,
                    (Some(_), false) => SPEND_VERIFY_PG,
                    (None, _) => SPEND_PG,
                };
                let won: i64 = sqlx::query_scalar(sql)
                    .bind(project_id)
                    .bind(&token.0[..])
                    .bind(now.millis())
                    .bind(spend.user_id)
                    .bind(spend.email_id)
                    .bind(session.map(|s| s.session_id.as_str()))
                    .bind(spend.session.map(|(_, t)| t.digest.0.to_vec()))
                    .bind(session.map(|s| s.started_at.millis()))
                    .bind(session.map(|s| s.last_accessed_at.millis()))
                    .bind(session.map(|s| s.expires_at.millis()))
                    .bind(session.map(|s| s.ip_address.as_str()))
                    .bind(session.map(|s| s.user_agent.as_str()))
                    .bind(session.map(|s| json(&s.factors)))
                    .bind(session.map(|s| json(&s.custom_claims)))
                    .bind(spend.session.and_then(|(_, t)| t.sealed.as_deref()))
                    .fetch_one(pool)
                    .await?;
                return Ok(won == 1);
            }
        };
        // SQLite: the same writes in one transaction on the single writer.
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
        if n == 1 {
            if let Some(email_id) = spend.email_id {
                let factor = FactorRef::Email(email_id.to_owned());
                super::users::verify_in(
                    &mut tx,
                    project_id,
                    spend.user_id,
                    &factor,
                    spend.activate_owner,
                )
                .await?;
            }
            if let Some((session, token)) = spend.session {
                insert_session_query!(project_id, session, token)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(n == 1)
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
