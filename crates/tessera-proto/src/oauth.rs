use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::sessions::{Session, SessionOptions};
use crate::users::User;

/// `POST /v1/oauth/authenticate` and `/sdk/v1/oauth/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OAuthAuthenticateRequest))]
pub struct AuthenticateRequest {
    /// The token the app received at its redirect URL.
    pub token: String,
    /// The PKCE verifier, when the flow started with a `code_challenge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// The provider's tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderValues {
    /// Access token.
    pub access_token: String,
    /// Refresh token (`""` when none).
    pub refresh_token: String,
    /// ID token (`""` for plain OAuth 2.0 providers).
    pub id_token: String,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When the access token expires (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// Answer to `oauth/authenticate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OAuthAuthenticateResponse))]
pub struct AuthenticateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The user, its provider registration listed.
    pub user: User,
    /// The provider's id of the user (`sub`).
    pub provider_subject: String,
    /// E.g. `Google`.
    pub provider_type: String,
    /// The session token, `""` when no session.
    pub session_token: String,
    /// The session JWT, `""` when no session.
    pub session_jwt: String,
    /// The provider's tokens.
    pub provider_values: ProviderValues,
    /// Always false.
    pub reset_sessions: bool,
    /// The user's registration of this provider account.
    pub oauth_user_registration_id: String,
    /// The session (Stytch's backend name for it), `null` when none.
    pub user_session: Option<Session>,
    /// The same session under the name the browser SDK reads (frontend API only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
}

/// `POST /v1/oauth/attach`: exactly one of `user_id`, `session_token`, `session_jwt`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachRequest {
    /// The provider, e.g. `google`.
    pub provider: String,
    /// The user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// The user's session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jwt: Option<String>,
}

/// Answer to `oauth/attach`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// Single use: pass it to the start URL as `oauth_attach_token`.
    pub oauth_attach_token: String,
}

/// `POST /v1/impersonation/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpersonationAuthenticateRequest {
    /// The token an administrator minted.
    pub impersonation_token: String,
}

/// `POST /v1/impersonation/tokens` (a Tessera extension: Stytch mints them in its dashboard).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpersonationTokenRequest {
    /// The user to act as.
    pub user_id: String,
    /// The administrator's email.
    pub impersonator_email: String,
    /// Why (kept in the security log).
    pub reason: String,
}

/// Answer to `POST /v1/impersonation/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpersonationTokenResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// Single use, valid five minutes.
    pub impersonation_token: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

/// `POST /v1/sessions/migrate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = OAuthMigrateRequest))]
pub struct MigrateRequest {
    /// The other provider's access token.
    pub session_token: String,
    /// Create a session lasting this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
    /// Custom claims for the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub session_custom_claims: Option<Map<String, Value>>,
}
