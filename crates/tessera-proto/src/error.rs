use serde::{Deserialize, Serialize};

/// The body of every error answer: HTTP status equals `status_code`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorResponse {
    /// The HTTP status, repeated in the body.
    pub status_code: u16,
    /// `request-id-test-<uuid>` or `request-id-live-<uuid>`.
    pub request_id: String,
    /// The snake_case identifier callers branch on (see [`ErrorType`]). Kept as a string so a
    /// client built against this crate still decodes error types it does not know yet.
    pub error_type: String,
    /// A human-readable explanation.
    pub error_message: String,
    /// A link to Stytch's documentation of this error.
    pub error_url: String,
    /// Optional structured details; omitted when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub error_details: Option<serde_json::Value>,
}

macro_rules! error_types {
    ($($variant:ident => $name:literal,)*) => {
        /// Every `error_type` Tessera emits. The string forms are Stytch's.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorType {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
        }

        impl ErrorType {
            /// Every variant, for exhaustive tests.
            pub const ALL: &'static [ErrorType] = &[$(ErrorType::$variant,)*];

            /// The wire string, e.g. `"user_not_found"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorType::$variant => $name,)*
                }
            }

            /// Parses a wire string; `None` for types this crate does not know.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($name => Some(ErrorType::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_types! {
    // transport and credentials
    UnauthorizedCredentials => "unauthorized_credentials",
    InvalidAuthorizationHeader => "invalid_authorization_header",
    BadRequest => "bad_request",
    InvalidArgument => "invalid_argument",
    RouteNotFound => "route_not_found",
    MethodNotAllowed => "method_not_allowed",
    RequestTooLarge => "request_too_large",
    TooManyRequests => "too_many_requests",
    RequestTimeout => "request_timeout",
    DatabaseUnavailable => "database_unavailable",
    DeliveryNotConfigured => "delivery_not_configured",
    RecentAuthenticationRequired => "recent_authentication_required",
    CannotDeleteLastFactor => "cannot_delete_last_factor",
    InternalServerError => "internal_server_error",
    // users
    UserNotFound => "user_not_found",
    InvalidUserId => "invalid_user_id",
    InvalidEmail => "invalid_email",
    InvalidPhoneNumber => "invalid_phone_number",
    DuplicateEmail => "duplicate_email",
    DuplicatePhoneNumber => "duplicate_phone_number",
    DuplicateUserExternalId => "duplicate_user_external_id",
    InvalidExternalId => "invalid_external_id",
    InvalidCreateUserRequest => "invalid_create_user_request",
    EmailNotFound => "email_not_found",
    PhoneNumberNotFound => "phone_number_not_found",
    PasswordNotFound => "password_not_found",
    TotpNotFound => "totp_not_found",
    WebauthnRegistrationNotFound => "webauthn_registration_not_found",
    CryptoWalletNotFound => "crypto_wallet_not_found",
    BiometricRegistrationNotFound => "biometric_registration_not_found",
    OauthUserRegistrationNotFound => "oauth_user_registration_not_found",
    MetadataTooLarge => "metadata_too_large",
    MetadataTooManyKeys => "metadata_too_many_keys",
    MetadataInvalidFormat => "metadata_invalid_format",
    InvalidRole => "invalid_role",
    InvalidExchangePrimaryFactorFields => "invalid_exchange_primary_factor_fields",
    InvalidExchangePrimaryFactorUser => "invalid_exchange_primary_factor_user",
    UserSearchInvalidCursor => "user_search_invalid_cursor",
    UserSearchInvalidLimit => "user_search_invalid_limit",
    UserSearchInvalidOperator => "user_search_invalid_operator",
    UserSearchFilterNameNotRecognized => "user_search_filter_name_not_recognized",
    UserSearchMissingFilterValue => "user_search_missing_filter_value",
    UserSearchInvalidFilterValue => "user_search_invalid_filter_value",
    UserSearchCannotMixInternalAndExternalUserIds => "user_search_cannot_mix_internal_and_external_user_ids",
    // projects
    ProjectNotFound => "project_not_found",
    BadDomainForStytchSdk => "bad_domain_for_stytch_sdk",
    CsrfCheckFailed => "csrf_check_failed",
    // sessions
    SessionNotFound => "session_not_found",
    NoSessionArguments => "no_session_arguments",
    TooManySessionArguments => "too_many_session_arguments",
    NoSessionRevokeArguments => "no_session_revoke_arguments",
    TooManySessionRevokeArguments => "too_many_session_revoke_arguments",
    InvalidSessionDurationMinutes => "invalid_session_duration_minutes",
    UnableToParseSessionJwt => "unable_to_parse_session_jwt",
    CustomClaimsTooLarge => "custom_claims_too_large",
    ReservedClaimsInCustomClaims => "reserved_claims_in_custom_claims",
    StytchClaimsInCustomClaims => "stytch_claims_in_custom_claims",
    UserIdMismatch => "user_id_mismatch",
    CannotRevokeSandboxSession => "cannot_revoke_sandbox_session",
    // magic links
    UnableToAuthMagicLink => "unable_to_auth_magic_link",
    MagicLinkNotFound => "magic_link_not_found",
    PkceMismatch => "pkce_mismatch",
    PkceExpectedCodeVerifier => "pkce_expected_code_verifier",
    PkceDidNotExpectCodeVerifier => "pkce_did_not_expect_code_verifier",
    PkceExpectedCodeChallenge => "pkce_expected_code_challenge",
    AttributeMismatch => "attribute_mismatch",
    InvalidMagicLinkUrl => "invalid_magic_link_url",
    NoMatchForProvidedMagicLinkUrl => "no_match_for_provided_magic_link_url",
    NoLoginRedirectUrlsSet => "no_login_redirect_urls_set",
    NoSignupRedirectUrlsSet => "no_signup_redirect_urls_set",
    NoInviteRedirectUrlsSet => "no_invite_redirect_urls_set",
    InvalidExpiration => "invalid_expiration",
    InvalidLocale => "invalid_locale",
    UserAlreadyActive => "user_already_active",
    InviteNotFound => "invite_not_found",
    // one-time passcodes
    OtpCodeNotFound => "otp_code_not_found",
    UnableToAuthOtpCode => "unable_to_auth_otp_code",
    InvalidCode => "invalid_code",
    InvalidMethodId => "invalid_method_id",
    InvalidExpirationOtp => "invalid_expiration_otp",
    // passwords
    WeakPassword => "weak_password",
    NoUserPassword => "no_user_password",
    ResetPassword => "reset_password",
    PasswordAlreadyExists => "password_already_exists",
    UserLockLimitReached => "user_lock_limit_reached",
    UnableToAuthPasswordResetToken => "unable_to_auth_password_reset_token",
    SessionTooOldToResetPassword => "session_too_old_to_reset_password",
    InvalidHash => "invalid_hash",
    InvalidHashType => "invalid_hash_type",
    InvalidHashConfig => "invalid_hash_config",
    // TOTP
    ActiveTotpExists => "active_totp_exists",
    UnableToAuthenticateTotp => "unable_to_authenticate_totp",
    InvalidTotpCode => "invalid_totp_code",
    TotpCodeAlreadyAuthenticated => "totp_code_already_authenticated",
    RecoveryCodeUsedAsTotpCode => "recovery_code_used_as_totp_code",
    TotpCodeUsedAsRecoveryCode => "totp_code_used_as_recovery_code",
    UnableToAuthenticateRecoveryCode => "unable_to_authenticate_recovery_code",
    InvalidRecoveryCode => "invalid_recovery_code",
    ExpiredTotp => "expired_totp",
    // OAuth
    OauthTokenNotFound => "oauth_token_not_found",
    InvalidOauthProvider => "invalid_oauth_provider",
    OauthConfigNotFound => "oauth_config_not_found",
    InvalidOauthAttachToken => "invalid_oauth_attach_token",
    NoUserSelectionArguments => "no_user_selection_arguments",
    TooManyUserSelectionArguments => "too_many_user_selection_arguments",
    InvalidRedirectUrl => "invalid_redirect_url",
    OauthFlowCallbackError => "oauth_flow_callback_error",
    OauthProviderUnavailable => "oauth_provider_unavailable",
    // Impersonation and session import
    UnableToAuthImpersonationToken => "unable_to_auth_impersonation_token",
    UserImpersonationNotAllowed => "user_impersonation_not_allowed",
    MigrateFromExternalEmailDoesNotExist => "migrate_from_external_email_does_not_exist",
    MigrateFromExternalMissingUserinfo => "migrate_from_external_missing_userinfo",
    MigrateFromExternalUnexpectedResponse => "migrate_from_external_unexpected_response",
    InvalidUserinfoUrl => "invalid_userinfo_url",
    // WebAuthn
    InvalidPublicKeyCredential => "invalid_public_key_credential",
    NoPendingWebauthnRegistration => "no_pending_webauthn_registration",
    UnableToRegisterWebauthnRegistration => "unable_to_register_webauthn_registration",
    DuplicateWebauthnRegistration => "duplicate_webauthn_registration",
    UnableToAuthWebauthnRegistration => "unable_to_auth_webauthn_registration",
    EmptyWebauthnRegistrationName => "empty_webauthn_registration_name",
    InvalidWebauthnDomain => "invalid_webauthn_domain",
    InvalidAuthenticatorType => "invalid_authenticator_type",
    // Crypto wallets
    InvalidCryptoWalletType => "invalid_crypto_wallet_type",
    InvalidEthereumAddress => "invalid_ethereum_address",
    InvalidSolanaAddress => "invalid_solana_address",
    SignatureMissing => "signature_missing",
    SignatureIsIncorrectSize => "signature_is_incorrect_size",
    InvalidSignature => "invalid_signature",
    UnableToAuthenticateCryptoWallet => "unable_to_authenticate_crypto_wallet",
    CryptoWalletTypeIncompatibleWithSiwe => "crypto_wallet_type_incompatible_with_siwe",
    SiweMessageExpired => "siwe_message_expired",
    SiweMessageNotValidYet => "siwe_message_not_valid_yet",
    InvalidSiweDomain => "invalid_siwe_domain",
    InvalidSiweUri => "invalid_siwe_uri",
    InvalidSiweParams => "invalid_siwe_params",
    DuplicateCryptoWallet => "duplicate_crypto_wallet",
    InvalidEventType => "invalid_event_type",
    InvalidEventCursor => "invalid_event_cursor",
    InvalidEventLimit => "invalid_event_limit",
    InvalidEventSince => "invalid_event_since",
}

impl std::fmt::Display for ErrorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_type_round_trips() {
        for t in ErrorType::ALL {
            assert_eq!(ErrorType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(ErrorType::parse("no_such_error"), None);
    }
}
