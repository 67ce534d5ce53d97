use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::users::User;

/// A session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// `session-test-<uuid>`.
    pub session_id: String,
    /// The owner.
    pub user_id: String,
    /// Creation time.
    pub started_at: String,
    /// Last successful authentication of the session.
    pub last_accessed_at: String,
    /// Absolute expiry.
    pub expires_at: String,
    /// Request attributes captured when the session was created (`""` when unknown).
    pub attributes: SessionAttributes,
    /// Every factor proven in this session, in order.
    pub authentication_factors: Vec<AuthenticationFactor>,
    /// Custom claims, also present at the top level of every session JWT.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_claims: Map<String, Value>,
    /// The user's roles.
    pub roles: Vec<String>,
}

/// IP address and user agent of a session (always strings, `""` when unknown).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionAttributes {
    /// IP address.
    pub ip_address: String,
    /// User agent.
    pub user_agent: String,
}

/// One factor proven in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticationFactor {
    /// `magic_link`, `otp`, …
    #[serde(rename = "type")]
    pub factor_type: String,
    /// `email`, `sms`, `whatsapp`, `embedded`, …
    pub delivery_method: String,
    /// When the factor was last proven.
    pub last_authenticated_at: String,
    /// When the factor joined the session (absent inside JWTs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When the factor was last updated (absent inside JWTs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// For email factors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_factor: Option<EmailFactor>,
    /// For SMS and WhatsApp factors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_factor: Option<PhoneNumberFactor>,
    /// For embeddable magic links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddable_magic_link_factor: Option<EmbeddableMagicLinkFactor>,
    /// TOTP factors: the registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_app_factor: Option<AuthenticatorAppFactor>,
    /// Recovery-code factors: the code used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code_factor: Option<RecoveryCodeFactor>,
    /// WebAuthn factors: the registration used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn_factor: Option<WebAuthnFactor>,
    /// Crypto-wallet factors: the wallet that signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crypto_wallet_factor: Option<CryptoWalletFactor>,
    /// Impersonated sessions: who acts as the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_factor: Option<ImpersonatedFactor>,
    /// OAuth factors' sub-object, under its provider's key (`google_oauth_factor`,
    /// `git_lab_oauth_factor`, …: `{id, provider_subject, email_id?}`).
    #[serde(flatten, default, skip_serializing_if = "Map::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub provider_factors: Map<String, Value>,
}

/// `impersonated_factor` of an impersonated session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpersonatedFactor {
    /// The administrator's id.
    pub impersonator_id: String,
    /// The administrator's email.
    pub impersonator_email_address: String,
}

/// `webauthn_factor` of a WebAuthn factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebAuthnFactor {
    /// The registration.
    pub webauthn_registration_id: String,
    /// Its relying-party id.
    pub domain: String,
    /// The user agent that registered it.
    pub user_agent: String,
}

/// `crypto_wallet_factor` of a crypto-wallet factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CryptoWalletFactor {
    /// The wallet.
    pub crypto_wallet_id: String,
    /// Its address.
    pub crypto_wallet_address: String,
    /// `ethereum` or `solana`.
    pub crypto_wallet_type: String,
}

/// `authenticator_app_factor` of a TOTP factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticatorAppFactor {
    /// The registration.
    pub totp_id: String,
}

/// `recovery_code_factor` of a recovery-code factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodeFactor {
    /// The code used.
    pub totp_recovery_code_id: String,
}

/// The email behind a factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailFactor {
    /// `email-test-<uuid>`.
    pub email_id: String,
    /// The address.
    pub email_address: String,
}

/// The phone number behind a factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneNumberFactor {
    /// `phone-number-test-<uuid>`.
    pub phone_id: String,
    /// E.164 number.
    pub phone_number: String,
}

/// The embeddable magic link behind a factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddableMagicLinkFactor {
    /// Identifies the link.
    pub embedded_id: String,
}

/// `POST /v1/sessions/authenticate`: exactly one of `session_token` and `session_jwt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticateSessionRequest {
    /// The opaque session token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// A session JWT, possibly past its `exp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jwt: Option<String>,
    /// 5..=527040: moves `expires_at` to now plus this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
    /// Merged into the session's custom claims; a `null` value deletes its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub session_custom_claims: Option<Map<String, Value>>,
}

/// Answer to `POST /v1/sessions/authenticate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticateSessionResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The session.
    pub session: Session,
    /// The session token (`""` when the call authenticated by JWT: Tessera stores only digests).
    pub session_token: String,
    /// A fresh 5-minute JWT.
    pub session_jwt: String,
    /// The session's user.
    pub user: User,
}

/// Answer to `GET /v1/sessions?user_id=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GetSessionsResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user's active sessions.
    pub sessions: Vec<Session>,
}

/// One session that ended before its expiry, in the revocation feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionRevocation {
    /// The session: its JWTs must no longer be accepted.
    pub session_id: String,
    /// When it ended (RFC 3339).
    pub revoked_at: String,
    /// When it would have expired (RFC 3339).
    pub expires_at: String,
}

/// Answer to `GET /v1/sessions/revocations` (a Tessera extension): the project's sessions that
/// ended since `cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionRevocationsResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// Oldest first; an answer may repeat revocations of the one before.
    pub revocations: Vec<SessionRevocation>,
    /// Send it back as `cursor` to continue after this answer.
    pub cursor: String,
    /// More are waiting: ask again at once.
    pub has_more: bool,
}

/// `POST /v1/sessions/revoke`: exactly one of the three.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeSessionRequest {
    /// By id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// By token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// By JWT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jwt: Option<String>,
}

/// An answer that carries nothing but the envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmptyResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
}

/// One public key of the JWKS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Jwk {
    /// `RSA`.
    pub kty: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// `["verify"]`.
    pub key_ops: Vec<String>,
    /// `RS256`.
    pub alg: String,
    /// `jwk-test-<uuid>`, the JWT header's `kid`.
    pub kid: String,
    /// Certificate chain (empty: Tessera publishes bare keys).
    pub x5c: Vec<String>,
    /// Certificate thumbprint (empty).
    #[serde(rename = "x5tS256")]
    pub x5t_s256: String,
    /// Modulus, base64url.
    pub n: String,
    /// Exponent, base64url.
    pub e: String,
}

/// Answer to `GET /v1/sessions/jwks/{project_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwksResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// Every key a live JWT may be signed with.
    pub keys: Vec<Jwk>,
}

/// The answer of every factor-authenticate endpoint (magic links, passcodes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FactorAuthenticateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The user after the authentication (the factor now verified).
    pub user: User,
    /// The email or phone id the factor used (`""` for embeddable links).
    pub method_id: String,
    /// The session token, `""` when no session was created or attached.
    pub session_token: String,
    /// The session JWT, `""` when no session was created or attached.
    pub session_jwt: String,
    /// The session, `null` when none.
    pub session: Option<Session>,
    /// Whether the user's other sessions were revoked (a password reset).
    pub reset_sessions: bool,
    /// Passwords: the email the password belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    /// TOTP: the registration used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_id: Option<String>,
    /// WebAuthn: the registration used or made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn_registration_id: Option<String>,
}

/// Session parameters accepted by every factor-authenticate endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionOptions {
    /// Attach the factor to this session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// Attach the factor to this session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jwt: Option<String>,
    /// Create (or extend) a session lasting this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
    /// Custom claims for the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub session_custom_claims: Option<Map<String, Value>>,
}
