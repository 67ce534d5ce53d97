/** Entry `@tessera/js/core`: the headless core client (no passwords, no TOTP). */
export { TesseraCoreClient } from './core-client';
export * from './shared';
