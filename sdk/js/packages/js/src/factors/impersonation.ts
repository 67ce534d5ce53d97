/** `client.impersonation`: log in as a user with a dashboard impersonation link. */
import type { Engine } from '../engine';
import type { ImpersonationAuthenticateOptions, ImpersonationAuthenticateResponse } from '../types';

export const createImpersonationClient = (e: Engine) => ({
  /**
   * Authenticate the token of a `?stytch_token_type=impersonation&token=…` link. The session's
   * length is fixed by the server (60 minutes): no `session_duration_minutes`.
   */
  authenticate: (o: ImpersonationAuthenticateOptions) =>
    e.auth<ImpersonationAuthenticateResponse>('/impersonation/authenticate', o),
});

export type ImpersonationClient = ReturnType<typeof createImpersonationClient>;
