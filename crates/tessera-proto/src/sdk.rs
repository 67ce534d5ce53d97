use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::common::Name;
use crate::sessions::Session;
use crate::users::{CryptoWallet, Email, PhoneNumber, User};

/// The success envelope of every `/sdk/v1` answer: the SDK reads `data` and nothing else.
/// Errors are not wrapped: they are the flat [`ErrorResponse`](crate::ErrorResponse).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Data<T> {
    /// The payload.
    pub data: T,
}

/// `GET /sdk/v1/projects/bootstrap/{public_token}`: what the browser SDK needs to start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bootstrap {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The project's display name.
    pub project_name: String,
    /// Always `CONSUMER`.
    pub vertical: String,
    /// Always true: no "Powered by" link.
    pub disable_sdk_watermark: bool,
    /// Always null: OAuth starts on the same host.
    pub cname_domain: Option<String>,
    /// Domains emails are sent from.
    pub email_domains: Vec<String>,
    /// `{"enabled": false}`: no captcha.
    pub captcha_settings: Value,
    /// Browser magic-link sends must carry a PKCE challenge.
    pub pkce_required_for_email_magic_links: bool,
    /// Password resets (not implemented): false.
    pub pkce_required_for_password_resets: bool,
    /// Browser OAuth flows must carry a PKCE challenge.
    pub pkce_required_for_oauth: bool,
    /// B2B only: false.
    pub pkce_required_for_sso: bool,
    /// B2B only: null.
    pub slug_pattern: Option<String>,
    /// B2B only: false.
    pub create_organization_enabled: bool,
    /// `null`: the SDK's default password hints.
    pub password_config: Option<Value>,
    /// Device fingerprinting: off.
    pub dfp_protected_auth_enabled: bool,
    /// Device fingerprinting mode: null.
    pub dfp_protected_auth_mode: Option<String>,
    /// Sign-in with Ethereum: false.
    pub siwe_required_for_crypto_wallets: bool,
    /// The RBAC policy: empty lists.
    pub rbac_policy: Value,
    /// Tessera: the OAuth providers the project configured (never their secrets), so a login
    /// page shows only buttons that work.
    #[serde(default)]
    pub oauth_providers: Vec<BootstrapOauthProvider>,
}

/// A configured OAuth provider as bootstrap lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapOauthProvider {
    /// Its name in start URLs, e.g. `google`.
    pub provider: String,
    /// Its display type, e.g. `Google`.
    pub provider_type: String,
}

/// `POST /sdk/v1/sessions/authenticate`: `{}` refreshes the JWT without extending the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionAuthenticateRequest {
    /// Extend the session to this many minutes from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
}

/// The answer of every `/sdk/v1` call that creates, refreshes or extends a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthenticateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The session.
    pub session: Session,
    /// The opaque session token (never empty: an empty token means HttpOnly mode to the SDK).
    pub session_token: String,
    /// A fresh session JWT.
    pub session_jwt: String,
    /// The user.
    pub user: User,
    /// The email or phone id the factor used, on factor endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_id: Option<String>,
    /// WebAuthn: the registration used or made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webauthn_registration_id: Option<String>,
}

/// `POST /sdk/v1/magic_links/email/{login_or_create, send/primary, send/secondary}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MagicLinkSendRequest {
    /// The address.
    pub email: String,
    /// Where the login link lands (must be one of the project's redirect URLs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_magic_link_url: Option<String>,
    /// Where the signup link lands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_magic_link_url: Option<String>,
    /// Login link lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_expiration_minutes: Option<i64>,
    /// Signup link lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_expiration_minutes: Option<i64>,
    /// Message locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// PKCE: `base64url(SHA-256(code_verifier))`, required from browsers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
}

/// `POST /sdk/v1/magic_links/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MagicLinkAuthenticateRequest {
    /// The token from the link.
    pub token: String,
    /// Lifetime of the session to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
    /// PKCE verifier matching the send's challenge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
}

/// `POST /sdk/v1/otps/{sms,whatsapp,email}/{login_or_create, send/primary, send/secondary}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OtpSendRequest {
    /// E.164 phone number (SMS, WhatsApp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Email address (email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Code lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_minutes: Option<i64>,
    /// Message locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// The answer to a passcode send: the id to authenticate with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OtpSendResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The phone or email id the code went to.
    pub method_id: String,
}

/// `POST /sdk/v1/otps/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OtpAuthenticateRequest {
    /// The code (the SDK names it `token`).
    pub token: String,
    /// The phone or email id from the send.
    pub method_id: String,
    /// Lifetime of the session to create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
}

/// The answer of calls with nothing to say but success.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Empty {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
}

/// `GET /sdk/v1/users/me`: the user object itself, with the request id beside its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    #[serde(flatten)]
    pub user: User,
}

/// `PUT /sdk/v1/users/me`: a user may change its own name and untrusted metadata only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateMeRequest {
    /// Name parts to replace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    /// Merged at the top level; `null` deletes a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untrusted_metadata: Option<Value>,
}

/// Answer to `PUT /sdk/v1/users/me`; the SDK stores `__user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateMeResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// Emails.
    pub emails: Vec<Email>,
    /// Phone numbers.
    pub phone_numbers: Vec<PhoneNumber>,
    /// Crypto wallets.
    pub crypto_wallets: Vec<CryptoWallet>,
    /// The updated user.
    #[serde(rename = "__user")]
    pub user: User,
}

/// Answer to `DELETE /sdk/v1/users/{emails,phone_numbers}/{id}`; the SDK stores `__user`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeleteFactorResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The user.
    pub user_id: String,
    /// The user without the factor.
    #[serde(rename = "__user")]
    pub user: User,
}

/// `POST /sdk/v1/totps`: enrol the session's user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TotpCreateRequest {
    /// Minutes to complete the first authentication, 5..=1440 (1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_minutes: Option<i64>,
}

/// Answer to `POST /sdk/v1/totps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotpCreateResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The new registration.
    pub totp_id: String,
    /// The seed, base32.
    pub secret: String,
    /// The `otpauth://` URI as a PNG data URL.
    pub qr_code: String,
    /// Ten single-use recovery codes.
    pub recovery_codes: Vec<String>,
    /// The user.
    pub user_id: String,
    /// The user with the new registration.
    #[serde(rename = "__user")]
    pub user: User,
}

/// `POST /sdk/v1/totps/authenticate` and `/totps/recover`: the session's user's code.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TotpCodeRequest {
    /// The authenticator app's code (authenticate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_code: Option<String>,
    /// A recovery code (recover).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
    /// Session length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
}

/// `POST /sdk/v1/users/search`: which password screen the prebuilt UI shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserSearchRequest {
    /// The address typed.
    pub email: String,
}

/// Answer to `users/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSearchResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// `new`, `passwordless` or `password`.
    #[serde(rename = "userType")]
    pub user_type: String,
}
