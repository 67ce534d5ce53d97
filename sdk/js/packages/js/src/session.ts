/** `client.session`: the cached session, change subscription, refresh, revoke, manual hydration and tokens. */
import type { Engine } from './engine';
import { isUnrecoverable } from './errors';
import { watch } from './state';
import type {
  AuthenticateResponse,
  Device,
  DevicesResponse,
  ResponseCommon,
  RevokeOthersResponse,
  Session,
  SessionInfo,
  SessionTokens,
} from './types';

export const createSessionClient = (e: Engine) => ({
  /** The cached session, or `null` (no request; may be stale). */
  getSync: (): Session | null => e.layer.state?.session ?? null,
  /** The cached session and whether it is still unconfirmed (loaded from localStorage). */
  getInfo: (): SessionInfo => ({ session: e.layer.state?.session ?? null, fromCache: e.layer.fromCache }),
  /** Run `cb` whenever the session object changes; returns the unsubscribe. */
  onChange: (cb: (session: Session | null) => void): (() => void) => watch(e.layer, (s) => s?.session, cb),
  /** `POST /sessions/authenticate`: refresh (or extend, with a duration) the session. */
  authenticate: (options: { session_duration_minutes?: number } = {}) =>
    e.refresh({ session_duration_minutes: options.session_duration_minutes }) as Promise<AuthenticateResponse>,
  /** `POST /sessions/revoke`; clears locally on success, on an unrecoverable error, or with `forceClear`. */
  async revoke(options: { forceClear?: boolean } = {}): Promise<ResponseCommon> {
    try {
      const r = await e.request<ResponseCommon>('POST', '/sessions/revoke');
      e.clear();
      return r;
    } catch (err) {
      if (options.forceClear || isUnrecoverable(err)) e.clear();
      throw err;
    }
  },
  /** `GET /sessions` (Tessera): the user's live sessions, newest first, each a readable device (`current` marks this one). */
  devices: async (): Promise<Device[]> => (await e.request<DevicesResponse>('GET', '/sessions')).sessions,
  /** `POST /sessions/revoke_others` (Tessera): logs out every other session of the user; resolves to how many ended. */
  revokeOthers: async (): Promise<number> =>
    (await e.request<RevokeOthersResponse>('POST', '/sessions/revoke_others')).revoked,
  /** Store tokens minted by your backend; then call `authenticate()` to load the session. */
  updateSession: (tokens: { session_token: string; session_jwt?: string }): void =>
    e.setTokens(tokens.session_token, tokens.session_jwt),
  /** Both readable tokens, or `null` (logged out, or HttpOnly mode). */
  getTokens(): SessionTokens | null {
    const { session_token, session_jwt } = e.tokens.read();
    return session_token && session_jwt ? { session_token, session_jwt } : null;
  },
});

export type SessionClient = ReturnType<typeof createSessionClient>;
