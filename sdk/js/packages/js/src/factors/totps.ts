/** `client.totps`: authenticator apps for the logged-in user, and their recovery codes. */
import type { Engine } from '../engine';
import type { FactorAuthenticateResponse, SessionDurationOptions, TOTPCreateResponse, TOTPRecoveryCodesResponse } from '../types';

export const createTOTPsClient = (e: Engine) => ({
  /** Enrol: returns the secret, QR code and recovery codes (stores the updated user). */
  create: (o: { expiration_minutes?: number } = {}) => e.withUser<TOTPCreateResponse>('POST', '/totps', o),
  authenticate: (o: { totp_code: string } & SessionDurationOptions) =>
    e.auth<FactorAuthenticateResponse>('/totps/authenticate', o),
  /** Every registration's unused recovery codes (`POST` with no body). */
  recoveryCodes: () => e.request<TOTPRecoveryCodesResponse>('POST', '/totps/recovery_codes'),
  recover: (o: { recovery_code: string } & SessionDurationOptions) =>
    e.auth<FactorAuthenticateResponse>('/totps/recover', o),
});

export type TOTPsClient = ReturnType<typeof createTOTPsClient>;
