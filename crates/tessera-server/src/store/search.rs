use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::user_rows::{UserRow, user_select};
use super::{Store, StoreResult, on_read};
use crate::model::Timestamp;
use crate::model::user::{User, UserStatus};

/// A value bound to a dynamically built statement.
#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// Binds every value of a `&[Bind]` to a query, in order.
macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds.iter() {
            q = match b {
                $crate::store::search::Bind::Text(s) => q.bind(s.as_str()),
                $crate::store::search::Bind::Int(i) => q.bind(*i),
                $crate::store::search::Bind::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

/// A user-search condition, built by the service from Stytch's filter names and turned into SQL
/// here. Values are always bound, never spliced into the statement.
#[derive(Debug, Clone, PartialEq)]
pub enum UserFilter {
    /// Every condition holds (no conditions: every user).
    And(Vec<UserFilter>),
    /// At least one condition holds.
    Or(Vec<UserFilter>),
    /// Always or never: for factors this server does not store yet.
    Const(bool),
    /// Created strictly after.
    CreatedAfter(Timestamp),
    /// Created strictly before.
    CreatedBefore(Timestamp),
    /// Has this status.
    Status(UserStatus),
    /// `user_id` in the list.
    UserIds(Vec<String>),
    /// `external_id` in the list.
    ExternalIds(Vec<String>),
    /// Name contains the (lower-case) text.
    FullNameFuzzy(String),
    /// Has one of these (normalized) emails.
    EmailAddresses(Vec<String>),
    /// Has one of these email ids.
    EmailIds(Vec<String>),
    /// Has an email whose `verified` is this.
    EmailVerified(bool),
    /// Has an email containing the (lower-case) text.
    EmailFuzzy(String),
    /// Has an email at one of these (lower-case) domains.
    EmailDomains(Vec<String>),
    /// Has one of these phone numbers.
    PhoneNumbers(Vec<String>),
    /// Has one of these phone ids.
    PhoneIds(Vec<String>),
    /// Has a phone number whose `verified` is this.
    PhoneVerified(bool),
    /// Has a phone number containing the text.
    PhoneFuzzy(String),
    /// Has a password (`true`) or none (`false`).
    PasswordExists(bool),
    /// Has one of these TOTP registrations.
    TotpIds(Vec<String>),
    /// Has a TOTP registration whose `verified` is this.
    TotpVerified(bool),
    /// Has a registration of one of these OAuth providers (Tessera's lower-case names).
    OauthProviders(Vec<String>),
    /// Has one of these WebAuthn registrations.
    WebauthnIds(Vec<String>),
    /// Has a WebAuthn registration (every stored one is verified).
    WebauthnAny,
    /// Has one of these crypto wallets.
    WalletIds(Vec<String>),
    /// Has a wallet with one of these (canonical) addresses.
    WalletAddresses(Vec<String>),
    /// Has a wallet whose `verified` is this.
    WalletVerified(bool),
}

fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

struct SqlBuilder {
    sql: String,
    binds: Vec<Bind>,
}

impl SqlBuilder {
    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    fn list(&mut self, items: &[String]) -> String {
        items
            .iter()
            .map(|s| self.bind(Bind::Text(s.clone())))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn exists(&mut self, table: &str, cond: &str) {
        self.sql.push_str(&format!(
            "EXISTS (SELECT 1 FROM {table} f WHERE f.project_id = users.project_id \
             AND f.user_id = users.user_id AND {cond})"
        ));
    }

    fn push(&mut self, f: &UserFilter) {
        use UserFilter::*;
        match f {
            And(fs) | Or(fs) if fs.is_empty() => {
                self.sql.push_str(if matches!(f, And(_)) {
                    "1 = 1"
                } else {
                    "1 = 0"
                });
            }
            And(fs) | Or(fs) => {
                let joiner = if matches!(f, And(_)) { " AND " } else { " OR " };
                self.sql.push('(');
                for (i, inner) in fs.iter().enumerate() {
                    if i > 0 {
                        self.sql.push_str(joiner);
                    }
                    self.push(inner);
                }
                self.sql.push(')');
            }
            Const(b) => self.sql.push_str(if *b { "1 = 1" } else { "1 = 0" }),
            CreatedAfter(t) => {
                let p = self.bind(Bind::Int(t.millis()));
                self.sql.push_str(&format!("users.created_at > {p}"));
            }
            CreatedBefore(t) => {
                let p = self.bind(Bind::Int(t.millis()));
                self.sql.push_str(&format!("users.created_at < {p}"));
            }
            Status(s) => {
                let p = self.bind(Bind::Text(s.as_str().into()));
                self.sql.push_str(&format!("users.status = {p}"));
            }
            UserIds(ids) | ExternalIds(ids) if ids.is_empty() => self.sql.push_str("1 = 0"),
            UserIds(ids) => {
                let l = self.list(ids);
                self.sql.push_str(&format!("users.user_id IN ({l})"));
            }
            ExternalIds(ids) => {
                let l = self.list(ids);
                self.sql.push_str(&format!("users.external_id IN ({l})"));
            }
            FullNameFuzzy(t) => {
                let p = self.bind(Bind::Text(like_pattern(t)));
                self.sql.push_str(&format!(
                    "(LOWER(users.first_name || ' ' || users.last_name) LIKE {p} ESCAPE '\\' \
                     OR LOWER(users.first_name || ' ' || users.middle_name || ' ' || \
                     users.last_name) LIKE {p} ESCAPE '\\')"
                ));
            }
            EmailAddresses(v) | EmailIds(v) | EmailDomains(v) | PhoneNumbers(v) | PhoneIds(v)
            | TotpIds(v) | OauthProviders(v) | WebauthnIds(v) | WalletIds(v)
            | WalletAddresses(v)
                if v.is_empty() =>
            {
                self.sql.push_str("1 = 0")
            }
            EmailAddresses(v) => {
                let l = self.list(v);
                self.exists("user_emails", &format!("f.email IN ({l})"));
            }
            EmailIds(v) => {
                let l = self.list(v);
                self.exists("user_emails", &format!("f.email_id IN ({l})"));
            }
            EmailDomains(v) => {
                let conds = v
                    .iter()
                    .map(|d| {
                        let p = self.bind(Bind::Text(format!("%@{}", d.replace(['%', '_'], ""))));
                        format!("f.email LIKE {p}")
                    })
                    .collect::<Vec<_>>()
                    .join(" OR ");
                self.exists("user_emails", &format!("({conds})"));
            }
            EmailVerified(b) => {
                let p = self.bind(Bind::Bool(*b));
                self.exists("user_emails", &format!("f.verified = {p}"));
            }
            EmailFuzzy(t) => {
                let p = self.bind(Bind::Text(like_pattern(t)));
                self.exists("user_emails", &format!("f.email LIKE {p} ESCAPE '\\'"));
            }
            PhoneNumbers(v) => {
                let l = self.list(v);
                self.exists("user_phone_numbers", &format!("f.phone_number IN ({l})"));
            }
            PhoneIds(v) => {
                let l = self.list(v);
                self.exists("user_phone_numbers", &format!("f.phone_id IN ({l})"));
            }
            PhoneVerified(b) => {
                let p = self.bind(Bind::Bool(*b));
                self.exists("user_phone_numbers", &format!("f.verified = {p}"));
            }
            PhoneFuzzy(t) => {
                let p = self.bind(Bind::Text(like_pattern(t)));
                self.exists(
                    "user_phone_numbers",
                    &format!("f.phone_number LIKE {p} ESCAPE '\\'"),
                );
            }
            PasswordExists(true) => self.exists("user_passwords", "1 = 1"),
            PasswordExists(false) => {
                self.sql.push_str("NOT ");
                self.exists("user_passwords", "1 = 1");
            }
            TotpIds(v) => {
                let l = self.list(v);
                self.exists("user_totps", &format!("f.totp_id IN ({l})"));
            }
            TotpVerified(b) => {
                let p = self.bind(Bind::Bool(*b));
                self.exists("user_totps", &format!("f.verified = {p}"));
            }
            OauthProviders(v) => {
                let l = self.list(v);
                self.exists("user_oauth_registrations", &format!("f.provider IN ({l})"));
            }
            WebauthnIds(v) => {
                let l = self.list(v);
                let cond = format!("f.registration_id IN ({l})");
                self.exists("user_webauthn_registrations", &cond);
            }
            WebauthnAny => self.exists("user_webauthn_registrations", "1 = 1"),
            WalletIds(v) => {
                let l = self.list(v);
                self.exists("user_crypto_wallets", &format!("f.wallet_id IN ({l})"));
            }
            WalletAddresses(v) => {
                let l = self.list(v);
                self.exists("user_crypto_wallets", &format!("f.address IN ({l})"));
            }
            WalletVerified(b) => {
                let p = self.bind(Bind::Bool(*b));
                self.exists("user_crypto_wallets", &format!("f.verified = {p}"));
            }
        }
    }
}

/// Where a search page starts: after this (created_at, user_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchCursor {
    created_at: i64,
    user_id: String,
}

impl SearchCursor {
    /// The opaque wire form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.created_at, self.user_id))
    }

    /// Parses the wire form; `None` when it was not made by [`SearchCursor::encode`].
    pub fn decode(s: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let (t, id) = raw.split_once(':')?;
        if id.is_empty() {
            return None;
        }
        Some(SearchCursor {
            created_at: t.parse().ok()?,
            user_id: id.to_owned(),
        })
    }
}

/// One page of search results.
#[derive(Debug)]
pub struct SearchPage {
    /// The users of this page.
    pub users: Vec<User>,
    /// How many users match in all.
    pub total: i64,
    /// Where the next page starts, if there is one.
    pub next: Option<SearchCursor>,
}

impl Store {
    /// Users of `project_id` matching `filter`, in (created_at, user_id) order.
    pub async fn search_users(
        &self,
        project_id: &str,
        filter: &UserFilter,
        after: Option<&SearchCursor>,
        limit: u32,
    ) -> StoreResult<SearchPage> {
        let mut b = SqlBuilder {
            sql: String::new(),
            binds: vec![Bind::Text(project_id.to_owned())],
        };
        b.sql.push_str("users.project_id = $1 AND ");
        b.push(filter);
        let count_sql = format!("SELECT COUNT(*) FROM users WHERE {}", b.sql);
        let count_binds = b.binds.clone();
        if let Some(c) = after {
            let t = b.bind(Bind::Int(c.created_at));
            let id = b.bind(Bind::Text(c.user_id.clone()));
            b.sql.push_str(&format!(
                " AND (users.created_at > {t} OR (users.created_at = {t} AND users.user_id > {id}))"
            ));
        }
        let lim = b.bind(Bind::Int(i64::from(limit) + 1));
        let (total, mut rows): (i64, Vec<UserRow>) = on_read!(self, pool, d => {
            let page_sql = format!(
                "SELECT {} FROM users WHERE {} ORDER BY users.created_at, users.user_id LIMIT {lim}",
                user_select(d),
                b.sql
            );
            (
                bind_all!(sqlx::query_scalar(&count_sql), count_binds).fetch_one(pool).await?,
                bind_all!(sqlx::query_as(&page_sql), b.binds).fetch_all(pool).await?,
            )
        });
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let users = rows
            .into_iter()
            .map(UserRow::into_user)
            .collect::<StoreResult<Vec<User>>>()?;
        let next = if more {
            users.last().map(|u| SearchCursor {
                created_at: u.created_at.millis(),
                user_id: u.user_id.clone(),
            })
        } else {
            None
        };
        Ok(SearchPage { users, total, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = SearchCursor {
            created_at: 1_700_000_000_123,
            user_id: "user-test-1".into(),
        };
        assert_eq!(SearchCursor::decode(&c.encode()), Some(c));
        assert_eq!(SearchCursor::decode("not a cursor"), None);
        assert_eq!(
            SearchCursor::decode(&URL_SAFE_NO_PAD.encode("x:user")),
            None
        );
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c"), "%a\\%b\\_c%");
    }

    #[test]
    fn filters_bind_values_instead_of_splicing_them() {
        let mut b = SqlBuilder {
            sql: String::new(),
            binds: vec![],
        };
        b.push(&UserFilter::And(vec![
            UserFilter::EmailAddresses(vec!["x'); DROP TABLE users; --".into()]),
            UserFilter::Or(vec![]),
        ]));
        assert!(!b.sql.contains("DROP"));
        assert_eq!(b.binds.len(), 1);
        assert!(b.sql.contains("1 = 0"));
    }
}
