use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::common::{Attributes, Name};

/// A JSON object of metadata (`trusted_metadata`, `untrusted_metadata`).
pub type Metadata = Map<String, Value>;

/// The User object. Every factor array is always present, possibly empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// `user-test-<uuid>`.
    pub user_id: String,
    /// `active` or `pending`.
    pub status: String,
    /// When the user was created (RFC 3339).
    pub created_at: String,
    /// The user's name; every part present, `""` when unset.
    pub name: Name,
    /// Email addresses.
    pub emails: Vec<Email>,
    /// Phone numbers (E.164).
    pub phone_numbers: Vec<PhoneNumber>,
    /// WebAuthn / passkey registrations.
    pub webauthn_registrations: Vec<WebAuthnRegistration>,
    /// OAuth registrations.
    pub providers: Vec<OAuthProvider>,
    /// TOTP registrations.
    pub totps: Vec<Totp>,
    /// Crypto wallets.
    pub crypto_wallets: Vec<CryptoWallet>,
    /// Mobile biometric registrations.
    pub biometric_registrations: Vec<BiometricRegistration>,
    /// The password, `null` when the user has none.
    pub password: Option<Password>,
    /// Roles: the implicit `stytch_user` plus explicit ones.
    pub roles: Vec<String>,
    /// Metadata only the backend may write.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub trusted_metadata: Metadata,
    /// Metadata the frontend may write.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub untrusted_metadata: Metadata,
    /// The caller's own identifier for this user.
    pub external_id: Option<String>,
    /// Whether the user is locked after repeated failed authentications.
    pub is_locked: bool,
    /// When the lock started.
    pub lock_created_at: Option<String>,
    /// When the lock ends.
    pub lock_expires_at: Option<String>,
}

/// An email address of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Email {
    /// `email-test-<uuid>`.
    pub email_id: String,
    /// The address.
    pub email: String,
    /// Whether the address was proven by an authentication.
    pub verified: bool,
}

/// A phone number of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneNumber {
    /// `phone-number-test-<uuid>`.
    pub phone_id: String,
    /// E.164 number.
    pub phone_number: String,
    /// Whether the number was proven by an authentication.
    pub verified: bool,
}

/// A WebAuthn registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebAuthnRegistration {
    /// `webauthn-registration-test-<uuid>`.
    pub webauthn_registration_id: String,
    /// Relying-party domain.
    pub domain: String,
    /// User agent at registration.
    pub user_agent: String,
    /// Whether registration completed.
    pub verified: bool,
    /// `platform`, `cross-platform` or `""`.
    pub authenticator_type: String,
    /// Display name.
    pub name: String,
}

/// An OAuth registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthProvider {
    /// Provider, e.g. `Google`.
    pub provider_type: String,
    /// The user's id at the provider.
    pub provider_subject: String,
    /// Picture URL from the provider.
    pub profile_picture_url: String,
    /// Locale from the provider.
    pub locale: String,
    /// `oauth-user-registration-test-<uuid>`.
    pub oauth_user_registration_id: String,
}

/// A TOTP registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totp {
    /// `totp-test-<uuid>`.
    pub totp_id: String,
    /// Whether a code was ever accepted.
    pub verified: bool,
}

/// A crypto wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CryptoWallet {
    /// `crypto-wallet-test-<uuid>`.
    pub crypto_wallet_id: String,
    /// The wallet address.
    pub crypto_wallet_address: String,
    /// `ethereum` or `solana`.
    pub crypto_wallet_type: String,
    /// Whether a signature was ever accepted.
    pub verified: bool,
}

/// A mobile biometric registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BiometricRegistration {
    /// `biometric-registration-test-<uuid>`.
    pub biometric_registration_id: String,
    /// Whether registration completed.
    pub verified: bool,
}

/// A user's password (never the hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Password {
    /// `password-test-<uuid>`.
    pub password_id: String,
    /// Whether the user must reset it.
    pub requires_reset: bool,
}

/// `POST /v1/users`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserRequest {
    /// Email address (one of `email` or `phone_number` is required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E.164 phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Request attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Create the user as `pending` instead of `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_user_as_pending: Option<bool>,
    /// Backend-only metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub trusted_metadata: Option<Value>,
    /// Frontend-writable metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub untrusted_metadata: Option<Value>,
    /// The caller's own unique identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Explicit roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

/// Answer to `POST /v1/users`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateUserResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The new user's id.
    pub user_id: String,
    /// The new email's id, `""` when none was given.
    pub email_id: String,
    /// The new phone's id, `""` when none was given.
    pub phone_id: String,
    /// `active` or `pending`.
    pub status: String,
    /// The new user.
    pub user: User,
}

/// Answer to `GET /v1/users/{user_id}`: the user's fields flattened at the top level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GetUserResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    #[serde(flatten)]
    pub user: User,
}

/// `PUT /v1/users/{user_id}`. Absent fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserRequest {
    /// Name parts to replace; absent parts are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Request attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Merged at the top level; a `null` value deletes its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub trusted_metadata: Option<Value>,
    /// Merged at the top level; a `null` value deletes its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub untrusted_metadata: Option<Value>,
    /// Sets or replaces the external id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Replaces the explicit roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

/// Answer to `PUT /v1/users/{user_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateUserResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user's id.
    pub user_id: String,
    /// The user's emails.
    pub emails: Vec<Email>,
    /// The user's phone numbers.
    pub phone_numbers: Vec<PhoneNumber>,
    /// The user's crypto wallets.
    pub crypto_wallets: Vec<CryptoWallet>,
    /// The updated user.
    pub user: User,
}

/// Answer to `DELETE /v1/users/{user_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeleteUserResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The deleted user's id.
    pub user_id: String,
}

/// Answer to every endpoint that changes one of a user's factors (delete email, delete phone,
/// delete external id, exchange primary factor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserFactorResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user's id.
    pub user_id: String,
    /// The user after the change.
    pub user: User,
}

/// `PUT /v1/users/{user_id}/exchange_primary_factor`: exactly one of the two.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangePrimaryFactorRequest {
    /// The new email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    /// The new E.164 phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

/// `POST /v1/users/search`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchUsersRequest {
    /// The `next_cursor` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Page size, 1..=1000, default 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Filters; absent means every user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<SearchQuery>,
}

/// A search query: operands joined by `AND` or `OR`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchQuery {
    /// `AND` or `OR`.
    pub operator: String,
    /// The filters.
    #[serde(default)]
    pub operands: Vec<SearchOperand>,
}

/// One search filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchOperand {
    /// e.g. `email_address`, `status`, `created_at_between`.
    pub filter_name: String,
    /// Its value: a string, a boolean, a list of strings or an object, per filter.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub filter_value: Value,
}

/// Answer to `POST /v1/users/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchUsersResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// This page of users.
    pub results: Vec<User>,
    /// Total and next cursor.
    pub results_metadata: ResultsMetadata,
}

/// Paging information of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResultsMetadata {
    /// How many users match in all.
    pub total: i64,
    /// The cursor of the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
