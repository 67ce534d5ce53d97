/** Wire types of Tessera's frontend API (`/sdk/v1`), typed from `tessera-proto` (sdk.rs, sessions.rs, users.rs, passwords.rs, totps.rs, webauthn.rs, crypto_wallets.rs). */

/** A person's name; every part is present, `""` when unset. */
export interface Name {
  first_name?: string;
  middle_name?: string;
  last_name?: string;
}

export interface EmailFactor {
  email_id: string;
  email_address: string;
}

export interface PhoneNumberFactor {
  phone_id: string;
  phone_number: string;
}

/** One factor proven in a session. */
export interface AuthenticationFactor {
  /** `magic_link`, `otp`, `password`, `totp`, `recovery_code`, `webauthn`, `crypto`, … */
  type: string;
  /** `email`, `sms`, `whatsapp`, `embedded`, `knowledge`, `authenticator_app`, `recovery_code`, `webauthn_registration`, `crypto_wallet`, … */
  delivery_method: string;
  last_authenticated_at: string;
  created_at?: string;
  updated_at?: string;
  email_factor?: EmailFactor;
  phone_number_factor?: PhoneNumberFactor;
  embeddable_magic_link_factor?: { embedded_id: string };
  authenticator_app_factor?: { totp_id: string };
  recovery_code_factor?: { totp_recovery_code_id: string };
  webauthn_factor?: { webauthn_registration_id: string; domain: string; user_agent: string };
  crypto_wallet_factor?: { crypto_wallet_id: string; crypto_wallet_address: string; crypto_wallet_type: string };
}

/** A session as the server returns it. */
export interface Session {
  session_id: string;
  user_id: string;
  started_at: string;
  last_accessed_at: string;
  /** RFC 3339 UTC; also the expiry of the token cookies. */
  expires_at: string;
  attributes: { ip_address: string; user_agent: string };
  authentication_factors: AuthenticationFactor[];
  custom_claims: Record<string, unknown> | null;
  roles: string[];
}

export interface Email {
  email_id: string;
  email: string;
  verified: boolean;
}

export interface PhoneNumber {
  phone_id: string;
  phone_number: string;
  verified: boolean;
}

export interface WebAuthnRegistration {
  webauthn_registration_id: string;
  domain: string;
  user_agent: string;
  verified: boolean;
  authenticator_type: string;
  name: string;
}

export interface OAuthProvider {
  provider_type: string;
  provider_subject: string;
  profile_picture_url: string;
  locale: string;
  oauth_user_registration_id: string;
}

export interface CryptoWallet {
  crypto_wallet_id: string;
  crypto_wallet_address: string;
  crypto_wallet_type: string;
  verified: boolean;
}

/** The User object (without `request_id` / `status_code`). */
export interface User {
  user_id: string;
  status: string;
  created_at: string;
  name: Name;
  emails: Email[];
  phone_numbers: PhoneNumber[];
  webauthn_registrations: WebAuthnRegistration[];
  providers: OAuthProvider[];
  totps: { totp_id: string; verified: boolean }[];
  crypto_wallets: CryptoWallet[];
  biometric_registrations: { biometric_registration_id: string; verified: boolean }[];
  password: { password_id: string; requires_reset: boolean } | null;
  roles: string[];
  trusted_metadata: Record<string, unknown>;
  untrusted_metadata: Record<string, unknown>;
  external_id?: string | null;
  is_locked?: boolean;
  lock_created_at?: string | null;
  lock_expires_at?: string | null;
}

/** Every answer carries these two beside its payload. */
export interface ResponseCommon {
  request_id: string;
  status_code: number;
}

/** The answer of every call that creates, refreshes or extends a session ([auth] calls). */
export interface AuthenticateResponse extends ResponseCommon {
  user_id: string;
  session: Session;
  session_token: string;
  session_jwt: string;
  user: User;
  method_id?: string;
}

/** Factor logins also say which email/phone was used, and more. */
export interface FactorAuthenticateResponse extends AuthenticateResponse {
  method_id: string;
  reset_sessions?: boolean;
  email_id?: string;
  totp_id?: string;
}

/** One of the user's live sessions as `session.devices()` lists it (a Tessera extension). */
export interface Device {
  session_id: string;
  /** The session of this client. */
  current: boolean;
  started_at: string;
  /** To the minute. */
  last_accessed_at: string;
  expires_at: string;
  /** "Chrome 131.0.0.0"; "" when unknown. */
  browser: string;
  /** "Mac OSX 10.15.7"; "" when unknown. */
  os: string;
  /** `pc`, `smartphone`, `mobilephone`, `crawler`, `appliance`, `misc` or "". */
  device: string;
  user_agent: string;
  ip_address: string;
  /** The factor types proven in it (`magic_link`, `otp`, …). */
  factors: string[];
}

export interface DevicesResponse extends ResponseCommon {
  sessions: Device[];
}

export interface RevokeOthersResponse extends ResponseCommon {
  revoked: number;
}

/** The client-side state: `null` when logged out. */
export interface TesseraState {
  session?: Session | null;
  user?: User | null;
}

export interface SessionTokens {
  session_token: string;
  session_jwt: string;
}

export interface SessionInfo {
  session: Session | null;
  fromCache: boolean;
}

export interface UserInfo {
  user: User | null;
  fromCache: boolean;
}

export type SessionDurationOptions = {
  session_duration_minutes: number;
};

export interface SendResponse extends ResponseCommon {
  method_id: string;
}

export interface MagicLinksSendOptions {
  login_magic_link_url?: string;
  signup_magic_link_url?: string;
  login_expiration_minutes?: number;
  signup_expiration_minutes?: number;
  login_template_id?: string;
  signup_template_id?: string;
  locale?: string;
}

export interface OTPSendOptions {
  expiration_minutes?: number;
  locale?: string;
}

export interface OTPEmailSendOptions extends OTPSendOptions {
  login_template_id?: string;
  signup_template_id?: string;
}

export interface UserUpdateOptions {
  name?: Name;
  untrusted_metadata?: Record<string, unknown>;
}

export interface UserUpdateResponse extends ResponseCommon {
  user_id: string;
  emails: Email[];
  phone_numbers: PhoneNumber[];
  crypto_wallets: CryptoWallet[];
}

export interface UserFactorDeleteResponse extends ResponseCommon {
  user_id: string;
}

export interface StrengthCheckResponse extends ResponseCommon {
  valid_password: boolean;
  score: number;
  breached_password: boolean;
  strength_policy: 'luds' | 'zxcvbn';
  breach_detection_on_create: boolean;
  feedback: {
    warning: string;
    suggestions: string[];
    luds_requirements?: {
      has_lower_case: boolean;
      has_upper_case: boolean;
      has_digit: boolean;
      has_symbol: boolean;
      missing_complexity: number;
      missing_characters: number;
    };
  };
}

export interface TOTPCreateResponse extends ResponseCommon {
  totp_id: string;
  secret: string;
  qr_code: string;
  recovery_codes: string[];
  user_id: string;
}

export interface TOTPRecoveryCodesResponse extends ResponseCommon {
  user_id: string;
  totps: { totp_id: string; verified: boolean; recovery_codes: string[] }[];
}

/** The project flags the SDK reads from `GET /projects/bootstrap/{public_token}`. */
export interface Bootstrap {
  pkce_required_for_email_magic_links?: boolean;
  pkce_required_for_password_resets?: boolean;
  pkce_required_for_oauth?: boolean;
  /** `cryptoWallets.authenticateStart` asks for a Sign-In with Ethereum challenge for Ethereum wallets. */
  siwe_required_for_crypto_wallets?: boolean;
  /** When non-null, OAuth starts on `https://{cname_domain}` instead of `baseUrl`. */
  cname_domain?: string | null;
  [key: string]: unknown;
}

/** The OAuth providers, each with a `client.oauth.<provider>.start()` (the values of Stytch's `OAuthProviders` enum). */
export type OAuthProviders =
  | 'google'
  | 'apple'
  | 'microsoft'
  | 'github'
  | 'gitlab'
  | 'facebook'
  | 'discord'
  | 'salesforce'
  | 'slack'
  | 'amazon'
  | 'bitbucket'
  | 'linkedin'
  | 'coinbase'
  | 'twitch'
  | 'twitter'
  | 'tiktok'
  | 'snapchat'
  | 'figma'
  | 'yahoo';

/** Options of `oauth.<provider>.start()` (Stytch's `OAuthGetURLOptions`); each one given becomes a query parameter. */
export interface OAuthGetURLOptions {
  /** Where an existing user lands (`?stytch_token_type=oauth&token=…`); the project's default when absent. */
  login_redirect_url?: string;
  /** Where a new user lands; the project's default when absent. */
  signup_redirect_url?: string;
  /** Scopes asked for beside the defaults (sent space-joined as `custom_scopes`). */
  custom_scopes?: string[];
  /** Passed to the provider's authorize URL: each entry is sent as `provider_<key>=<value>`. */
  provider_params?: Record<string, string>;
  /** From `oauth.attach(provider)`: log into the current user instead of signing up. */
  oauth_attach_token?: string;
}

/** The provider's tokens from an OAuth login (`""` when the provider gave none). */
export interface ProviderValues {
  access_token: string;
  refresh_token: string;
  id_token: string;
  scopes: string[];
  /** RFC 3339, when the provider said when the access token expires. */
  expires_at?: string;
}

/**
 * `oauth.authenticate`'s answer. The server sends the session as `user_session` (the key of
 * Stytch's backend answer); the SDK also puts it under `session`, so both are there.
 */
export interface OAuthAuthenticateResponse extends AuthenticateResponse {
  user_session: Session;
  provider_subject: string;
  provider_type: string;
  provider_values: ProviderValues;
  profile_picture_url?: string;
  locale?: string;
  oauth_user_registration_id?: string;
  reset_sessions?: boolean;
}

export interface OAuthAttachResponse extends ResponseCommon {
  oauth_attach_token: string;
}

export type ImpersonationAuthenticateOptions = {
  /** The token of the `?stytch_token_type=impersonation&token=…` link. */
  impersonation_token: string;
};

/** The impersonated user's session (fixed by the server at 60 minutes). */
export type ImpersonationAuthenticateResponse = AuthenticateResponse;

/** Options of `webauthn.register` (the names and shape of Stytch's). */
export interface WebAuthnRegisterStartOptions {
  /** The relying-party id: the page's host name by default; one of the project's WebAuthn domains. */
  domain?: string;
  /** `platform` (built into the device) or `cross-platform` (a security key); both when absent. */
  authenticator_type?: 'platform' | 'cross-platform';
  /** Passkey options: a discoverable (resident) credential is required. */
  is_passkey?: boolean;
  /** The new session length of the session the factor joins; unchanged when absent. */
  session_duration_minutes?: number;
  /** The WebAuthn `user.id` (user handle); the user's id by default. */
  override_id?: string;
  /** The WebAuthn `user.name`; the user's email or phone number by default. */
  override_name?: string;
  /** The WebAuthn `user.displayName`; the user's name by default. */
  override_display_name?: string;
  /** Accepted for compatibility: Tessera's binary fields are always base64url. */
  use_base64_url_encoding?: boolean;
}

/** Options of `webauthn.authenticate` (the names and shape of Stytch's). */
export interface WebAuthnAuthenticateStartOptions {
  /** The relying-party id: the page's host name by default. */
  domain?: string;
  session_duration_minutes: number;
  /** Passkey options (user verification preferred). */
  is_passkey?: boolean;
  /**
   * Autofill: `navigator.credentials.get({mediation: 'conditional'})`, which settles when the
   * user picks a passkey from an `<input autocomplete="… webauthn">`'s suggestions. The call
   * answers `null` at once when the browser cannot (see `browserSupportsAutofill`) or when the
   * page has no such input (unless `disable_input_check`).
   */
  conditional_mediation?: boolean;
  /** Ends the browser's request (e.g. a pending conditional one when the login form goes away). */
  signal?: AbortSignal;
  /** Skip the look for an `<input autocomplete="… webauthn">` (e.g. one inside a shadow root). */
  disable_input_check?: boolean;
}

/** A passkey registration or login: the session, and the registration used or made. */
export interface WebAuthnAuthenticateResponse extends AuthenticateResponse {
  webauthn_registration_id: string;
}

export type WebAuthnRegisterResponse = WebAuthnAuthenticateResponse;

export interface WebAuthnUpdateOptions {
  webauthn_registration_id: string;
  /** The new display name. */
  name: string;
}

export interface WebAuthnUpdateResponse extends ResponseCommon {
  webauthn_registration: WebAuthnRegistration;
}

/** Sign-In with Ethereum (EIP-4361) parameters of `cryptoWallets.authenticateStart`. */
export interface SIWEParams {
  /** The URI the signature is for: the page's origin by default (its host is the SIWE domain). */
  uri?: string;
  /** EIP-155 chain id, `"1"` by default. */
  chain_id?: string;
  /** RFC 3339; now by default. */
  issued_at?: string;
  /** One line shown to the user. */
  statement?: string;
  /** RFC 3339: not valid before. */
  not_before?: string;
  message_request_id?: string;
  /** URIs the user agrees to. */
  resources?: string[];
}

export interface CryptoWalletAuthenticateStartOptions {
  /** `0x…` (Ethereum) or base58 (Solana). */
  crypto_wallet_address: string;
  /** `ethereum` or `solana`. */
  crypto_wallet_type: string;
  /** Ethereum only: ask for a Sign-In with Ethereum message instead of the plain challenge. */
  siwe_params?: SIWEParams;
}

export interface CryptoWalletAuthenticateStartResponse extends ResponseCommon {
  /** The message for the wallet to sign. */
  challenge: string;
}

export type CryptoWalletAuthenticateOptions = SessionDurationOptions & {
  crypto_wallet_address: string;
  crypto_wallet_type: string;
  /** Ethereum: the `personal_sign` signature (`0x` hex, 65 bytes); Solana: base58 of the ed25519 signature. */
  signature: string;
};

export type CryptoWalletAuthenticateResponse = AuthenticateResponse;

export interface CookieOptions {
  /** Name of the opaque session token cookie (`stytch_session`). */
  opaqueTokenCookieName?: string;
  /** Name of the session JWT cookie (`stytch_session_jwt`). */
  jwtCookieName?: string;
  /** Cookie path (`/`). */
  path?: string;
  /** Cookie domain, used only with `availableToSubdomains` (default: the page's host). */
  domain?: string;
  /** Write `Domain=` so subdomains see the cookies. */
  availableToSubdomains?: boolean;
}

export interface TesseraClientOptions {
  /** Where Tessera runs, e.g. `https://auth.example.com` or `http://localhost:8080`: used verbatim. */
  baseUrl: string;
  cookieOptions?: CookieOptions;
  /** Where readable tokens live: JS cookies (default, readable by your server) or `localStorage`. */
  storage?: 'cookies' | 'localStorage';
  /** Background refreshes extend the session by the last `session_duration_minutes` used. */
  keepSessionAlive?: boolean;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /** Background refresh period (180 000 ms). */
  refreshIntervalMs?: number;
}
