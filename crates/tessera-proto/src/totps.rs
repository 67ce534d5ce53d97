use serde::{Deserialize, Serialize};

use crate::sessions::SessionOptions;
use crate::users::User;

/// `POST /v1/totps`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRequest {
    /// The user enrolling.
    pub user_id: String,
    /// Minutes to complete the first authentication, 5..=1440 (1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_minutes: Option<i64>,
}

/// Answer to `totps` create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The new registration.
    pub totp_id: String,
    /// The shared secret, base32 (32 characters).
    pub secret: String,
    /// `data:image/png;base64,…`: the `otpauth://` URI as a QR code.
    pub qr_code: String,
    /// Ten single-use codes, `xxxx-xxxx-xxxx`.
    pub recovery_codes: Vec<String>,
    /// The user.
    pub user_id: String,
    /// The user.
    pub user: User,
}

/// `POST /v1/totps/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticateRequest {
    /// The user.
    pub user_id: String,
    /// Six digits from the authenticator app.
    pub totp_code: String,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// `POST /v1/totps/recovery_codes`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodesRequest {
    /// The user.
    pub user_id: String,
}

/// A registration's unused recovery codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpRecoveryCodes {
    /// The registration.
    pub totp_id: String,
    /// Whether a code was ever accepted.
    pub verified: bool,
    /// The codes not yet used.
    pub recovery_codes: Vec<String>,
}

/// Answer to `recovery_codes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodesResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// Each registration with its unused codes.
    pub totps: Vec<TotpRecoveryCodes>,
}

/// `POST /v1/totps/recover`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoverRequest {
    /// The user.
    pub user_id: String,
    /// One of the user's recovery codes.
    pub recovery_code: String,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}
