use serde::{Deserialize, Serialize};

use crate::sessions::SessionOptions;
use crate::users::WebAuthnRegistration;

/// `POST /v1/webauthn/register/start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterStartRequest {
    /// The user registering a credential.
    pub user_id: String,
    /// The relying-party id, e.g. `example.com`.
    pub domain: String,
    /// Stored on the registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `platform` or `cross-platform`; absent allows both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_type: Option<String>,
    /// Passkey options: a resident key required, user verification preferred.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_passkey_credential_options: Option<bool>,
    /// Overrides the WebAuthn `user.id` (the user handle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<String>,
    /// Overrides `user.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_name: Option<String>,
    /// Overrides `user.displayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_display_name: Option<String>,
    /// Binary fields are base64url either way; accepted for compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_base64_url_encoding: Option<bool>,
}

/// Answer to `register/start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterStartResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// `PublicKeyCredentialCreationOptions` as a JSON string.
    pub public_key_credential_creation_options: String,
}

/// `POST /v1/webauthn/register`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterRequest {
    /// The user.
    pub user_id: String,
    /// The authenticator's answer, as a JSON string.
    pub public_key_credential: String,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// `POST /v1/webauthn/authenticate/start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticateStartRequest {
    /// The relying-party id.
    pub domain: String,
    /// The user; absent for a discoverable (passkey) login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Passkey options (user verification preferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_passkey_credential_options: Option<bool>,
    /// Accepted for compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_base64_url_encoding: Option<bool>,
}

/// Answer to `authenticate/start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticateStartResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user, `""` for a discoverable login.
    pub user_id: String,
    /// `PublicKeyCredentialRequestOptions` as a JSON string.
    pub public_key_credential_request_options: String,
}

/// `POST /v1/webauthn/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticateRequest {
    /// The authenticator's assertion, as a JSON string.
    pub public_key_credential: String,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// `PUT /v1/webauthn/{webauthn_registration_id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateRequest {
    /// The new display name.
    pub name: String,
}

/// Answer to a rename.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The registration as it now is.
    pub webauthn_registration: WebAuthnRegistration,
}

/// One of a user's credentials for a domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credential {
    /// The credential id, base64url.
    pub credential_id: String,
    /// Its registration.
    pub webauthn_registration_id: String,
    /// `public-key`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The COSE public key, base64.
    pub public_key: String,
}

/// Answer to `GET /v1/webauthn/credentials/{user_id}/{domain}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialsResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The credentials.
    pub credentials: Vec<Credential>,
}

/// `POST /sdk/v1/webauthn/register/start`: the session's user registers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SdkRegisterStartRequest {
    /// The relying-party id (the SDK sends the page's host name).
    pub domain: String,
    /// `platform` or `cross-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_type: Option<String>,
    /// Passkey options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_passkey_credential_options: Option<bool>,
    /// Overrides `user.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<String>,
    /// Overrides `user.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_name: Option<String>,
    /// Overrides `user.displayName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_display_name: Option<String>,
    /// The browser's user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Accepted for compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_base64_url_encoding: Option<bool>,
}

/// `POST /sdk/v1/webauthn/register` and `/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SdkCredentialRequest {
    /// The authenticator's answer, as a JSON string.
    pub public_key_credential: String,
    /// Session length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
}

/// `POST /sdk/v1/webauthn/authenticate/start/{primary,secondary}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SdkAuthenticateStartRequest {
    /// The relying-party id.
    pub domain: String,
    /// Passkey options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_passkey_credential_options: Option<bool>,
    /// Accepted for compatibility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_base64_url_encoding: Option<bool>,
}
