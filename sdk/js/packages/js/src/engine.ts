/** The engine shared by every client of one public token in a window: state, tokens, network, [auth] handling, refresh, tabs. */
import { createBootstrap } from './bootstrap';
import { isUnrecoverable, serverCallError } from './errors';
import { createRequest, type Request } from './network';
import { createRefresher } from './refresh';
import { createDataLayer, type DataLayer, type State } from './state';
import { lsGet, lsSet, parseJSON, stateKey } from './storage';
import { openChannel, onStorage, requestLeadership } from './tabs';
import { cookieStore, localStorageStore, type TokenStore } from './tokens';
import type { AuthenticateResponse, Bootstrap, TesseraClientOptions, User } from './types';

/** The body of an [auth] call: anything, with an optional session duration. */
export type AuthBody = { session_duration_minutes?: number } & { [key: string]: unknown };

export interface Engine {
  pt: string;
  /** `baseUrl` without trailing slashes (API calls go to `{base}/sdk/v1`). */
  base: string;
  browser: boolean;
  layer: DataLayer;
  tokens: TokenStore;
  request: Request;
  bootstrap(): Promise<Bootstrap>;
  /** `POST /sessions/authenticate`; a stale answer is discarded and the request re-sent (in the background: dropped). */
  refresh(body: { session_duration_minutes?: number }, background?: boolean): Promise<AuthenticateResponse | undefined>;
  /**
   * An [auth] call other than the refresh: POST, apply the answer, return it without `__user`.
   * An answer carrying its session as `user_session` (OAuth) gets it under `session` too.
   */
  auth<T extends AuthenticateResponse>(path: string, body: AuthBody): Promise<T>;
  /** A call whose answer carries `__user`, which becomes the stored user. */
  withUser<T>(method: string, path: string, body?: object): Promise<T>;
  /** Store `user` unless the session changed since generation `gen`. */
  setUser(gen: number, user: User): void;
  /** `session.updateSession`: write tokens only. */
  setTokens(sessionToken: string, sessionJwt?: string): void;
  /** Logout: delete tokens, state `null`, persist, broadcast, notify. */
  clear(): void;
  refs: number;
  release(): void;
}

/** Drop `__user`, `request_id` and `status_code` from an answer or a user object. */
export const strip = <T>(o: T): T => {
  const { __user, request_id, status_code, ...rest } = o as Record<string, unknown>;
  return rest as T;
};

/** Drop only `__user` from an answer (callers still see `request_id` / `status_code`). */
const omitUser = <T>(o: T): T => {
  const { __user, ...rest } = o as Record<string, unknown>;
  return rest as T;
};

const NO_TOKENS: TokenStore = { read: () => ({}), write() {}, clear() {} };

const REGISTRY = Symbol.for('tessera.dataLayers');

/** The engine for `pt` in this window (created on first use; only the first options take effect). */
export const getEngine = (pt: string, options: TesseraClientOptions): Engine => {
  const g = globalThis as { [REGISTRY]?: Map<string, Engine> };
  const registry = (g[REGISTRY] ??= new Map());
  let e = registry.get(pt);
  if (!e) registry.set(pt, (e = createEngine(pt, options, () => registry.get(pt) === e && registry.delete(pt))));
  e.refs++;
  return e;
};

const createEngine = (pt: string, o: TesseraClientOptions, unregister: () => void): Engine => {
  const browser = typeof window !== 'undefined' && typeof document !== 'undefined';
  const key = stateKey(pt);
  const tokens = !browser ? NO_TOKENS : o.storage === 'localStorage' ? localStorageStore(pt) : cookieStore(o.cookieOptions);
  const layer = createDataLayer(browser ? parseJSON<State>(lsGet(key)) : null, browser);
  const base = o.baseUrl.replace(/\/+$/, '');
  const request: Request = browser
    ? createRequest({ publicToken: pt, baseUrl: base, fetch: o.fetch, secret: () => tokens.read().session_token })
    : () => Promise.reject(serverCallError());
  let leader = false;
  let duration: number | undefined;
  // Requests are numbered as they are sent; `applied` is the number of the newest answer applied.
  // Answers can arrive out of order (a refresh sent before an extension, answered after it): an
  // answer older than one already applied is about a past state of the session and is dropped.
  let sent = 0;
  let applied = 0;
  let channel: ReturnType<typeof openChannel>;
  const cleanups: (() => void)[] = [];

  const refresher = createRefresher({
    intervalMs: o.refreshIntervalMs ?? 180_000,
    run: () => e.refresh(o.keepSessionAlive && duration ? { session_duration_minutes: duration } : {}, true),
    hasSession: () => !!layer.state?.session,
    isLeader: () => leader,
    confirmed: () => !layer.fromCache,
    lastUpdate: () => layer.updatedAt,
  });

  /** Apply a state change; local ones are persisted and broadcast to the other tabs. */
  const apply = (patch: State, external?: boolean, minutes?: number) => {
    const notified = layer.update(patch);
    if (!layer.state) duration = undefined;
    else if (notified && minutes) duration = minutes;
    if (!external && browser) {
      lsSet(key, JSON.stringify(layer.state));
      channel?.post(layer.state);
    }
    refresher.plan();
  };

  /** Apply an [auth] answer: tokens (or HttpOnly mode when either is empty), then `{session, user}`. */
  const applyAuth = (r: AuthenticateResponse, minutes?: number) => {
    if (r.session_token && r.session_jwt) tokens.write(r.session_token, r.session_jwt, r.session?.expires_at);
    else tokens.clear();
    apply({ session: r.session ?? null, user: r.user && strip(r.user) }, false, minutes);
  };

  const e: Engine = {
    pt,
    base,
    browser,
    layer,
    tokens,
    request,
    bootstrap: createBootstrap(pt, request),
    async refresh(body, background) {
      for (;;) {
        const gen = layer.gen;
        const mine = ++sent;
        try {
          const r = await request<AuthenticateResponse>('POST', '/sessions/authenticate', body);
          if (gen === layer.gen) {
            if (mine > applied) {
              applied = mine;
              applyAuth(r, body.session_duration_minutes);
            }
            return omitUser(r);
          }
        } catch (err) {
          if (gen === layer.gen) {
            if (isUnrecoverable(err) && mine > applied) e.clear();
            throw err;
          }
        }
        if (background) return undefined;
      }
    },
    async auth<T extends AuthenticateResponse>(path: string, body: AuthBody) {
      const gen = layer.gen;
      const mine = ++sent;
      const before = layer.state?.session?.session_id;
      const r = await request<T & { user_session?: T['session'] }>('POST', path, body);
      if (r.user_session) r.session ??= r.user_session;
      // A stale answer about the session we had when sending (it has changed since, or a newer
      // answer about it is applied) is not applied; a new session always is.
      const fresh = gen === layer.gen && mine > applied;
      if (fresh || r.session?.session_id !== before) {
        applied = Math.max(applied, mine);
        applyAuth(r, body.session_duration_minutes);
      }
      return omitUser(r);
    },
    async withUser<T>(method: string, path: string, body?: object) {
      const gen = layer.gen;
      const r = await request<T & { __user: User }>(method, path, body);
      e.setUser(gen, r.__user);
      return omitUser(r) as T;
    },
    setUser(gen, user) {
      if (gen === layer.gen && user) apply({ user: strip(user) });
    },
    setTokens(sessionToken, sessionJwt) {
      if (!browser) throw serverCallError();
      layer.gen++;
      tokens.write(sessionToken, sessionJwt);
    },
    clear() {
      tokens.clear();
      apply(null);
    },
    refs: 0,
    release() {
      if (--e.refs > 0) return;
      refresher.stop();
      channel?.close();
      channel = undefined;
      cleanups.forEach((f) => f());
      unregister();
    },
  };

  if (browser) {
    // Other tabs' updates: applied as external (not persisted, not re-broadcast).
    channel = openChannel('tessera:' + pt, (s) => apply(s as State, true));
    // The storage event (also written by Stytch's SDK): apply what storage holds now.
    cleanups.push(onStorage(key, () => apply(parseJSON<State>(lsGet(key)), true)));
    cleanups.push(requestLeadership('tessera-refresh:' + pt, () => ((leader = true), refresher.plan())));
    // One immediate refresh: an HttpOnly cookie may exist even without readable tokens.
    refresher.start();
  }
  return e;
};
