use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::{Attributes, Name};
use crate::sessions::SessionOptions;

/// `POST /v1/magic_links/email/send` and `.../login_or_create` (`user_id`, `session_*` only on
/// send; `create_user_as_pending` only on login_or_create).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailMagicLinkRequest {
    /// The address to send the link to.
    pub email: String,
    /// Where a login link points (must be one of the project's redirect URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_magic_link_url: Option<String>,
    /// Where a signup link points (must be one of the project's redirect URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_magic_link_url: Option<String>,
    /// Login link lifetime, 5..=10080 (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_expiration_minutes: Option<i64>,
    /// Signup link lifetime, 5..=10080 (default 10080).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_expiration_minutes: Option<i64>,
    /// Accepted and ignored (no custom templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_template_id: Option<String>,
    /// Accepted and ignored (no custom templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_template_id: Option<String>,
    /// End-user attributes, matched at authenticate when `options` ask for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// PKCE S256 challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    /// `en`, `es`, `pt-br` or `fr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// (send) Attach this email to this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// (send) Attach this email to this session's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// (send) Attach this email to this session's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jwt: Option<String>,
    /// (login_or_create) Create new users as `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_user_as_pending: Option<bool>,
}

/// Answer to `magic_links/email/send` and `magic_links/email/invite`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailMagicLinkResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user the link logs in.
    pub user_id: String,
    /// The email the link went to.
    pub email_id: String,
}

/// Answer to `magic_links/email/login_or_create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginOrCreateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The email.
    pub email_id: String,
    /// Whether the user was created by this call.
    pub user_created: bool,
}

/// `POST /v1/magic_links/email/invite`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteRequest {
    /// The address to invite.
    pub email: String,
    /// Where the invite link points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_magic_link_url: Option<String>,
    /// Invite lifetime, 5..=10080 (default 10080).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_expiration_minutes: Option<i64>,
    /// Accepted and ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_template_id: Option<String>,
    /// The invitee's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// End-user attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// Email locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Backend-only metadata for the new user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub trusted_metadata: Option<Value>,
    /// Frontend-writable metadata for the new user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub untrusted_metadata: Option<Value>,
}

/// `POST /v1/magic_links/email/revoke_invite`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokeInviteRequest {
    /// The invited address.
    pub email: String,
}

/// `POST /v1/magic_links`: an embeddable link for a user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateEmbeddableRequest {
    /// The user (or external id).
    pub user_id: String,
    /// Lifetime, 5..=10080 (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_minutes: Option<i64>,
    /// End-user attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
}

/// Answer to `POST /v1/magic_links`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateEmbeddableResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The single-use token, to put in a link of your own.
    pub token: String,
}

/// Require the authenticating request to match the send's attributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeOptions {
    /// The IP address must match.
    #[serde(default)]
    pub ip_match_required: bool,
    /// The user agent must match.
    #[serde(default)]
    pub user_agent_match_required: bool,
}

/// `POST /v1/magic_links/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthenticateMagicLinkRequest {
    /// The token from the link.
    pub token: String,
    /// PKCE verifier, required when the send had a `code_challenge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
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
