/** `client.passwords`: create, log in, the three resets (email with optional PKCE, existing password, session) and strength checks. */
import type { Engine } from '../engine';
import { dropPKCEPair, getPKCEPair, pkceChallenge } from '../pkce';
import type { FactorAuthenticateResponse, ResponseCommon, SessionDurationOptions, StrengthCheckResponse } from '../types';

export interface PasswordResetByEmailStartOptions {
  email: string;
  login_redirect_url?: string;
  reset_password_redirect_url?: string;
  reset_password_expiration_minutes?: number;
  reset_password_template_id?: string;
  locale?: string;
}

export const createPasswordsClient = (e: Engine) => ({
  /** `POST /passwords`: a new user with a password, logged in. */
  create: (o: { email: string; password: string } & SessionDurationOptions) =>
    e.auth<FactorAuthenticateResponse>('/passwords', o),
  authenticate: (o: { email: string; password: string } & SessionDurationOptions) =>
    e.auth<FactorAuthenticateResponse>('/passwords/authenticate', o),
  /** Email a reset link; with the project's PKCE flag on, a `passwords` pair is created here. */
  async resetByEmailStart(o: PasswordResetByEmailStartOptions): Promise<ResponseCommon> {
    const code_challenge = (await e.bootstrap()).pkce_required_for_password_resets
      ? await pkceChallenge(e.pt, 'passwords')
      : undefined;
    return e.request('POST', '/passwords/email/reset/start', { ...o, code_challenge });
  },
  /** Complete a reset with the link's token (sends the stored verifier, deleted on success). */
  async resetByEmail(o: { token: string; password: string } & SessionDurationOptions) {
    const r = await e.auth<FactorAuthenticateResponse>('/passwords/email/reset', {
      ...o,
      code_verifier: getPKCEPair(e.pt, 'passwords')?.code_verifier,
    });
    dropPKCEPair(e.pt, 'passwords');
    return r;
  },
  resetByExistingPassword: (
    o: { email: string; existing_password: string; new_password: string } & SessionDurationOptions,
  ) => e.auth<FactorAuthenticateResponse>('/passwords/existing_password/reset', o),
  /** Set a new password for the logged-in user. */
  resetBySession: (o: { password: string; session_duration_minutes?: number }) =>
    e.auth<FactorAuthenticateResponse>('/passwords/session/reset', o),
  strengthCheck: (o: { email?: string; password: string }) =>
    e.request<StrengthCheckResponse>('POST', '/passwords/strength_check', o),
});

export type PasswordsClient = ReturnType<typeof createPasswordsClient>;
