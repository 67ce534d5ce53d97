use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::common::Name;
use crate::magic_links::AttributeOptions;
use crate::sessions::SessionOptions;
use crate::users::User;

/// `POST /v1/passwords`: a new user with a password.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PasswordsCreateRequest))]
pub struct CreateRequest {
    /// The new user's email (must be new to the project).
    pub email: String,
    /// The password; it must pass the project's strength policy.
    pub password: String,
    /// Session creation.
    #[serde(flatten)]
    pub session: SessionOptions,
    /// Backend-only metadata of the new user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub trusted_metadata: Option<Map<String, Value>>,
    /// Frontend-writable metadata of the new user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub untrusted_metadata: Option<Map<String, Value>>,
    /// The new user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
}

/// `POST /v1/passwords/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PasswordsAuthenticateRequest))]
pub struct AuthenticateRequest {
    /// The user's email.
    pub email: String,
    /// The password.
    pub password: String,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// `POST /v1/passwords/strength_check`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StrengthCheckRequest {
    /// The candidate password.
    pub password: String,
    /// With an email, the password is also checked against known breaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// What the LUDS policy found missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LudsRequirements {
    /// Has a lower-case letter.
    pub has_lower_case: bool,
    /// Has an upper-case letter.
    pub has_upper_case: bool,
    /// Has a digit.
    pub has_digit: bool,
    /// Has a symbol.
    pub has_symbol: bool,
    /// Character classes still missing.
    pub missing_complexity: i64,
    /// Characters still missing to the minimum length.
    pub missing_characters: i64,
}

/// Why a password is weak, and what would help.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feedback {
    /// The main problem, `""` when none.
    pub warning: String,
    /// What would make it stronger.
    pub suggestions: Vec<String>,
    /// Under LUDS: what is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luds_requirements: Option<LudsRequirements>,
}

/// Answer to `strength_check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StrengthCheckResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// Whether the password passes the policy (and is not breached).
    pub valid_password: bool,
    /// zxcvbn's score, 0 to 4 (0 under LUDS).
    pub score: i64,
    /// Found in the breach corpus.
    pub breached_password: bool,
    /// `zxcvbn` or `luds`.
    pub strength_policy: String,
    /// Whether new passwords are checked against breaches.
    pub breach_detection_on_create: bool,
    /// Why it is weak.
    pub feedback: Feedback,
}

/// `{prepend_salt, append_salt}` of a salted MD5, SHA-1 or SHA-512 hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaltConfig {
    /// Put before the password.
    #[serde(default)]
    pub prepend_salt: String,
    /// Put after the password.
    #[serde(default)]
    pub append_salt: String,
}

/// Parameters of a raw (not PHC-encoded) argon2 hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Argon2Config {
    /// The salt, as given to the hasher.
    pub salt: String,
    /// Passes (t).
    pub iteration_amount: u32,
    /// Memory in KiB (m).
    pub memory: u32,
    /// Lanes (p).
    pub threads: u32,
    /// Hash length in bytes.
    pub key_length: u32,
}

/// Parameters of a raw scrypt hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScryptConfig {
    /// Base64 salt.
    pub salt: String,
    /// N, a power of two.
    pub n_parameter: u64,
    /// r.
    pub r_parameter: u32,
    /// p.
    pub p_parameter: u32,
    /// Hash length in bytes.
    pub key_length: u32,
}

/// Parameters of a PBKDF2 hash.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pbkdf2Config {
    /// Base64 salt.
    pub salt: String,
    /// Iterations.
    pub iteration_amount: u32,
    /// Hash length in bytes.
    pub key_length: u32,
    /// `sha256` (default) or `sha512`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
}

/// `POST /v1/passwords/migrate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PasswordsMigrateRequest))]
pub struct MigrateRequest {
    /// The user's email: created when new, else the password is added to it.
    pub email: String,
    /// The hash from the other system.
    pub hash: String,
    /// `bcrypt`, `md_5`, `argon_2i`, `argon_2id`, `sha_1`, `sha_512`, `scrypt`, `phpass` or
    /// `pbkdf_2`.
    pub hash_type: String,
    /// Salts of an MD5 hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md_5_config: Option<SaltConfig>,
    /// Salts of a SHA-1 hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha_1_config: Option<SaltConfig>,
    /// Salts of a SHA-512 hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha_512_config: Option<SaltConfig>,
    /// Parameters of a raw argon2 hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argon_2_config: Option<Argon2Config>,
    /// Parameters of a raw scrypt hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrypt_config: Option<ScryptConfig>,
    /// Parameters of a PBKDF2 hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pbkdf_2_config: Option<Pbkdf2Config>,
    /// Backend-only metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub trusted_metadata: Option<Map<String, Value>>,
    /// Frontend-writable metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub untrusted_metadata: Option<Map<String, Value>>,
    /// The user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Mark the email verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_email_verified: Option<bool>,
}

/// Answer to `migrate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MigrateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The email's id.
    pub email_id: String,
    /// Whether the user was created.
    pub user_created: bool,
    /// The user.
    pub user: User,
}

/// `POST /v1/passwords/email/reset/start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetStartRequest {
    /// The user's email.
    pub email: String,
    /// Where the email's link goes (a project redirect URL; the first one by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_password_redirect_url: Option<String>,
    /// Link lifetime, 5..=10080 minutes (30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_password_expiration_minutes: Option<i64>,
    /// PKCE challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    /// Accepted and ignored (there is no password-less login link in the email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_redirect_url: Option<String>,
    /// Email locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_password_template_id: Option<String>,
    /// End-user attributes, matched at reset when `options` ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<crate::common::Attributes>,
}

/// Answer to `email/reset/start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetStartResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The email the link went to.
    pub email_id: String,
}

/// `POST /v1/passwords/email/reset`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailResetRequest {
    /// The token of the email's link.
    pub token: String,
    /// The new password.
    pub password: String,
    /// PKCE verifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    /// End-user attributes of this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<crate::common::Attributes>,
    /// Attribute matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<AttributeOptions>,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// `POST /v1/passwords/existing_password/reset`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExistingResetRequest {
    /// The user's email.
    pub email: String,
    /// The current password.
    pub existing_password: String,
    /// The new password.
    pub new_password: String,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// `POST /v1/passwords/session/reset`: one of `session_token` or `session_jwt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionResetRequest {
    /// The new password.
    pub password: String,
    /// The session (and how long it should last from now).
    #[serde(flatten)]
    pub session: SessionOptions,
}
