//! The claims of a session JWT, and the factor entries they state.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_proto::sessions::{
    AuthenticationFactor, AuthenticatorAppFactor, CryptoWalletFactor, EmailFactor,
    EmbeddableMagicLinkFactor, ImpersonatedFactor, PhoneNumberFactor, RecoveryCodeFactor,
    SessionAttributes, WebAuthnFactor,
};

use crate::model::session::{AuthFactor, FactorKind, FactorSubject};

/// Lifetime of a session JWT.
pub const JWT_LIFETIME_SECONDS: i64 = 300;

/// The `https://stytch.com/session` claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionClaim {
    /// Session id.
    pub id: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub last_accessed_at: String,
    /// RFC 3339.
    pub expires_at: String,
    /// IP and user agent.
    pub attributes: SessionAttributes,
    /// Factors, without `created_at`/`updated_at`.
    pub authentication_factors: Vec<AuthenticationFactor>,
    /// The user's roles.
    pub roles: Vec<String>,
}

/// The claims of a session JWT.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// `[project_id]`.
    pub aud: Vec<String>,
    /// Expiry (seconds).
    pub exp: i64,
    /// Issued at (seconds).
    pub iat: i64,
    /// `stytch.com/{project_id}`.
    pub iss: String,
    /// = `iat`.
    pub nbf: i64,
    /// The user id.
    pub sub: String,
    /// The session.
    #[serde(rename = "https://stytch.com/session")]
    pub session: SessionClaim,
    /// Custom claims, at the top level.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// The issuer of a project's JWTs.
pub fn issuer(project_id: &str) -> String {
    format!("stytch.com/{project_id}")
}

/// A factor as a JWT states it: without `created_at`/`updated_at` (the session answer adds
/// them).
pub fn factor(f: &AuthFactor) -> AuthenticationFactor {
    let (factor_type, delivery_method) = f.kind.wire();
    let mut out = AuthenticationFactor {
        factor_type: factor_type.to_owned(),
        delivery_method: delivery_method.to_owned(),
        last_authenticated_at: f.last_authenticated_at.to_rfc3339(),
        created_at: None,
        updated_at: None,
        email_factor: None,
        phone_number_factor: None,
        embeddable_magic_link_factor: None,
        authenticator_app_factor: None,
        recovery_code_factor: None,
        webauthn_factor: None,
        crypto_wallet_factor: None,
        impersonated_factor: None,
        provider_factors: Map::new(),
    };
    match &f.subject {
        FactorSubject::Email {
            email_id,
            email_address,
        } => {
            out.email_factor = Some(EmailFactor {
                email_id: email_id.clone(),
                email_address: email_address.clone(),
            })
        }
        FactorSubject::Phone {
            phone_id,
            phone_number,
        } => {
            out.phone_number_factor = Some(PhoneNumberFactor {
                phone_id: phone_id.clone(),
                phone_number: phone_number.clone(),
            })
        }
        FactorSubject::Embedded { embedded_id } => {
            out.embeddable_magic_link_factor = Some(EmbeddableMagicLinkFactor {
                embedded_id: embedded_id.clone(),
            })
        }
        FactorSubject::Password { .. } => {}
        FactorSubject::Totp { totp_id } => {
            out.authenticator_app_factor = Some(AuthenticatorAppFactor {
                totp_id: totp_id.clone(),
            })
        }
        FactorSubject::RecoveryCode {
            totp_recovery_code_id,
        } => {
            out.recovery_code_factor = Some(RecoveryCodeFactor {
                totp_recovery_code_id: totp_recovery_code_id.clone(),
            })
        }
        FactorSubject::Oauth {
            registration_id,
            provider_subject,
            email_id,
        } => {
            if let FactorKind::Oauth(p) = f.kind {
                let mut sub = Map::new();
                sub.insert("id".into(), Value::String(registration_id.clone()));
                sub.insert(
                    "provider_subject".into(),
                    Value::String(provider_subject.clone()),
                );
                if let Some(e) = email_id {
                    sub.insert("email_id".into(), Value::String(e.clone()));
                }
                out.provider_factors
                    .insert(p.factor_key().to_owned(), Value::Object(sub));
            }
        }
        FactorSubject::Webauthn {
            webauthn_registration_id,
            domain,
            user_agent,
        } => {
            out.webauthn_factor = Some(WebAuthnFactor {
                webauthn_registration_id: webauthn_registration_id.clone(),
                domain: domain.clone(),
                user_agent: user_agent.clone(),
            })
        }
        FactorSubject::CryptoWallet {
            crypto_wallet_id,
            crypto_wallet_address,
            crypto_wallet_type,
        } => {
            out.crypto_wallet_factor = Some(CryptoWalletFactor {
                crypto_wallet_id: crypto_wallet_id.clone(),
                crypto_wallet_address: crypto_wallet_address.clone(),
                crypto_wallet_type: crypto_wallet_type.clone(),
            })
        }
        FactorSubject::Impersonated {
            impersonator_id,
            impersonator_email_address,
        } => {
            out.impersonated_factor = Some(ImpersonatedFactor {
                impersonator_id: impersonator_id.clone(),
                impersonator_email_address: impersonator_email_address.clone(),
            })
        }
        FactorSubject::Imported { .. } => {}
    }
    out
}
