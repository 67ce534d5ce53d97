use serde_json::{Map, Value};

use super::Timestamp;
use crate::error::{Error, ErrorType, Result};

/// The role every consumer user has implicitly.
pub const DEFAULT_ROLE: &str = "stytch_user";

/// A user with the factors Tessera stores for it.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// `user-test-<uuid>`.
    pub user_id: String,
    /// Active or pending.
    pub status: UserStatus,
    /// Name parts, `""` when unset.
    pub name: Name,
    /// Backend-only metadata.
    pub trusted_metadata: Metadata,
    /// Frontend-writable metadata.
    pub untrusted_metadata: Metadata,
    /// The caller's own identifier.
    pub external_id: Option<ExternalId>,
    /// Explicit roles (the implicit default is added on output).
    pub roles: Vec<String>,
    /// Lock window after repeated failed authentications.
    pub lock: Option<(Timestamp, Timestamp)>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Email addresses, oldest first.
    pub emails: Vec<EmailFactor>,
    /// Phone numbers, oldest first.
    pub phone_numbers: Vec<PhoneFactor>,
    /// The password, if it has one (never its hash).
    pub password: Option<PasswordFactor>,
    /// Authenticator-app registrations, oldest first.
    pub totps: Vec<TotpFactor>,
    /// Accounts at OAuth providers, oldest first.
    pub providers: Vec<OauthRegistration>,
    /// WebAuthn credentials (passkeys, security keys), oldest first.
    pub webauthn_registrations: Vec<WebauthnRegistration>,
    /// Crypto wallets, oldest first.
    pub crypto_wallets: Vec<CryptoWallet>,
}

impl User {
    /// A user with nothing but its id, status and creation time: no name, metadata, roles or
    /// factors.
    pub fn bare(user_id: String, status: UserStatus, created_at: Timestamp) -> Self {
        User {
            user_id,
            status,
            name: Name::default(),
            trusted_metadata: Metadata::default(),
            untrusted_metadata: Metadata::default(),
            external_id: None,
            roles: vec![],
            lock: None,
            created_at,
            emails: vec![],
            phone_numbers: vec![],
            password: None,
            totps: vec![],
            providers: vec![],
            webauthn_registrations: vec![],
            crypto_wallets: vec![],
        }
    }

    /// The roles as Stytch reports them: `stytch_user` first, then the explicit ones.
    pub fn effective_roles(&self) -> Vec<String> {
        std::iter::once(DEFAULT_ROLE.to_owned())
            .chain(self.roles.iter().filter(|r| *r != DEFAULT_ROLE).cloned())
            .collect()
    }

    /// What verifying one of its emails or phone numbers does to a user (the rule the store is
    /// told to apply): that factor verified, and a pending user active.
    pub fn mark_verified(&mut self, method_id: &str) {
        let found = if let Some(e) = self.emails.iter_mut().find(|e| e.email_id == method_id) {
            e.verified = true;
            true
        } else if let Some(p) = self
            .phone_numbers
            .iter_mut()
            .find(|p| p.phone_id == method_id)
        {
            p.verified = true;
            true
        } else {
            false
        };
        if found && self.status == UserStatus::Pending {
            self.status = UserStatus::Active;
        }
    }

    /// Whether [`User::mark_verified`] would change anything: the factor is not yet verified,
    /// or the user is still pending.
    pub fn needs_verifying(&self, method_id: &str) -> bool {
        let verified = self
            .emails
            .iter()
            .find(|e| e.email_id == method_id)
            .map(|e| e.verified)
            .or_else(|| {
                self.phone_numbers
                    .iter()
                    .find(|p| p.phone_id == method_id)
                    .map(|p| p.verified)
            });
        verified.is_some_and(|v| !v || self.status == UserStatus::Pending)
    }

    /// Whether verifying a factor makes this user active (it is pending).
    pub fn activates_on_verify(&self) -> bool {
        self.status == UserStatus::Pending
    }

    /// Whether the user is locked at `now`.
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.lock.is_some_and(|(_, until)| until > now)
    }
}

/// An email address attached to a user.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailFactor {
    /// `email-test-<uuid>`.
    pub email_id: String,
    /// The normalized address.
    pub email: EmailAddress,
    /// Proven by an authentication.
    pub verified: bool,
}

/// A phone number attached to a user.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneFactor {
    /// `phone-number-test-<uuid>`.
    pub phone_id: String,
    /// The E.164 number.
    pub phone_number: PhoneNumber,
    /// Proven by an authentication.
    pub verified: bool,
}

/// A user's password, as the user object shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordFactor {
    /// `password-test-<uuid>`.
    pub password_id: String,
    /// The user must reset it before logging in with it again.
    pub requires_reset: bool,
}

/// An authenticator-app (TOTP) registration.
#[derive(Debug, Clone, PartialEq)]
pub struct TotpFactor {
    /// `totp-test-<uuid>`.
    pub totp_id: String,
    /// A code was accepted once: enrolment is complete.
    pub verified: bool,
}

/// A user's account at an OAuth provider.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct OauthRegistration {
    /// `oauth-user-registration-test-<uuid>`.
    pub registration_id: String,
    /// The provider's name, e.g. `google`.
    pub provider: String,
    /// The provider's `sub`.
    pub provider_subject: String,
    /// The picture the provider gave.
    pub profile_picture_url: String,
    /// The locale the provider gave.
    pub locale: String,
}

/// A WebAuthn credential as the user object shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct WebauthnRegistration {
    /// `webauthn-registration-test-<uuid>`.
    pub registration_id: String,
    /// The relying-party id it was registered for.
    pub domain: String,
    /// The user agent that registered it.
    pub user_agent: String,
    /// `platform`, `cross-platform` or `""`.
    pub authenticator_type: String,
    /// Its display name.
    pub name: String,
}

/// A crypto wallet as the user object shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct CryptoWallet {
    /// `crypto-wallet-test-<uuid>`.
    pub wallet_id: String,
    /// `ethereum` or `solana`.
    pub wallet_type: String,
    /// The canonical address (EIP-55 for Ethereum).
    pub address: String,
    /// Whether a signature of it was ever accepted.
    #[serde(deserialize_with = "crate::model::user::flag")]
    pub verified: bool,
}

/// A boolean stored as PostgreSQL's `true`/`false` or SQLite's 0/1.
pub fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct Flag;
    impl serde::de::Visitor<'_> for Flag {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a boolean or 0/1")
        }
        fn visit_bool<E>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_i64<E>(self, v: i64) -> Result<bool, E> {
            Ok(v != 0)
        }
        fn visit_u64<E>(self, v: u64) -> Result<bool, E> {
            Ok(v != 0)
        }
    }
    d.deserialize_any(Flag)
}

/// `active` or `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// Normal.
    Active,
    /// Created but never authenticated (invites, `create_user_as_pending`).
    Pending,
}

impl UserStatus {
    /// The wire form.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
        }
    }

    /// Parses the wire form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(UserStatus::Active),
            "pending" => Some(UserStatus::Pending),
            _ => None,
        }
    }
}

/// Name parts; each is `""` when unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Name {
    /// First name.
    pub first: String,
    /// Middle name.
    pub middle: String,
    /// Last name.
    pub last: String,
}

const MAX_NAME_PART: usize = 256;

/// Checks one name part.
pub fn parse_name_part(s: String) -> Result<String> {
    if s.chars().count() > MAX_NAME_PART {
        return Err(Error::with_message(
            ErrorType::InvalidArgument,
            "Name parts may be at most 256 characters long.",
        ));
    }
    Ok(s)
}

/// An email address, trimmed and lower-cased so that uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain, no spaces, ≤ 254 bytes.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if ok {
            Ok(EmailAddress(s))
        } else {
            Err(Error::new(ErrorType::InvalidEmail))
        }
    }

    /// Wraps a value read back from the store (already normalized).
    pub fn from_stored(s: String) -> Self {
        EmailAddress(s)
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An E.164 phone number: `+`, a non-zero digit, 7 to 15 digits in all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses E.164; spaces, dashes and parentheses are not accepted.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        let digits = s.strip_prefix('+').unwrap_or("");
        let ok = (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if ok {
            Ok(PhoneNumber(s.to_owned()))
        } else {
            Err(Error::with_message(
                ErrorType::InvalidPhoneNumber,
                "Phone number format is invalid. Use E.164, e.g. +14155550123.",
            ))
        }
    }

    /// Wraps a value read back from the store.
    pub fn from_stored(s: String) -> Self {
        PhoneNumber(s)
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A caller-chosen user identifier: 1 to 128 characters of `[A-Za-z0-9._|-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    /// Parses an external id.
    pub fn parse(s: &str) -> Result<Self> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'|' | b'-'));
        if ok {
            Ok(ExternalId(s.to_owned()))
        } else {
            Err(Error::with_message(
                ErrorType::InvalidExternalId,
                "external_id must be 1 to 128 characters of letters, digits, '.', '_', '|' or '-'.",
            ))
        }
    }

    /// Wraps a value read back from the store.
    pub fn from_stored(s: String) -> Self {
        ExternalId(s)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A metadata object: at most 20 top-level keys and 4 KB of JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata(Map<String, Value>);

const METADATA_MAX_KEYS: usize = 20;
const METADATA_MAX_BYTES: usize = 4096;

impl Metadata {
    /// Parses a metadata value given on create: it must be an object within the limits.
    pub fn parse(v: Value) -> Result<Self> {
        match v {
            Value::Object(map) => Metadata(map).checked(),
            _ => Err(Error::with_message(
                ErrorType::MetadataInvalidFormat,
                "Metadata must be a JSON object.",
            )),
        }
    }

    /// Merges `patch` at the top level: given keys overwrite, a `null` deletes its key, nested
    /// values are replaced whole. The result must still be within the limits.
    pub fn merge(&self, patch: Value) -> Result<Self> {
        let Value::Object(patch) = patch else {
            return Err(Error::with_message(
                ErrorType::MetadataInvalidFormat,
                "Metadata must be a JSON object.",
            ));
        };
        let mut merged = self.0.clone();
        for (k, v) in patch {
            if v.is_null() {
                merged.remove(&k);
            } else {
                merged.insert(k, v);
            }
        }
        Metadata(merged).checked()
    }

    fn checked(self) -> Result<Self> {
        if self.0.len() > METADATA_MAX_KEYS {
            return Err(Error::new(ErrorType::MetadataTooManyKeys));
        }
        if self.to_json().len() > METADATA_MAX_BYTES {
            return Err(Error::new(ErrorType::MetadataTooLarge));
        }
        Ok(self)
    }

    /// Reads back a stored value; `None` when it is not a JSON object (a corrupt row, which
    /// the store refuses rather than reading as empty).
    pub fn from_stored(json: &str) -> Option<Self> {
        match serde_json::from_str(json) {
            Ok(Value::Object(m)) => Some(Metadata(m)),
            _ => None,
        }
    }

    /// The JSON text to store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    /// The object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }
}

/// Validates explicit roles: non-empty, ≤ 128 characters, no duplicates kept.
pub fn parse_roles(roles: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(roles.len());
    for r in roles {
        if r.is_empty() || r.len() > 128 || r.chars().any(char::is_whitespace) {
            return Err(Error::with_message(
                ErrorType::InvalidRole,
                "Roles must be non-empty strings without spaces, at most 128 characters.",
            ));
        }
        if r != DEFAULT_ROLE && !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn needs_verifying_says_whether_mark_verified_changes_the_user() {
        let email = |id: &str, verified| EmailFactor {
            email_id: id.into(),
            email: EmailAddress::from_stored(format!("{id}@example.com")),
            verified,
        };
        let base = User {
            emails: vec![email("a", true), email("b", false)],
            ..User::bare(
                "user-test-1".into(),
                UserStatus::Active,
                Timestamp::from_millis(0),
            )
        };
        let pending = User {
            status: UserStatus::Pending,
            ..base.clone()
        };
        for user in [base, pending] {
            for id in ["a", "b", "missing"] {
                let mut marked = user.clone();
                marked.mark_verified(id);
                assert_eq!(user.needs_verifying(id), marked != user, "{id} {user:?}");
            }
        }
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            EmailAddress::parse(" Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "ada@@example.com",
            "ada@.example.com",
            "ada@example..com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_must_be_e164() {
        assert!(PhoneNumber::parse("+10000000000").is_ok());
        assert!(PhoneNumber::parse("+447700900123").is_ok());
        for bad in [
            "",
            "10000000000",
            "+0123456789",
            "+1 415 555 0123",
            "+12",
            "+1234567890123456",
            "+1415abc0123",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn external_ids_are_restricted() {
        assert!(ExternalId::parse("auth0|abc-1.2_3").is_ok());
        assert!(ExternalId::parse("").is_err());
        assert!(ExternalId::parse("has space").is_err());
        assert!(ExternalId::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn metadata_merges_at_top_level_and_null_deletes() {
        let m = Metadata::parse(json!({"a": 1, "b": {"x": 1, "y": 2}, "c": 3})).unwrap();
        let m = m
            .merge(json!({"a": null, "b": {"x": 5}, "d": true}))
            .unwrap();
        assert_eq!(
            Value::Object(m.as_map().clone()),
            json!({"b": {"x": 5}, "c": 3, "d": true})
        );
    }

    #[test]
    fn metadata_limits_are_enforced() {
        let too_many: Map<String, Value> = (0..21).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(
            Metadata::parse(Value::Object(too_many)).unwrap_err().kind(),
            ErrorType::MetadataTooManyKeys
        );
        assert_eq!(
            Metadata::parse(json!({"k": "x".repeat(5000)}))
                .unwrap_err()
                .kind(),
            ErrorType::MetadataTooLarge
        );
        assert_eq!(
            Metadata::parse(json!([1])).unwrap_err().kind(),
            ErrorType::MetadataInvalidFormat
        );
    }

    #[test]
    fn roles_drop_duplicates_and_the_implicit_default() {
        assert_eq!(
            parse_roles(vec!["admin".into(), "stytch_user".into(), "admin".into()]).unwrap(),
            vec!["admin".to_string()]
        );
        assert!(parse_roles(vec!["".into()]).is_err());
    }
}
