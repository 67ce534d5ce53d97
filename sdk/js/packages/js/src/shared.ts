/** What both browser entries export besides their client class. */
export {
  TesseraAPIError,
  TesseraAPIUnreachableError,
  TesseraAPIError as StytchAPIError,
  TesseraAPIUnreachableError as StytchAPIUnreachableError,
  UNRECOVERABLE_ERROR_TYPES,
  isUnrecoverable,
} from './errors';
export { deepEqual } from './state';
export type * from './types';
export type { SessionClient } from './session';
export type { UserClient } from './user';
export type { MagicLinksClient } from './factors/magic-links';
export type { OTPsClient } from './factors/otps';
export type { ParsedAuthenticateUrl } from './url';
