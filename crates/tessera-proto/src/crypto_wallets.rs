use serde::{Deserialize, Serialize};

use crate::sessions::SessionOptions;

/// Sign-In with Ethereum (EIP-4361) parameters of a challenge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiweParams {
    /// The domain asking for the signature (an authorized origin's host); the frontend API
    /// takes it from `uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The URI the signature is for.
    pub uri: String,
    /// Resources the user agrees to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<String>>,
    /// EIP-155 chain id, `"1"` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<String>,
    /// A statement shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// RFC 3339; now by default. The message expires 10 minutes after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    /// RFC 3339: not valid before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// The message's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_request_id: Option<String>,
}

/// `POST /v1/crypto_wallets/authenticate/start`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CryptoWalletsAuthenticateStartRequest))]
pub struct AuthenticateStartRequest {
    /// `ethereum` or `solana`.
    pub crypto_wallet_type: String,
    /// `0x…` (Ethereum) or base58 (Solana).
    pub crypto_wallet_address: String,
    /// Attach the wallet to this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Attach the wallet to this session's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// Attach the wallet to this session's user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_jwt: Option<String>,
    /// Sign-In with Ethereum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siwe_params: Option<SiweParams>,
}

/// Answer to `authenticate/start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CryptoWalletsAuthenticateStartResponse))]
pub struct AuthenticateStartResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The wallet's user (created now if new).
    pub user_id: String,
    /// The message to sign.
    pub challenge: String,
    /// Whether this call created the user.
    pub user_created: bool,
}

/// `POST /v1/crypto_wallets/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = CryptoWalletsAuthenticateRequest))]
pub struct AuthenticateRequest {
    /// `ethereum` or `solana`.
    pub crypto_wallet_type: String,
    /// The address.
    pub crypto_wallet_address: String,
    /// Ethereum: 65 bytes `0x` hex (`personal_sign`); Solana: 64 bytes base58.
    pub signature: String,
    /// Session creation or attachment.
    #[serde(flatten)]
    pub session: SessionOptions,
}

/// `POST /sdk/v1/crypto_wallets/authenticate/start/{primary,secondary}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SdkStartRequest {
    /// `ethereum` or `solana`.
    pub crypto_wallet_type: String,
    /// The address.
    pub crypto_wallet_address: String,
    /// Sign-In with Ethereum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub siwe_params: Option<SiweParams>,
}

/// Answer to the frontend start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SdkStartResponse {
    /// Request id.
    pub request_id: String,
    /// 200.
    pub status_code: u16,
    /// The message to sign.
    pub challenge: String,
}

/// `POST /sdk/v1/crypto_wallets/authenticate`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SdkAuthenticateRequest {
    /// `ethereum` or `solana`.
    pub crypto_wallet_type: String,
    /// The address.
    pub crypto_wallet_address: String,
    /// The signature.
    pub signature: String,
    /// Session length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_duration_minutes: Option<i64>,
}
