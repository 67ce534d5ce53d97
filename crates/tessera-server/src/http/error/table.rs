//! The one table from error type to HTTP status and default message.

use axum::http::StatusCode;

use crate::error::ErrorType;

/// The one table from error type to HTTP status and default message.
pub(crate) fn describe(kind: ErrorType) -> (StatusCode, &'static str) {
    use ErrorType::*;
    match kind {
        UnauthorizedCredentials => (StatusCode::UNAUTHORIZED, "Unauthorized credentials."),
        InvalidPublicKeyCredential => (
            StatusCode::BAD_REQUEST,
            "public_key_credential is not a valid WebAuthn credential for this ceremony.",
        ),
        NoPendingWebauthnRegistration => (
            StatusCode::BAD_REQUEST,
            "No registration is pending for this challenge and user: it was used, expired, or started for another user.",
        ),
        UnableToRegisterWebauthnRegistration => (
            StatusCode::BAD_REQUEST,
            "The WebAuthn registration could not be completed.",
        ),
        DuplicateWebauthnRegistration => (
            StatusCode::BAD_REQUEST,
            "This credential is already registered.",
        ),
        UnableToAuthWebauthnRegistration => (
            StatusCode::UNAUTHORIZED,
            "The WebAuthn assertion could not be authenticated.",
        ),
        EmptyWebauthnRegistrationName => (
            StatusCode::BAD_REQUEST,
            "The name of a WebAuthn registration cannot be empty.",
        ),
        InvalidWebauthnDomain => (
            StatusCode::BAD_REQUEST,
            "The domain is not one of the project's WebAuthn domains.",
        ),
        InvalidAuthenticatorType => (
            StatusCode::BAD_REQUEST,
            "authenticator_type must be platform or cross-platform.",
        ),
        InvalidCryptoWalletType => (
            StatusCode::BAD_REQUEST,
            "crypto_wallet_type must be ethereum or solana.",
        ),
        InvalidEthereumAddress => (
            StatusCode::BAD_REQUEST,
            "The Ethereum address must be 0x and 40 hex digits (EIP-55 checksummed if mixed case).",
        ),
        InvalidSolanaAddress => (
            StatusCode::BAD_REQUEST,
            "The Solana address must be the base58 of a 32-byte ed25519 public key.",
        ),
        SignatureMissing => (StatusCode::BAD_REQUEST, "signature is required."),
        SignatureIsIncorrectSize => (
            StatusCode::BAD_REQUEST,
            "The signature has the wrong size: 65 bytes of hex for Ethereum, 64 bytes of base58 for Solana.",
        ),
        InvalidSignature => (StatusCode::BAD_REQUEST, "The signature is not well formed."),
        UnableToAuthenticateCryptoWallet => (
            StatusCode::UNAUTHORIZED,
            "The signature is not this wallet's signature of its current challenge.",
        ),
        CryptoWalletTypeIncompatibleWithSiwe => (
            StatusCode::BAD_REQUEST,
            "Sign-In with Ethereum is for ethereum wallets only.",
        ),
        SiweMessageExpired => (
            StatusCode::BAD_REQUEST,
            "The Sign-In with Ethereum message has expired.",
        ),
        SiweMessageNotValidYet => (
            StatusCode::BAD_REQUEST,
            "The Sign-In with Ethereum message is not valid yet (not_before).",
        ),
        InvalidSiweDomain => (
            StatusCode::BAD_REQUEST,
            "The SIWE domain is not one of the project's domains.",
        ),
        InvalidSiweUri => (
            StatusCode::BAD_REQUEST,
            "The SIWE URI must be a URI on the SIWE domain.",
        ),
        InvalidSiweParams => (StatusCode::BAD_REQUEST, "siwe_params is not valid."),
        DuplicateCryptoWallet => (
            StatusCode::BAD_REQUEST,
            "This wallet belongs to another user.",
        ),

        OauthTokenNotFound => (
            StatusCode::BAD_REQUEST,
            "The OAuth token could not be found: it was already used, has expired or never existed.",
        ),
        InvalidOauthProvider => (
            StatusCode::BAD_REQUEST,
            "This OAuth provider is unknown; see the providers Tessera supports.",
        ),
        OauthConfigNotFound => (
            StatusCode::BAD_REQUEST,
            "This OAuth provider is not configured for the project (tessera project oauth set).",
        ),
        InvalidOauthAttachToken => (
            StatusCode::BAD_REQUEST,
            "The oauth_attach_token is unknown, used, expired, or for another provider.",
        ),
        NoUserSelectionArguments => (
            StatusCode::BAD_REQUEST,
            "One of user_id, session_token or session_jwt is required.",
        ),
        TooManyUserSelectionArguments => (
            StatusCode::BAD_REQUEST,
            "Give only one of user_id, session_token and session_jwt.",
        ),
        InvalidRedirectUrl => (
            StatusCode::BAD_REQUEST,
            "The redirect URL is not one of the project's redirect URLs.",
        ),
        OauthFlowCallbackError => (
            StatusCode::BAD_REQUEST,
            "The OAuth provider's answer could not be accepted; start the login again.",
        ),
        OauthProviderUnavailable => (
            StatusCode::BAD_GATEWAY,
            "The OAuth provider could not be reached or gave an unreadable answer.",
        ),
        UnableToAuthImpersonationToken => (
            StatusCode::UNAUTHORIZED,
            "The impersonation token could not be authenticated: it was already used, has expired or never existed.",
        ),
        UserImpersonationNotAllowed => (
            StatusCode::FORBIDDEN,
            "Impersonation is not allowed in this project.",
        ),
        MigrateFromExternalEmailDoesNotExist => (
            StatusCode::BAD_REQUEST,
            "The identity provider's userinfo has no verified email address.",
        ),
        MigrateFromExternalMissingUserinfo => (
            StatusCode::UNAUTHORIZED,
            "The identity provider did not accept the token or returned no userinfo.",
        ),
        MigrateFromExternalUnexpectedResponse => (
            StatusCode::BAD_GATEWAY,
            "The identity provider's userinfo endpoint gave an unexpected answer.",
        ),
        InvalidUserinfoUrl => (
            StatusCode::BAD_REQUEST,
            "The project has no userinfo URL for session import (tessera project update --migrate-userinfo-url).",
        ),
        InvalidAuthorizationHeader => (
            StatusCode::UNAUTHORIZED,
            "The Authorization header must be HTTP Basic: base64(project_id:secret).",
        ),
        BadRequest => (
            StatusCode::BAD_REQUEST,
            "The request could not be understood.",
        ),
        InvalidArgument => (StatusCode::BAD_REQUEST, "An argument is invalid."),
        RouteNotFound => (
            StatusCode::NOT_FOUND,
            "There is no endpoint at this path. Check the method and URL.",
        ),
        MethodNotAllowed => (
            StatusCode::METHOD_NOT_ALLOWED,
            "This endpoint does not accept this HTTP method.",
        ),
        RequestTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than the server accepts (1 MiB).",
        ),
        TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests; slow down and retry later.",
        ),
        RecentAuthenticationRequired => (
            StatusCode::FORBIDDEN,
            "This change needs a factor authenticated in the last minutes (the project's \
             recent_auth_minutes): authenticate again with the session, then retry.",
        ),
        CannotDeleteLastFactor => (
            StatusCode::BAD_REQUEST,
            "This is the user's last verified factor: add and verify another one first.",
        ),
        DeliveryNotConfigured => (
            StatusCode::SERVICE_UNAVAILABLE,
            "This server cannot deliver links or codes for live projects: configure SMTP and \
             a signed SMS webhook.",
        ),
        RequestTimeout => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The request took longer than the server allows (30 s) and was abandoned; retry it.",
        ),
        DatabaseUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is not answering (restarting, or out of connections): nothing was \
             changed; retry shortly.",
        ),
        InternalServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "An internal error occurred. The request id identifies it in the server log.",
        ),
        UserNotFound => (StatusCode::NOT_FOUND, "User could not be found."),
        BadDomainForStytchSdk => (
            StatusCode::FORBIDDEN,
            "This origin is not one of the project's authorized origins for the frontend SDK.",
        ),
        CsrfCheckFailed => (
            StatusCode::FORBIDDEN,
            "A session cookie was sent without proof that script on an authorized origin made \
             the request.",
        ),
        PkceExpectedCodeChallenge => (
            StatusCode::BAD_REQUEST,
            "This project requires PKCE for browser magic links: send a code_challenge.",
        ),
        InvalidUserId => (StatusCode::BAD_REQUEST, "user_id format is invalid."),
        InvalidEmail => (StatusCode::BAD_REQUEST, "Email format is invalid."),
        InvalidPhoneNumber => (StatusCode::BAD_REQUEST, "Phone number format is invalid."),
        DuplicateEmail => (
            StatusCode::BAD_REQUEST,
            "A user with this email already exists for the project.",
        ),
        DuplicatePhoneNumber => (
            StatusCode::BAD_REQUEST,
            "A user with this phone number already exists for the project.",
        ),
        DuplicateUserExternalId => (
            StatusCode::BAD_REQUEST,
            "A user with this external_id already exists for the project.",
        ),
        InvalidExternalId => (StatusCode::BAD_REQUEST, "external_id format is invalid."),
        InvalidCreateUserRequest => (
            StatusCode::BAD_REQUEST,
            "Either email or phone_number is required.",
        ),
        EmailNotFound => (StatusCode::NOT_FOUND, "Email could not be found."),
        PhoneNumberNotFound => (StatusCode::NOT_FOUND, "Phone number could not be found."),
        PasswordNotFound => (StatusCode::NOT_FOUND, "Password could not be found."),
        TotpNotFound => (StatusCode::NOT_FOUND, "TOTP could not be found."),
        WebauthnRegistrationNotFound => (
            StatusCode::NOT_FOUND,
            "WebAuthn registration could not be found.",
        ),
        CryptoWalletNotFound => (StatusCode::NOT_FOUND, "Crypto wallet could not be found."),
        BiometricRegistrationNotFound => (
            StatusCode::NOT_FOUND,
            "Biometric registration could not be found.",
        ),
        OauthUserRegistrationNotFound => (
            StatusCode::NOT_FOUND,
            "OAuth user registration could not be found.",
        ),
        MetadataTooLarge => (
            StatusCode::BAD_REQUEST,
            "Metadata may be at most 4 KB of JSON.",
        ),
        MetadataTooManyKeys => (
            StatusCode::BAD_REQUEST,
            "Metadata may have at most 20 top-level keys.",
        ),
        MetadataInvalidFormat => (StatusCode::BAD_REQUEST, "Metadata must be a JSON object."),
        InvalidRole => (StatusCode::BAD_REQUEST, "A role is invalid."),
        InvalidExchangePrimaryFactorFields => (
            StatusCode::BAD_REQUEST,
            "Exactly one of email_address or phone_number is required.",
        ),
        InvalidExchangePrimaryFactorUser => (
            StatusCode::BAD_REQUEST,
            "The primary factor can only be exchanged for a user with exactly one factor.",
        ),
        UserSearchInvalidCursor => (StatusCode::BAD_REQUEST, "The search cursor is invalid."),
        InvalidEventType => (StatusCode::BAD_REQUEST, "Unknown event type."),
        InvalidEventCursor => (
            StatusCode::BAD_REQUEST,
            "cursor must be the next_cursor of an earlier page.",
        ),
        InvalidEventLimit => (StatusCode::BAD_REQUEST, "limit must be between 1 and 1000."),
        InvalidEventSince => (
            StatusCode::BAD_REQUEST,
            "since must be an RFC 3339 time, such as 2026-12-01T00:00:00Z.",
        ),
        UserSearchInvalidLimit => (StatusCode::BAD_REQUEST, "limit must be between 1 and 1000."),
        UserSearchInvalidOperator => (
            StatusCode::BAD_REQUEST,
            "operator must be \"AND\" or \"OR\".",
        ),
        UserSearchFilterNameNotRecognized => {
            (StatusCode::BAD_REQUEST, "A filter_name is not recognized.")
        }
        UserSearchMissingFilterValue => (
            StatusCode::BAD_REQUEST,
            "A filter is missing its filter_value.",
        ),
        UserSearchInvalidFilterValue => (StatusCode::BAD_REQUEST, "A filter_value is invalid."),
        UserSearchCannotMixInternalAndExternalUserIds => (
            StatusCode::BAD_REQUEST,
            "user_id filters may not mix user ids and external ids.",
        ),
        ProjectNotFound => (StatusCode::NOT_FOUND, "Project could not be found."),
        SessionNotFound => (StatusCode::NOT_FOUND, "Session could not be found."),
        NoSessionArguments => (
            StatusCode::BAD_REQUEST,
            "Either session_token or session_jwt is required.",
        ),
        TooManySessionArguments => (
            StatusCode::BAD_REQUEST,
            "Only one of session_token or session_jwt may be given.",
        ),
        NoSessionRevokeArguments => (
            StatusCode::BAD_REQUEST,
            "One of session_id, session_token or session_jwt is required.",
        ),
        TooManySessionRevokeArguments => (
            StatusCode::BAD_REQUEST,
            "Only one of session_id, session_token or session_jwt may be given.",
        ),
        InvalidSessionDurationMinutes => (
            StatusCode::BAD_REQUEST,
            "session_duration_minutes should be between 5 to 527040 minutes.",
        ),
        UnableToParseSessionJwt => (
            StatusCode::UNAUTHORIZED,
            "The session JWT could not be parsed or its signature is invalid.",
        ),
        CustomClaimsTooLarge => (
            StatusCode::BAD_REQUEST,
            "Custom claims may be at most 4 KB of JSON.",
        ),
        ReservedClaimsInCustomClaims => (
            StatusCode::BAD_REQUEST,
            "Custom claims may not use the reserved JWT claims iss, sub, aud, exp, nbf, iat or jti.",
        ),
        StytchClaimsInCustomClaims => (
            StatusCode::BAD_REQUEST,
            "Custom claims may not start with https://stytch.com/.",
        ),
        UserIdMismatch => (
            StatusCode::BAD_REQUEST,
            "The session belongs to a different user than the factor.",
        ),
        CannotRevokeSandboxSession => (
            StatusCode::BAD_REQUEST,
            "The sandbox session cannot be revoked.",
        ),
        UnableToAuthMagicLink => (
            StatusCode::UNAUTHORIZED,
            "The magic link could not be authenticated because it was either already used or expired. Send another magic link to this user.",
        ),
        MagicLinkNotFound => (
            StatusCode::NOT_FOUND,
            "The magic link could not be authenticated, try sending another magic link to the user.",
        ),
        PkceMismatch => (
            StatusCode::BAD_REQUEST,
            "The code_verifier does not match the code_challenge.",
        ),
        PkceExpectedCodeVerifier => (
            StatusCode::BAD_REQUEST,
            "A code_verifier is required: the link was sent with a code_challenge.",
        ),
        PkceDidNotExpectCodeVerifier => (
            StatusCode::BAD_REQUEST,
            "A code_verifier was given but the link was sent without a code_challenge.",
        ),
        AttributeMismatch => (
            StatusCode::UNAUTHORIZED,
            "The request's attributes do not match those of the send.",
        ),
        InvalidMagicLinkUrl => (
            StatusCode::BAD_REQUEST,
            "The magic link URL must be an absolute http or https URL.",
        ),
        NoMatchForProvidedMagicLinkUrl => (
            StatusCode::BAD_REQUEST,
            "The magic link URL is not one of the project's redirect URLs.",
        ),
        NoLoginRedirectUrlsSet => (
            StatusCode::BAD_REQUEST,
            "The project has no redirect URL for login links; pass login_magic_link_url or add one.",
        ),
        NoSignupRedirectUrlsSet => (
            StatusCode::BAD_REQUEST,
            "The project has no redirect URL for signup links; pass signup_magic_link_url or add one.",
        ),
        NoInviteRedirectUrlsSet => (
            StatusCode::BAD_REQUEST,
            "The project has no redirect URL for invites; pass invite_magic_link_url or add one.",
        ),
        InvalidExpiration => (
            StatusCode::BAD_REQUEST,
            "Expiration minutes must be between 5 and 10080.",
        ),
        InvalidLocale => (StatusCode::BAD_REQUEST, "The locale is not supported."),
        UserAlreadyActive => (
            StatusCode::BAD_REQUEST,
            "The user is already active and cannot be invited.",
        ),
        InviteNotFound => (
            StatusCode::NOT_FOUND,
            "No pending invite exists for this email.",
        ),
        OtpCodeNotFound => (
            StatusCode::NOT_FOUND,
            "The passcode was incorrect. Try again, or send a new passcode.",
        ),
        UnableToAuthOtpCode => (
            StatusCode::UNAUTHORIZED,
            "The passcode could not be authenticated because it was already used, expired or had too many wrong attempts. Send a new passcode.",
        ),
        InvalidCode => (StatusCode::BAD_REQUEST, "The code must be 6 digits."),
        InvalidMethodId => (StatusCode::BAD_REQUEST, "method_id format is invalid."),
        InvalidExpirationOtp => (
            StatusCode::BAD_REQUEST,
            "expiration_minutes must be between 1 and 10.",
        ),
        WeakPassword => (
            StatusCode::BAD_REQUEST,
            "The password is too weak or has appeared in a data breach; use strength_check for details.",
        ),
        NoUserPassword => (StatusCode::BAD_REQUEST, "This user has no password."),
        ResetPassword => (
            StatusCode::UNAUTHORIZED,
            "The password must be reset before it can be used again: it appeared in a data breach, or the email was proven by another login.",
        ),
        PasswordAlreadyExists => (StatusCode::BAD_REQUEST, "This user already has a password."),
        UserLockLimitReached => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many wrong passwords: this user's password is locked for a while. Reset it by email, or try again later.",
        ),
        UnableToAuthPasswordResetToken => (
            StatusCode::UNAUTHORIZED,
            "The password reset link was already used, expired, or never existed.",
        ),
        SessionTooOldToResetPassword => (
            StatusCode::BAD_REQUEST,
            "Resetting a password by session needs a password, magic link or email passcode factor from the last 5 minutes.",
        ),
        InvalidHash => (
            StatusCode::BAD_REQUEST,
            "The hash cannot be read as this hash_type.",
        ),
        InvalidHashType => (
            StatusCode::BAD_REQUEST,
            "hash_type must be one of bcrypt, md_5, argon_2i, argon_2id, sha_1, sha_512, scrypt, phpass or pbkdf_2.",
        ),
        InvalidHashConfig => (
            StatusCode::BAD_REQUEST,
            "The hash's configuration is missing or invalid for this hash_type.",
        ),
        ActiveTotpExists => (
            StatusCode::BAD_REQUEST,
            "The user already has an active TOTP registration; delete it first.",
        ),
        UnableToAuthenticateTotp => (StatusCode::UNAUTHORIZED, "The TOTP code is wrong."),
        InvalidTotpCode => (StatusCode::BAD_REQUEST, "A TOTP code is six digits."),
        TotpCodeAlreadyAuthenticated => (
            StatusCode::UNAUTHORIZED,
            "This TOTP code was already used; wait for the next one.",
        ),
        RecoveryCodeUsedAsTotpCode => (
            StatusCode::BAD_REQUEST,
            "That is a recovery code: use totps/recover.",
        ),
        TotpCodeUsedAsRecoveryCode => (
            StatusCode::BAD_REQUEST,
            "That is a TOTP code: use totps/authenticate.",
        ),
        UnableToAuthenticateRecoveryCode => (
            StatusCode::UNAUTHORIZED,
            "The recovery code is wrong or was already used.",
        ),
        InvalidRecoveryCode => (
            StatusCode::BAD_REQUEST,
            "A recovery code looks like xxxx-xxxx-xxxx.",
        ),
        ExpiredTotp => (
            StatusCode::UNAUTHORIZED,
            "The TOTP registration was not completed in time; create a new one.",
        ),
    }
}
