/**
 * Entry `@tessera/js/ui`: the prebuilt, framework-free login UI (Stytch's `mountLogin`,
 * `mountPasswordReset`, `mountPasskeyRegistration`), styled by CSS variables, in English and French.
 */
export { mountLogin, type LoginConfig, type LoginOptions, type LoginProduct } from './login';
export { mountPasswordReset, mountPasskeyRegistration, type PasswordResetOptions, type PasskeyRegistrationOptions } from './reset';
export { MESSAGES, messages, type Messages, type MessageKey, type Locale } from './messages';
export { CSS, type UIStyles } from './theme';
export type { Mounted, UICallbacks, UIEvent, ViewOptions } from './view';
