/** Entry `@tessera/js`: the full client (core + passwords + TOTP). */
export { TesseraClient } from './client';
export { TesseraCoreClient } from './core-client';
export * from './shared';
export type { PasswordsClient, PasswordResetByEmailStartOptions } from './factors/passwords';
export type { TOTPsClient } from './factors/totps';
