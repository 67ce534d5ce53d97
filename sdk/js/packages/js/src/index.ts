/** Entry `@tessera/js`: the full client (core + passwords + TOTP + OAuth + impersonation + WebAuthn + crypto wallets). */
export { TesseraClient } from './client';
export { TesseraCoreClient } from './core-client';
export * from './shared';
export type { PasswordsClient, PasswordResetByEmailStartOptions } from './factors/passwords';
export type { TOTPsClient } from './factors/totps';
export type { OAuthClient, OAuthProviderClient } from './factors/oauth';
export type { ImpersonationClient } from './factors/impersonation';
export type { WebAuthnClient } from './factors/webauthn';
export type { CryptoWalletsClient } from './factors/crypto_wallets';
