use serde::{Deserialize, Serialize};

use crate::common::Attributes;
use crate::magic_links::AttributeOptions;
use crate::sessions::SessionOptions;

/// `POST /v1/otps/{sms,whatsapp,email}/{send,login_or_create}`: `phone_number` for SMS and
/// WhatsApp, `email` for email.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OtpSendRequest {
    /// E.164 number (SMS, WhatsApp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Address (email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Code lifetime, 1..=10 minutes (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_minutes: Option<i64>,
    /// End-user attributes, matched at authenticate when `options` ask for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Message locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// (send) Attach this phone or email to this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// (send) Attach to this session's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// (send) Attach to this session's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jwt: Option<String>,
    /// (login_or_create) Create new users as `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_user_as_pending: Option<bool>,
    /// Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_template_id: Option<String>,
    /// Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_template_id: Option<String>,
}

/// Answer to the OTP send and login_or_create endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OtpSendResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// SMS and WhatsApp: the phone id, the `method_id` to authenticate with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_id: Option<String>,
    /// Email: the email id, the `method_id` to authenticate with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_id: Option<String>,
    /// login_or_create: whether the user was created by this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_created: Option<bool>,
}

/// `POST /v1/otps/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OtpAuthenticateRequest {
    /// The `phone_id` or `email_id` the code was sent to.
    pub method_id: String,
    /// The 6-digit code.
    pub code: String,
    /// End-user attributes of this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Attribute matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<AttributeOptions>,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}
