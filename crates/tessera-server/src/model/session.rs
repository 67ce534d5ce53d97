use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Timestamp;
use crate::error::{Error, ErrorType, Result};

/// Shortest and longest session lifetimes Stytch accepts (5 minutes to 366 days).
pub const MIN_SESSION_MINUTES: i64 = 5;
/// See [`MIN_SESSION_MINUTES`].
pub const MAX_SESSION_MINUTES: i64 = 527_040;

/// A session as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// `session-test-<uuid>`.
    pub session_id: String,
    /// Owner.
    pub user_id: String,
    /// Creation.
    pub started_at: Timestamp,
    /// Last successful authentication.
    pub last_accessed_at: Timestamp,
    /// Absolute expiry.
    pub expires_at: Timestamp,
    /// Captured at creation.
    pub ip_address: String,
    /// Captured at creation.
    pub user_agent: String,
    /// Proven factors, in order.
    pub factors: Vec<AuthFactor>,
    /// Custom claims.
    pub custom_claims: Map<String, Value>,
}

impl Session {
    /// An administrator acting as the user: its end is fixed.
    pub fn is_impersonated(&self) -> bool {
        self.factors
            .iter()
            .any(|f| f.kind == FactorKind::Impersonated)
    }

    /// Adds a freshly proven factor; proving the same factor again refreshes it instead.
    pub fn add_factor(&mut self, factor: AuthFactor) {
        match self.factors.iter_mut().find(|f| f.same_as(&factor)) {
            Some(existing) => existing.last_authenticated_at = factor.last_authenticated_at,
            None => self.factors.push(factor),
        }
    }
}

/// Which kind of proof a factor is (Stytch's `type` and `delivery_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    /// `magic_link` + `email`.
    MagicLinkEmail,
    /// `magic_link` + `embedded`.
    MagicLinkEmbedded,
    /// `otp` + `sms`.
    OtpSms,
    /// `otp` + `whatsapp`.
    OtpWhatsapp,
    /// `otp` + `email`.
    OtpEmail,
    /// `password` + `knowledge`.
    Password,
    /// `totp` + `authenticator_app`.
    Totp,
    /// `recovery_codes` + `recovery_code`.
    RecoveryCode,
    /// `oauth` + `oauth_<provider>`.
    Oauth(crate::model::oauth::Provider),
    /// `webauthn` + `webauthn_registration`: a passkey or security key.
    Webauthn,
    /// `crypto` + `crypto_wallet`: a wallet's signature.
    CryptoWallet,
    /// `impersonated` + `impersonation`: an administrator acting as the user.
    Impersonated,
    /// `imported` + `oauth_access_token_exchange`: a session imported from another identity
    /// provider by `sessions/migrate`.
    Imported,
}

impl FactorKind {
    /// `(type, delivery_method)` on the wire.
    pub const fn wire(self) -> (&'static str, &'static str) {
        match self {
            FactorKind::MagicLinkEmail => ("magic_link", "email"),
            FactorKind::MagicLinkEmbedded => ("magic_link", "embedded"),
            FactorKind::OtpSms => ("otp", "sms"),
            FactorKind::OtpWhatsapp => ("otp", "whatsapp"),
            FactorKind::OtpEmail => ("otp", "email"),
            FactorKind::Password => ("password", "knowledge"),
            FactorKind::Totp => ("totp", "authenticator_app"),
            FactorKind::RecoveryCode => ("recovery_codes", "recovery_code"),
            FactorKind::Oauth(p) => ("oauth", p.delivery_method()),
            FactorKind::Webauthn => ("webauthn", "webauthn_registration"),
            FactorKind::CryptoWallet => ("crypto", "crypto_wallet"),
            FactorKind::Impersonated => ("impersonated", "impersonation"),
            FactorKind::Imported => ("imported", "oauth_access_token_exchange"),
        }
    }
}

/// What a factor proved control of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FactorSubject {
    /// An email address.
    Email {
        /// Its id.
        email_id: String,
        /// The address.
        email_address: String,
    },
    /// A phone number.
    Phone {
        /// Its id.
        phone_id: String,
        /// The number.
        phone_number: String,
    },
    /// An embeddable magic link.
    Embedded {
        /// Identifies the link.
        embedded_id: String,
    },
    /// A password (nothing of it shows on the wire).
    Password {
        /// Its id.
        password_id: String,
    },
    /// An authenticator app.
    Totp {
        /// Its registration.
        totp_id: String,
    },
    /// A TOTP recovery code.
    RecoveryCode {
        /// The code used.
        totp_recovery_code_id: String,
    },
    /// An account at an OAuth provider.
    Oauth {
        /// The user's registration of it.
        registration_id: String,
        /// The provider's `sub`.
        provider_subject: String,
        /// The user's email it proved, if any.
        email_id: Option<String>,
    },
    /// A WebAuthn credential.
    Webauthn {
        /// Its registration.
        webauthn_registration_id: String,
        /// Its relying-party id.
        domain: String,
        /// The user agent that registered it.
        user_agent: String,
    },
    /// A crypto wallet.
    CryptoWallet {
        /// The wallet.
        crypto_wallet_id: String,
        /// Its address.
        crypto_wallet_address: String,
        /// `ethereum` or `solana`.
        crypto_wallet_type: String,
    },
    /// An administrator acting as the user.
    Impersonated {
        /// Who.
        impersonator_id: String,
        /// Their email.
        impersonator_email_address: String,
    },
    /// A session imported from another identity provider.
    Imported {
        /// The email its userinfo proved.
        email_id: String,
    },
}

/// One factor proven in a session. This is also the JSON stored in `sessions.factors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthFactor {
    /// The kind of proof.
    pub kind: FactorKind,
    /// What was proven.
    pub subject: FactorSubject,
    /// First proven in this session.
    pub created_at: Timestamp,
    /// Last proven.
    pub last_authenticated_at: Timestamp,
}

impl AuthFactor {
    /// A factor proven now.
    pub fn new(kind: FactorKind, subject: FactorSubject, now: Timestamp) -> Self {
        AuthFactor {
            kind,
            subject,
            created_at: now,
            last_authenticated_at: now,
        }
    }

    pub(crate) fn same_as(&self, other: &AuthFactor) -> bool {
        self.kind == other.kind && self.subject == other.subject
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_i64(self.millis())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        i64::deserialize(d).map(Timestamp::from_millis)
    }
}

/// Checks `session_duration_minutes`.
pub fn parse_duration_minutes(minutes: i64) -> Result<i64> {
    if (MIN_SESSION_MINUTES..=MAX_SESSION_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(Error::with_message(
            ErrorType::InvalidSessionDurationMinutes,
            "session_duration_minutes should be between 5 to 527040 minutes.",
        ))
    }
}

/// Claim names a session JWT sets itself.
const RESERVED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
const MAX_CUSTOM_CLAIMS_BYTES: usize = 4096;

/// Merges `patch` into `claims` at the top level (`null` deletes) and checks the result.
pub fn merge_custom_claims(
    claims: &Map<String, Value>,
    patch: Map<String, Value>,
) -> Result<Map<String, Value>> {
    let mut merged = claims.clone();
    for (k, v) in patch {
        if RESERVED_CLAIMS.contains(&k.as_str()) {
            return Err(Error::with_message(
                ErrorType::ReservedClaimsInCustomClaims,
                format!("{k:?} is a reserved JWT claim and cannot be a custom claim."),
            ));
        }
        if k.starts_with("https://stytch.com/") {
            return Err(Error::new(ErrorType::StytchClaimsInCustomClaims));
        }
        if v.is_null() {
            merged.remove(&k);
        } else {
            merged.insert(k, v);
        }
    }
    let size = serde_json::to_vec(&merged)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_CUSTOM_CLAIMS_BYTES {
        return Err(Error::new(ErrorType::CustomClaimsTooLarge));
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn custom_claims_merge_and_limits() {
        let m = merge_custom_claims(
            &obj(json!({"a": 1, "b": 2})),
            obj(json!({"a": null, "c": [1]})),
        )
        .unwrap();
        assert_eq!(Value::Object(m), json!({"b": 2, "c": [1]}));
        let kind = |p: Value| merge_custom_claims(&Map::new(), obj(p)).unwrap_err().kind();
        assert_eq!(
            kind(json!({"sub": "x"})),
            ErrorType::ReservedClaimsInCustomClaims
        );
        assert_eq!(
            kind(json!({"https://stytch.com/session": 1})),
            ErrorType::StytchClaimsInCustomClaims
        );
        assert_eq!(
            kind(json!({"big": "x".repeat(4100)})),
            ErrorType::CustomClaimsTooLarge
        );
    }

    #[test]
    fn durations_are_bounded() {
        assert!(parse_duration_minutes(5).is_ok());
        assert!(parse_duration_minutes(527_040).is_ok());
        assert!(parse_duration_minutes(4).is_err());
        assert!(parse_duration_minutes(527_041).is_err());
    }

    #[test]
    fn proving_a_factor_again_refreshes_it() {
        let subject = FactorSubject::Email {
            email_id: "e".into(),
            email_address: "a@b.co".into(),
        };
        let t = Timestamp::from_millis;
        let mut s = Session {
            session_id: "s".into(),
            user_id: "u".into(),
            started_at: t(0),
            last_accessed_at: t(0),
            expires_at: t(1),
            ip_address: String::new(),
            user_agent: String::new(),
            factors: vec![],
            custom_claims: Map::new(),
        };
        s.add_factor(AuthFactor::new(
            FactorKind::MagicLinkEmail,
            subject.clone(),
            t(1),
        ));
        s.add_factor(AuthFactor::new(FactorKind::OtpEmail, subject.clone(), t(2)));
        s.add_factor(AuthFactor::new(FactorKind::MagicLinkEmail, subject, t(3)));
        assert_eq!(s.factors.len(), 2);
        assert_eq!(s.factors[0].last_authenticated_at, t(3));
        assert_eq!(s.factors[0].created_at, t(1));
    }
}
