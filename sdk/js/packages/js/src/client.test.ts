// The session state machine end to end against the fake server: startup, refresh schedule, backoff, notify rules, stale answers, revoke, HttpOnly mode, hydration.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, createFakeServer, html, makeSession, makeUser, ok, PT, type FakeServer } from '../test/fake-server';
import { cacheState, newClient, settle, storedState } from '../test/helpers';
import { TesseraAPIError, TesseraAPIUnreachableError } from './errors';

let server: FakeServer;
const REFRESH = 'POST /sessions/authenticate';

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0.5); // jitter 0
  server = createFakeServer();
});

const loggedIn = (token = 'tok-1') => {
  server.addSession(token);
  cacheState({ session: makeSession(), user: makeUser() });
  document.cookie = `stytch_session=${token}; path=/`;
};

describe('startup', () => {
  it('refreshes once at construction and applies a 200 (fromCache → false, notifies)', async () => {
    loggedIn();
    const c = newClient(server);
    expect(c.session.getInfo()).toMatchObject({ fromCache: true, session: { session_id: 'session-test-1' } });
    const seen: unknown[] = [];
    c.onStateChange((s) => seen.push(s));
    await settle();
    const [req] = server.calls(REFRESH);
    expect(server.requests).toHaveLength(1);
    expect(req.body).toEqual({});
    expect([req.user, req.secret]).toEqual([PT, 'tok-1']);
    expect(req.headers['Content-Type']).toBe('application/json');
    expect(req.headers['X-SDK-Parent-Host']).toBe(location.origin);
    expect(req.credentials).toBe('include');
    expect(c.session.getInfo().fromCache).toBe(false);
    expect(seen).toHaveLength(1); // first update since load always notifies
    expect(c.session.getTokens()).toEqual({ session_token: 'tok-1', session_jwt: 'jwt-1' });
    expect(storedState().session.session_id).toBe('session-test-1');
    expect(storedState().user.__user).toBeUndefined();
  });

  it('asks even with no cookie and no cache (an HttpOnly cookie may exist), with Basic pt:pt', async () => {
    const c = newClient(server);
    await settle();
    const [req] = server.calls(REFRESH);
    expect([req.user, req.secret]).toEqual([PT, PT]);
    expect(c.session.getInfo()).toEqual({ session: null, fromCache: false });
    expect(localStorage.getItem(`stytch_sdk_state_${PT}`)).toBe('null');
  });

  it('clears a cached session on an unrecoverable error and notifies', async () => {
    cacheState({ session: makeSession(), user: makeUser() });
    document.cookie = 'stytch_session=revoked; path=/';
    document.cookie = 'stytch_session_jwt=old; path=/';
    const c = newClient(server);
    const changes: unknown[] = [];
    c.session.onChange((s) => changes.push(s));
    await settle();
    expect(changes).toEqual([null]);
    expect(c.session.getInfo()).toEqual({ session: null, fromCache: false });
    expect(document.cookie).not.toMatch(/stytch_session/);
    expect(localStorage.getItem(`stytch_sdk_state_${PT}`)).toBe('null');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(server.calls(REFRESH)).toHaveLength(1); // no timer after logout
  });

  it('keeps the cached state on 5xx and retries with backoff 4 s, 8 s, 16 s … until an answer', async () => {
    loggedIn();
    server.once(REFRESH, () => html(502), () => apiError(500, 'internal_server_error'), () => {
      throw new TypeError('Failed to fetch');
    });
    const c = newClient(server);
    const seen: unknown[] = [];
    c.onStateChange((s) => seen.push(s));
    await settle();
    expect(server.calls(REFRESH)).toHaveLength(1);
    expect(c.session.getInfo()).toMatchObject({ fromCache: true, session: { session_id: 'session-test-1' } });
    expect(document.cookie).toMatch(/stytch_session=tok-1/);
    await vi.advanceTimersByTimeAsync(3_999);
    expect(server.calls(REFRESH)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls(REFRESH)).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(7_999);
    expect(server.calls(REFRESH)).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls(REFRESH)).toHaveLength(3);
    expect(c.session.getInfo().fromCache).toBe(true);
    expect(seen).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(16_000); // 4th attempt succeeds
    expect(server.calls(REFRESH)).toHaveLength(4);
    expect(c.session.getInfo().fromCache).toBe(false);
    expect(seen).toHaveLength(1);
  });
});

describe('background refresh', () => {
  it('runs every 3 minutes from the last update, with {} unless keepSessionAlive', async () => {
    loggedIn();
    newClient(server);
    await settle();
    await vi.advanceTimersByTimeAsync(179_999);
    expect(server.calls(REFRESH)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls(REFRESH)).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(180_000);
    expect(server.calls(REFRESH)).toHaveLength(3);
    expect(server.calls(REFRESH).map((r) => r.body)).toEqual([{}, {}, {}]);
  });

  it('a login restarts the 3-minute countdown', async () => {
    loggedIn();
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-1', { method_id: 'phone-1' })));
    const c = newClient(server);
    await settle();
    await vi.advanceTimersByTimeAsync(100_000);
    await c.otps.authenticate('123456', 'phone-1', { session_duration_minutes: 30 });
    await vi.advanceTimersByTimeAsync(179_999);
    expect(server.calls(REFRESH)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.calls(REFRESH)).toHaveLength(2);
  });

  it('keepSessionAlive sends the last duration that changed state', async () => {
    loggedIn();
    const c = newClient(server, { keepSessionAlive: true });
    await settle();
    await c.session.authenticate({ session_duration_minutes: 60 });
    await vi.advanceTimersByTimeAsync(180_000);
    expect(server.calls(REFRESH).map((r) => r.body)).toEqual([{}, { session_duration_minutes: 60 }, { session_duration_minutes: 60 }]);
  });

  it('backs off on recoverable refresh errors and clears on an unrecoverable one', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    server.once(REFRESH, () => apiError(503, 'service_unavailable'), () => apiError(404, 'session_not_found'));
    await vi.advanceTimersByTimeAsync(180_000);
    expect(c.session.getSync()).not.toBeNull();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(server.calls(REFRESH)).toHaveLength(3);
    expect(c.session.getSync()).toBeNull();
    expect(c.session.getTokens()).toBeNull();
  });
});

describe('notifications', () => {
  it('skip refreshes that only move last_accessed_at, and fire on real changes', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    const states: unknown[] = [];
    const sessions: unknown[] = [];
    const users: unknown[] = [];
    c.onStateChange((s) => states.push(s));
    c.session.onChange((s) => sessions.push(s));
    c.user.onChange((u) => users.push(u));
    const before = c.session.getSync()!;
    await vi.advanceTimersByTimeAsync(180_000);
    expect(server.calls(REFRESH)).toHaveLength(2);
    expect(states).toHaveLength(0);
    expect(c.session.getSync()!.last_accessed_at).not.toBe(before.last_accessed_at); // state still updated
    server.sessions.get('tok-1')!.session.custom_claims = { plan: 'pro' };
    await vi.advanceTimersByTimeAsync(180_000);
    expect(states).toHaveLength(1);
    expect(sessions).toHaveLength(1);
    expect((sessions[0] as { custom_claims: unknown }).custom_claims).toEqual({ plan: 'pro' });
    expect(users).toHaveLength(1); // a new user object came with the notification
  });

  it('onChange unsubscribe stops callbacks', async () => {
    loggedIn();
    const c = newClient(server);
    const cb = vi.fn();
    c.session.onChange(cb)();
    await settle();
    await c.session.revoke();
    expect(cb).not.toHaveBeenCalled();
  });
});

describe('stale answers', () => {
  it('drops a background refresh answer when the session changed meanwhile', async () => {
    loggedIn('tok-old');
    let release!: () => void;
    server.once(REFRESH, (req) => new Promise((r) => (release = () => r(ok(server.authAnswer(req.secret))))));
    server.addSession('tok-new', makeSession('session-test-2'));
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-new')));
    const c = newClient(server);
    await settle();
    await c.otps.authenticate('000000', 'phone-1', { session_duration_minutes: 5 });
    expect(c.session.getSync()!.session_id).toBe('session-test-2');
    release();
    await settle();
    expect(c.session.getSync()!.session_id).toBe('session-test-2');
    expect(c.session.getTokens()!.session_token).toBe('tok-new');
    expect(server.calls(REFRESH)).toHaveLength(1); // background: dropped, not re-sent
  });

  it('re-sends a manual session.authenticate whose answer became stale', async () => {
    loggedIn('tok-old');
    const c = newClient(server);
    await settle();
    let release!: () => void;
    server.once(REFRESH, () => new Promise((r) => (release = () => r(apiError(404, 'session_not_found')))));
    server.addSession('tok-new', makeSession('session-test-2'));
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-new')));
    const pending = c.session.authenticate();
    await settle();
    await c.otps.authenticate('000000', 'phone-1', { session_duration_minutes: 5 });
    release();
    const r = await pending;
    expect(r.session.session_id).toBe('session-test-2');
    const calls = server.calls(REFRESH);
    expect(calls.map((x) => x.secret)).toEqual(['tok-old', 'tok-old', 'tok-new']);
    expect(c.session.getSync()!.session_id).toBe('session-test-2'); // the stale 404 did not log out
  });

  it('an answer older than one already applied is dropped (a refresh overtaken by an extension)', async () => {
    loggedIn('tok-1');
    const c = newClient(server);
    await settle();
    const old = makeSession('session-test-1', { expires_at: '2099-01-01T00:00:00Z' });
    const extended = makeSession('session-test-1', { expires_at: '2099-06-01T00:00:00Z' });
    let releaseOld!: () => void;
    server.once(
      REFRESH,
      () => new Promise((r) => (releaseOld = () => r(ok({ ...server.authAnswer('tok-1'), session: old })))),
      () => ok({ ...server.authAnswer('tok-1'), session: extended }),
    );
    const background = c.session.authenticate(); // sent first, answered last
    await settle();
    await c.session.authenticate({ session_duration_minutes: 60 * 24 * 180 });
    expect(c.session.getSync()!.expires_at).toBe('2099-06-01T00:00:00Z');
    releaseOld();
    await background;
    expect(c.session.getSync()!.expires_at).toBe('2099-06-01T00:00:00Z');
  });

  it('a late unrecoverable startup answer does not undo a hydration', async () => {
    let releaseStartup!: () => void;
    let releaseHydrate!: () => void;
    server.addSession('tok-backend');
    server.once(
      REFRESH,
      () => new Promise((r) => (releaseStartup = () => r(apiError(401, 'unauthorized_credentials')))),
      (req) => new Promise((r) => (releaseHydrate = () => r(ok(server.authAnswer(req.secret))))),
    );
    const c = newClient(server);
    const states: unknown[] = [];
    c.onStateChange((s) => states.push(s));
    c.session.updateSession({ session_token: 'tok-backend', session_jwt: 'jwt-backend' });
    const hydrated = c.session.authenticate({ session_duration_minutes: 60 });
    await settle();
    releaseStartup(); // answers the pt:pt request sent before the tokens were replaced
    await settle();
    expect(states).toEqual([]);
    expect(c.session.getTokens()).toEqual({ session_token: 'tok-backend', session_jwt: 'jwt-backend' });
    releaseHydrate();
    await hydrated;
    expect(c.session.getSync()).not.toBeNull();
    expect(states).toHaveLength(1);
  });
});

describe('devices', () => {
  it('lists the user\'s sessions and logs out the others, with the session as the secret', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    const device = { session_id: 'session-test-1', current: true, browser: 'Chrome 131.0.0.0', device: 'pc' };
    server.once('GET /sessions', () => ok({ request_id: 'r', status_code: 200, sessions: [device] }));
    expect(await c.session.devices()).toEqual([device]);
    server.once('POST /sessions/revoke_others', () => ok({ request_id: 'r', status_code: 200, revoked: 2 }));
    expect(await c.session.revokeOthers()).toBe(2);
    const [list] = server.calls('GET /sessions');
    const [others] = server.calls('POST /sessions/revoke_others');
    expect([list.secret, others.secret]).toEqual(['tok-1', 'tok-1']);
    expect(c.session.getSync()?.session_id).toBe('session-test-1'); // this one stays
  });
});

describe('revoke', () => {
  it('clears everything on success', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    const changes: unknown[] = [];
    c.session.onChange((s) => changes.push(s));
    await c.session.revoke();
    const [req] = server.calls('POST /sessions/revoke');
    expect(req.body).toBeUndefined();
    expect(req.secret).toBe('tok-1');
    expect(changes).toEqual([null]);
    expect(document.cookie).not.toMatch(/stytch_session/);
    expect(localStorage.getItem(`stytch_sdk_state_${PT}`)).toBe('null');
  });

  it('keeps state on a recoverable failure, and rethrows', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    server.once('POST /sessions/revoke', () => html(500));
    await expect(c.session.revoke()).rejects.toBeInstanceOf(TesseraAPIUnreachableError);
    expect(c.session.getSync()).not.toBeNull();
    expect(c.session.getTokens()).not.toBeNull();
  });

  it('clears on failure with forceClear, and rethrows', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    server.once('POST /sessions/revoke', () => apiError(500, 'internal_server_error'));
    await expect(c.session.revoke({ forceClear: true })).rejects.toBeInstanceOf(TesseraAPIError);
    expect(c.session.getSync()).toBeNull();
    expect(c.session.getTokens()).toBeNull();
  });

  it('clears on an unrecoverable failure', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    server.sessions.clear();
    await expect(c.session.revoke()).rejects.toMatchObject({ error_type: 'session_not_found' });
    expect(c.session.getSync()).toBeNull();
  });
});

describe('tokens', () => {
  it('HttpOnly mode: empty tokens delete the readable cookies, later requests send pt:pt', async () => {
    loggedIn();
    document.cookie = 'stytch_session_jwt=old-jwt; path=/';
    server.on(REFRESH, (req) => ok({ ...server.authAnswer('tok-1'), session_token: '', session_jwt: '', _secret: req.secret }));
    const c = newClient(server);
    await settle();
    expect(c.session.getSync()).not.toBeNull();
    expect(document.cookie).not.toMatch(/stytch_session/);
    expect(c.session.getTokens()).toBeNull();
    await vi.advanceTimersByTimeAsync(180_000);
    const [first, second] = server.calls(REFRESH);
    expect(first.secret).toBe('tok-1');
    expect(second.secret).toBe(PT);
  });

  it('updateSession writes the tokens only; authenticate then loads the session', async () => {
    const c = newClient(server);
    await settle();
    server.addSession('tok-backend');
    const states: unknown[] = [];
    c.onStateChange((s) => states.push(s));
    c.session.updateSession({ session_token: 'tok-backend', session_jwt: 'jwt-backend' });
    expect(c.session.getSync()).toBeNull();
    expect(states).toHaveLength(0);
    expect(c.session.getTokens()).toEqual({ session_token: 'tok-backend', session_jwt: 'jwt-backend' });
    await c.session.authenticate({ session_duration_minutes: 60 });
    const last = server.calls(REFRESH).at(-1)!;
    expect([last.secret, last.body]).toEqual(['tok-backend', { session_duration_minutes: 60 }]);
    expect(c.user.getSync()?.user_id).toBe('user-test-1');
    expect(states).toHaveLength(1);
  });

  it('updateSession without a JWT writes no "undefined" cookie', async () => {
    const c = newClient(server);
    document.cookie = 'stytch_session_jwt=someone-elses; path=/';
    c.session.updateSession({ session_token: 'tok-x' });
    expect(document.cookie).toBe('stytch_session=tok-x');
    expect(c.session.getTokens()).toBeNull();
  });

  it('localStorage mode keeps tokens out of cookies', async () => {
    server.addSession('tok-ls');
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-ls')));
    const c = newClient(server, { storage: 'localStorage' });
    await settle();
    await c.otps.authenticate('1', 'm', { session_duration_minutes: 5 });
    expect(document.cookie).toBe('');
    expect(c.session.getTokens()).toEqual({ session_token: 'tok-ls', session_jwt: expect.stringMatching(/^jwt-/) });
    await c.user.get().catch(() => undefined);
    expect(server.requests.at(-1)!.secret).toBe('tok-ls');
  });

  it('writes cookies with the session expiry, SameSite=Lax and path=/ (no Secure on localhost)', async () => {
    const writes: string[] = [];
    const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')!;
    vi.spyOn(document, 'cookie', 'set').mockImplementation(function (this: Document, v: string) {
      writes.push(v);
      desc.set!.call(this, v);
    });
    server.addSession('tok-c', makeSession('s', { expires_at: '2031-02-03T04:05:06Z' }));
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-c')));
    const c = newClient(server);
    await settle();
    writes.length = 0;
    await c.otps.authenticate('1', 'm', { session_duration_minutes: 5 });
    expect(writes.filter((w) => !w.includes('1970'))).toEqual([
      'stytch_session=tok-c; path=/; expires=Mon, 03 Feb 2031 04:05:06 GMT; samesite=lax',
      expect.stringMatching(/^stytch_session_jwt=jwt-\d+; path=\/; expires=Mon, 03 Feb 2031 04:05:06 GMT; samesite=lax$/),
    ]);
  });
});

describe('user', () => {
  it('get stores the user without request_id/status_code; errors keep state', async () => {
    loggedIn();
    server.once('GET /users/me', () => ok({ ...makeUser(), name: { first_name: 'Grace' }, request_id: 'r', status_code: 200 }));
    const c = newClient(server);
    await settle();
    const u = await c.user.get();
    expect(u).not.toHaveProperty('request_id');
    expect(c.user.getSync()?.name.first_name).toBe('Grace');
    server.once('GET /users/me', () => apiError(401, 'unauthorized_credentials'));
    await expect(c.user.get()).rejects.toThrow();
    expect(c.user.getSync()).not.toBeNull();
    expect(c.session.getSync()).not.toBeNull();
  });

  it('update and deletes store __user and hit the right paths', async () => {
    loggedIn();
    const after = makeUser('user-test-1', { emails: [] });
    const answer = () => ok({ request_id: 'r', status_code: 200, user_id: 'user-test-1', __user: after });
    for (const kind of ['emails', 'phone_numbers', 'totps', 'oauth', 'webauthn_registrations', 'crypto_wallets', 'biometric_registrations']) {
      server.on(`DELETE /users/${kind}/id-1`, answer);
    }
    server.on('PUT /users/me', answer);
    const c = newClient(server);
    await settle();
    const r = await c.user.deleteEmail('id-1');
    expect(r).not.toHaveProperty('__user');
    expect(c.user.getSync()?.emails).toEqual([]);
    await c.user.deletePhoneNumber('id-1');
    await c.user.deleteTOTP('id-1');
    await c.user.deleteOAuthRegistration('id-1');
    await c.user.deleteWebauthnRegistration('id-1');
    await c.user.deleteCryptoWallet('id-1');
    await c.user.deleteBiometricRegistration('id-1');
    await c.user.update({ name: { first_name: 'A' }, untrusted_metadata: { k: 1 } });
    expect(server.requests.slice(1).map((r) => `${r.method} ${r.path}`)).toEqual([
      'DELETE /users/emails/id-1',
      'DELETE /users/phone_numbers/id-1',
      'DELETE /users/totps/id-1',
      'DELETE /users/oauth/id-1',
      'DELETE /users/webauthn_registrations/id-1',
      'DELETE /users/crypto_wallets/id-1',
      'DELETE /users/biometric_registrations/id-1',
      'PUT /users/me',
    ]);
    expect(server.requests.at(-1)!.body).toEqual({ name: { first_name: 'A' }, untrusted_metadata: { k: 1 } });
    expect(server.calls('DELETE /users/emails/id-1')[0].body).toBeUndefined();
  });
});

describe('shared data layer', () => {
  it('two clients for one token in a window share state and do one startup refresh', async () => {
    loggedIn();
    const a = newClient(server);
    const b = newClient(server);
    const seenByB = vi.fn();
    b.onStateChange(seenByB);
    await settle();
    expect(server.calls(REFRESH)).toHaveLength(1);
    expect(seenByB).toHaveBeenCalledTimes(1);
    await a.session.revoke();
    expect(b.session.getSync()).toBeNull();
    expect(seenByB).toHaveBeenCalledTimes(2);
    expect(seenByB).toHaveBeenLastCalledWith({});
  });
});
