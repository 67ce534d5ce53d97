//! How a whole user (its row, emails, phone numbers, password, TOTP, OAuth, WebAuthn and wallet
//! registrations) is read in one query, and its columns decoded.

use super::{Dialect, StoreError, StoreResult};
use crate::model::Timestamp;
use crate::model::user::{
    EmailAddress, EmailFactor, ExternalId, Metadata, Name, OauthRegistration, PasswordFactor,
    PhoneFactor, PhoneNumber, TotpFactor, User, UserStatus,
};

const USER_COLUMNS: &str = "users.user_id, users.status, users.first_name, users.middle_name, \
    users.last_name, users.trusted_metadata, users.untrusted_metadata, users.external_id, \
    users.roles, users.lock_created_at, users.lock_expires_at, users.created_at";

/// The select list that loads a whole user (its row, emails, phone numbers, password and TOTP
/// registrations) in one query.
pub(super) fn user_select(d: Dialect) -> String {
    let password = "FROM user_passwords x WHERE x.project_id = users.project_id \
                    AND x.user_id = users.user_id";
    let password = match d {
        Dialect::Sqlite => format!(
            "(SELECT json_object('id', x.password_id, 'value', '', 'verified', x.requires_reset) \
             {password})"
        ),
        Dialect::Postgres => format!(
            "(SELECT json_build_object('id', x.password_id, 'value', '', 'verified', \
             x.requires_reset)::text {password})"
        ),
    };
    let providers = rows_json(
        d,
        "user_oauth_registrations",
        "'registration_id', x.registration_id, 'provider', x.provider, \
         'provider_subject', x.provider_subject, 'profile_picture_url', \
         x.profile_picture_url, 'locale', x.locale",
        "registration_id",
    );
    let webauthn = rows_json(
        d,
        "user_webauthn_registrations",
        "'registration_id', x.registration_id, 'domain', x.domain, 'user_agent', x.user_agent, \
         'authenticator_type', x.authenticator_type, 'name', x.name",
        "registration_id",
    );
    let wallets = rows_json(
        d,
        "user_crypto_wallets",
        "'wallet_id', x.wallet_id, 'wallet_type', x.wallet_type, 'address', x.address, \
         'verified', x.verified",
        "wallet_id",
    );
    format!(
        "{USER_COLUMNS}, {} AS emails_json, {} AS phones_json, {password} AS password_json, \
         {} AS totps_json, {providers} AS providers_json, {webauthn} AS webauthn_json, \
         {wallets} AS wallets_json",
        d.factor_array("user_emails", "email_id", "email"),
        d.factor_array("user_phone_numbers", "phone_id", "phone_number"),
        d.factor_array("user_totps", "totp_id", "totp_id"),
    )
}

/// A user's rows of `table` as a JSON array of objects of `fields`, oldest first.
fn rows_json(d: Dialect, table: &str, fields: &str, id: &str) -> String {
    let rows = format!(
        "FROM {table} x WHERE x.project_id = users.project_id AND x.user_id = users.user_id"
    );
    match d {
        Dialect::Sqlite => format!(
            "(SELECT json_group_array(json_object({fields}) ORDER BY x.created_at, x.{id}) {rows})"
        ),
        Dialect::Postgres => format!(
            "(SELECT COALESCE(json_agg(json_build_object({fields}) \
             ORDER BY x.created_at, x.{id}), '[]'::json)::text {rows})"
        ),
    }
}

/// One element of a factor array. `verified` is a boolean in PostgreSQL's JSON and 0/1 in
/// SQLite's.
#[derive(serde::Deserialize)]
struct FactorJson {
    id: String,
    value: String,
    #[serde(deserialize_with = "bool_or_int")]
    verified: bool,
}

fn bool_or_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    crate::model::user::flag(d)
}

fn factors(json: &str, what: &'static str) -> StoreResult<Vec<FactorJson>> {
    serde_json::from_str(json).map_err(|_| StoreError::Corrupt(what))
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    user_id: String,
    status: String,
    first_name: String,
    middle_name: String,
    last_name: String,
    trusted_metadata: String,
    untrusted_metadata: String,
    external_id: Option<String>,
    roles: String,
    lock_created_at: Option<i64>,
    lock_expires_at: Option<i64>,
    created_at: i64,
    emails_json: String,
    phones_json: String,
    /// `{id, verified: requires_reset}`, or NULL.
    password_json: Option<String>,
    totps_json: String,
    providers_json: String,
    webauthn_json: String,
    wallets_json: String,
}

impl UserRow {
    /// Reads the columns of [`user_select`] starting at column `at` of a rusqlite row.
    pub(super) fn from_rusqlite(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(UserRow {
            user_id: r.get(at)?,
            status: r.get(at + 1)?,
            first_name: r.get(at + 2)?,
            middle_name: r.get(at + 3)?,
            last_name: r.get(at + 4)?,
            trusted_metadata: r.get(at + 5)?,
            untrusted_metadata: r.get(at + 6)?,
            external_id: r.get(at + 7)?,
            roles: r.get(at + 8)?,
            lock_created_at: r.get(at + 9)?,
            lock_expires_at: r.get(at + 10)?,
            created_at: r.get(at + 11)?,
            emails_json: r.get(at + 12)?,
            phones_json: r.get(at + 13)?,
            password_json: r.get(at + 14)?,
            totps_json: r.get(at + 15)?,
            providers_json: r.get(at + 16)?,
            webauthn_json: r.get(at + 17)?,
            wallets_json: r.get(at + 18)?,
        })
    }

    /// The user this row stores; an unknown status or unreadable JSON is an error.
    pub(super) fn into_user(self) -> StoreResult<User> {
        let emails = factors(&self.emails_json, "user emails")?
            .into_iter()
            .map(|f| EmailFactor {
                email_id: f.id,
                email: EmailAddress::from_stored(f.value),
                verified: f.verified,
            })
            .collect();
        let phone_numbers = factors(&self.phones_json, "user phone numbers")?
            .into_iter()
            .map(|f| PhoneFactor {
                phone_id: f.id,
                phone_number: PhoneNumber::from_stored(f.value),
                verified: f.verified,
            })
            .collect();
        let password = match &self.password_json {
            None => None,
            Some(json) => {
                let f: FactorJson =
                    serde_json::from_str(json).map_err(|_| StoreError::Corrupt("user password"))?;
                Some(PasswordFactor {
                    password_id: f.id,
                    requires_reset: f.verified,
                })
            }
        };
        let totps = factors(&self.totps_json, "user totps")?
            .into_iter()
            .map(|f| TotpFactor {
                totp_id: f.id,
                verified: f.verified,
            })
            .collect();
        let providers: Vec<OauthRegistration> = serde_json::from_str(&self.providers_json)
            .map_err(|_| StoreError::Corrupt("user oauth registrations"))?;
        let webauthn_registrations = serde_json::from_str(&self.webauthn_json)
            .map_err(|_| StoreError::Corrupt("user webauthn registrations"))?;
        let crypto_wallets = serde_json::from_str(&self.wallets_json)
            .map_err(|_| StoreError::Corrupt("user crypto wallets"))?;
        let metadata =
            |json: &str| Metadata::from_stored(json).ok_or(StoreError::Corrupt("metadata"));
        Ok(User {
            user_id: self.user_id,
            status: UserStatus::parse(&self.status).ok_or(StoreError::Corrupt("user status"))?,
            name: Name {
                first: self.first_name,
                middle: self.middle_name,
                last: self.last_name,
            },
            trusted_metadata: metadata(&self.trusted_metadata)?,
            untrusted_metadata: metadata(&self.untrusted_metadata)?,
            external_id: self.external_id.map(ExternalId::from_stored),
            roles: serde_json::from_str(&self.roles)
                .map_err(|_| StoreError::Corrupt("user roles"))?,
            lock: self
                .lock_created_at
                .zip(self.lock_expires_at)
                .map(|(a, b)| (Timestamp::from_millis(a), Timestamp::from_millis(b))),
            created_at: Timestamp::from_millis(self.created_at),
            emails,
            phone_numbers,
            password,
            totps,
            providers,
            webauthn_registrations,
            crypto_wallets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> UserRow {
        UserRow {
            user_id: "user-test-1".into(),
            status: "active".into(),
            first_name: String::new(),
            middle_name: String::new(),
            last_name: String::new(),
            trusted_metadata: "{}".into(),
            untrusted_metadata: "{}".into(),
            external_id: None,
            roles: "[]".into(),
            lock_created_at: None,
            lock_expires_at: None,
            created_at: 0,
            emails_json: r#"[{"id":"email-test-1","value":"a@b.co","verified":1}]"#.into(),
            phones_json: "[]".into(),
            password_json: Some(r#"{"id":"password-test-1","value":"","verified":false}"#.into()),
            totps_json: "[]".into(),
            providers_json: "[]".into(),
            webauthn_json: "[]".into(),
            wallets_json: "[]".into(),
        }
    }

    #[test]
    fn unreadable_rows_are_errors_not_defaults() {
        assert!(row().into_user().is_ok());
        let broken: [fn(&mut UserRow); 8] = [
            |r| r.password_json = Some("{".into()),
            |r| r.totps_json = "[{}]".into(),
            |r| r.status = "suspended-by-a-newer-version".into(),
            |r| r.trusted_metadata = "[1]".into(),
            |r| r.untrusted_metadata = "not json".into(),
            |r| r.roles = "{".into(),
            |r| r.emails_json = "{}".into(),
            |r| r.phones_json = "[{\"id\":1}]".into(),
        ];
        for (i, breaks) in broken.into_iter().enumerate() {
            let mut r = row();
            breaks(&mut r);
            assert!(
                matches!(r.into_user(), Err(StoreError::Corrupt(_))),
                "case {i} read as a user"
            );
        }
    }
}
