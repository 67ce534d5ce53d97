// OAuth (start URL, PKCE, cname_domain, authenticate with `user_session`, attach), impersonation, and authenticateByUrl for both.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { BASE, createFakeServer, makeSession, makeUser, ok, PT, type FakeServer } from '../test/fake-server';
import { cacheState, newClient, storedState } from '../test/helpers';
import type { TesseraClient } from './client';
import { TesseraCoreClient } from './core-client';
import { createPKCEPair } from './pkce';

let server: FakeServer;
const BOOT = `GET /projects/bootstrap/${PT}`;
const bootstrap = (flags: Record<string, unknown>) =>
  ok({ request_id: 'r', status_code: 200, vertical: 'CONSUMER', cname_domain: null, ...flags });
const pairKey = (ns: string) => `stytch_sdk_state_${PT}::PKCE_VERIFIER:${ns}`;
const storedPair = (ns = 'oauth') => JSON.parse(localStorage.getItem(pairKey(ns)) ?? 'null');
const sha256url = (s: string) => createHash('sha256').update(s).digest('base64url');
const url = (u: URL) => u.toString();

/** Capture `start`'s navigations instead of leaving the page. */
const navigations = (c: TesseraClient) => {
  const urls: URL[] = [];
  vi.spyOn(c.oauth, 'navigate').mockImplementation((u) => void urls.push(u));
  return urls;
};

const PROVIDERS = [
  'google',
  'apple',
  'microsoft',
  'github',
  'gitlab',
  'facebook',
  'discord',
  'salesforce',
  'slack',
  'amazon',
  'bitbucket',
  'linkedin',
  'coinbase',
  'twitch',
  'twitter',
  'tiktok',
  'snapchat',
  'figma',
  'yahoo',
] as const;

beforeEach(() => {
  vi.useFakeTimers();
  server = createFakeServer().addSession('tok-1');
  history.replaceState(null, '', '/');
});

describe('oauth.<provider>.start', () => {
  it('builds the start URL with every parameter, and a fresh PKCE pair when bootstrap asks', async () => {
    server.on(BOOT, () => bootstrap({ pkce_required_for_oauth: true }));
    const c = newClient(server);
    const urls = navigations(c);
    const magicLinkPair = await createPKCEPair();
    localStorage.setItem(pairKey('magic_links'), JSON.stringify(magicLinkPair));
    const result = await c.oauth.google.start({
      login_redirect_url: 'http://localhost:3000/authenticate?from=login',
      signup_redirect_url: 'http://localhost:3000/authenticate?from=signup',
      custom_scopes: ['https://www.googleapis.com/auth/gmail.compose', 'openid'],
      provider_params: { prompt: 'select_account', login_hint: 'ada@example.com' },
      oauth_attach_token: 'oauth-attach-token-test-1',
    });
    expect(result).toBeUndefined();
    expect(urls).toHaveLength(1);
    const url = urls[0];
    const pair = storedPair();
    expect(pair.code_verifier).toMatch(/^[0-9a-f]{128}$/);
    expect(url.origin + url.pathname).toBe(`${BASE}/v1/public/oauth/google/start`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      public_token: PT,
      code_challenge: sha256url(pair.code_verifier),
      custom_scopes: 'https://www.googleapis.com/auth/gmail.compose openid',
      provider_prompt: 'select_account',
      provider_login_hint: 'ada@example.com',
      login_redirect_url: 'http://localhost:3000/authenticate?from=login',
      signup_redirect_url: 'http://localhost:3000/authenticate?from=signup',
      oauth_attach_token: 'oauth-attach-token-test-1',
    });
    expect(url.search).toContain('custom_scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.compose+openid');
    // Every start makes a new pair (as Stytch does); the other namespaces are left alone.
    await c.oauth.google.start();
    expect(storedPair().code_verifier).not.toBe(pair.code_verifier);
    expect(urls[1].searchParams.get('code_challenge')).toBe(storedPair().code_challenge);
    expect(storedPair('magic_links')).toEqual(magicLinkPair);
    expect(server.calls(BOOT)).toHaveLength(1);
    expect(server.requests.filter((r) => r.path !== '/sessions/authenticate' && `${r.method} ${r.path}` !== BOOT)).toEqual([]);
  });

  it('sends no challenge and deletes a stored oauth pair when bootstrap does not ask for PKCE', async () => {
    server.on(BOOT, () => bootstrap({ pkce_required_for_oauth: false }));
    localStorage.setItem(pairKey('oauth'), JSON.stringify(await createPKCEPair()));
    const c = newClient(server);
    const urls = navigations(c);
    await c.oauth.github.start();
    expect(url(urls[0])).toBe(`${BASE}/v1/public/oauth/github/start?public_token=${PT}`);
    expect(localStorage.getItem(pairKey('oauth'))).toBeNull();
    await c.oauth.github.start({ login_redirect_url: '', custom_scopes: [], provider_params: {} });
    expect(urls[1].searchParams.has('login_redirect_url')).toBe(false); // empty values are left out
  });

  it('starts on https://{cname_domain} when bootstrap has one', async () => {
    server.on(BOOT, () => bootstrap({ cname_domain: 'login.example.com' }));
    const c = newClient(server);
    const urls = navigations(c);
    await c.oauth.microsoft.start({ login_redirect_url: 'https://app.example.com/cb' });
    expect(url(urls[0])).toBe(
      `https://login.example.com/v1/public/oauth/microsoft/start?public_token=${PT}&login_redirect_url=https%3A%2F%2Fapp.example.com%2Fcb`,
    );
  });

  it('uses baseUrl without its trailing slash', async () => {
    server.on(BOOT, () => bootstrap({}));
    const c = newClient(server, { baseUrl: BASE + '/' });
    const urls = navigations(c);
    await c.oauth.apple.start();
    expect(url(urls[0])).toBe(`${BASE}/v1/public/oauth/apple/start?public_token=${PT}`);
  });

  it('has a start for each of the 19 providers', async () => {
    server.on(BOOT, () => bootstrap({}));
    const c = newClient(server);
    const urls = navigations(c);
    for (const p of PROVIDERS) await c.oauth[p].start();
    expect(urls.map((u) => u.pathname)).toEqual(PROVIDERS.map((p) => `/v1/public/oauth/${p}/start`));
  });

  it('navigates the page by default (location.href)', () => {
    const c = newClient(server);
    const target = new URL(location.href);
    target.hash = 'oauth';
    c.oauth.navigate(target);
    expect(location.hash).toBe('#oauth');
  });
});

describe('oauth.authenticate', () => {
  it('applies user_session as the session, sends the verifier of the start and deletes the pair', async () => {
    server.on(BOOT, () => bootstrap({ pkce_required_for_oauth: true }));
    const c = newClient(server);
    const urls = navigations(c);
    await c.oauth.google.start({ login_redirect_url: 'http://localhost:3000/authenticate' });
    const pair = storedPair();
    server.issueToken('oauth', 'oauth-token-1', 'tok-1', urls[0].searchParams.get('code_challenge')!);
    const seen: unknown[] = [];
    c.session.onChange((s) => seen.push(s));
    const r = await c.oauth.authenticate('oauth-token-1', { session_duration_minutes: 60 });
    expect(server.calls('POST /oauth/authenticate')[0].body).toEqual({
      token: 'oauth-token-1',
      session_duration_minutes: 60,
      code_verifier: pair.code_verifier,
    });
    expect(localStorage.getItem(pairKey('oauth'))).toBeNull();
    expect(c.session.getSync()?.session_id).toBe('session-test-1');
    expect(c.session.getTokens()?.session_token).toBe('tok-1');
    expect(storedState().session.session_id).toBe('session-test-1');
    expect(seen).toHaveLength(1);
    expect(r).not.toHaveProperty('__user');
    expect(r.session).toEqual(r.user_session);
    expect(r.user_session.session_id).toBe('session-test-1');
    expect(r).toMatchObject({
      session_token: 'tok-1',
      provider_subject: 'google-sub-1',
      provider_type: 'Google',
      provider_values: { access_token: 'ya29.access', refresh_token: '', id_token: 'id.token.jwt', scopes: ['openid', 'email'] },
    });
  });

  it('sends no verifier without a stored pair, and keeps the pair when the call fails', async () => {
    const c = newClient(server);
    server.issueToken('oauth', 'oauth-token-2', 'tok-1');
    await c.oauth.authenticate('oauth-token-2', { session_duration_minutes: 5 });
    expect(server.calls('POST /oauth/authenticate')[0].body).toEqual({ token: 'oauth-token-2', session_duration_minutes: 5 });
    const pair = await createPKCEPair();
    localStorage.setItem(pairKey('oauth'), JSON.stringify(pair));
    await expect(c.oauth.authenticate('oauth-token-2', { session_duration_minutes: 5 })).rejects.toMatchObject({
      error_type: 'oauth_token_not_found',
    });
    expect(storedPair()).toEqual(pair);
  });

  it('an answer with both session and user_session keeps session', async () => {
    const other = makeSession('session-test-2');
    server.once('POST /oauth/authenticate', () => ok({ ...server.oauthAnswer('tok-1'), session: other }));
    const c = newClient(server);
    const r = await c.oauth.authenticate('t', { session_duration_minutes: 5 });
    expect(r.session.session_id).toBe('session-test-2');
    expect(c.session.getSync()?.session_id).toBe('session-test-2');
  });
});

describe('oauth.attach', () => {
  it('posts {provider} with the session and returns the attach token for start', async () => {
    server.on(BOOT, () => bootstrap({}));
    cacheState({ session: makeSession(), user: makeUser() });
    document.cookie = 'stytch_session=tok-1; path=/';
    const c = newClient(server);
    const urls = navigations(c);
    const r = await c.oauth.attach('google');
    expect(r).toEqual({ request_id: 'request-id-test', status_code: 200, oauth_attach_token: 'oauth-attach-token-test-1' });
    const [req] = server.calls('POST /oauth/attach');
    expect(req.body).toEqual({ provider: 'google' });
    expect(req.secret).toBe('tok-1');
    await c.oauth.google.start({ oauth_attach_token: r.oauth_attach_token });
    expect(urls[0].searchParams.get('oauth_attach_token')).toBe('oauth-attach-token-test-1');
  });
});

describe('impersonation.authenticate', () => {
  it('posts {impersonation_token} and applies the session', async () => {
    server.issueToken('impersonation', 'imp-token-1', 'tok-1');
    const c = newClient(server);
    const r = await c.impersonation.authenticate({ impersonation_token: 'imp-token-1' });
    expect(server.calls('POST /impersonation/authenticate')[0].body).toEqual({ impersonation_token: 'imp-token-1' });
    expect(r).not.toHaveProperty('__user');
    expect(r.session.session_id).toBe('session-test-1');
    expect(c.session.getSync()?.session_id).toBe('session-test-1');
    expect(c.session.getTokens()?.session_token).toBe('tok-1');
    await expect(c.impersonation.authenticate({ impersonation_token: 'imp-token-1' })).rejects.toMatchObject({
      error_type: 'impersonation_token_not_found',
    });
  });
});

describe('authenticateByUrl', () => {
  it('oauth: clears the parameters, then oauth.authenticate with the duration and the verifier', async () => {
    const pair = await createPKCEPair();
    localStorage.setItem(pairKey('oauth'), JSON.stringify(pair));
    server.issueToken('oauth', 'oauth-token-3', 'tok-1', pair.code_challenge);
    history.replaceState(null, '', '/cb?keep=1&stytch_token_type=oauth&token=oauth-token-3');
    const c = newClient(server);
    const pending = c.authenticateByUrl({ session_duration_minutes: 30 });
    expect(location.pathname + location.search).toBe('/cb?keep=1');
    const r = await pending;
    expect(r).toMatchObject({ handled: true, tokenType: 'oauth', data: { provider_type: 'Google', user_session: { session_id: 'session-test-1' } } });
    expect(server.calls('POST /oauth/authenticate')[0].body).toEqual({
      token: 'oauth-token-3',
      session_duration_minutes: 30,
      code_verifier: pair.code_verifier,
    });
    expect(c.session.getSync()?.session_id).toBe('session-test-1');
    expect(localStorage.getItem(pairKey('oauth'))).toBeNull();
  });

  it('impersonation: impersonation.authenticate, without the duration', async () => {
    server.issueToken('impersonation', 'imp-token-2', 'tok-1');
    const c = newClient(server);
    const r = await c.authenticateByUrl(
      { session_duration_minutes: 30 },
      'https://app.example.com/cb?stytch_token_type=impersonation&token=imp-token-2',
    );
    expect(r).toMatchObject({ handled: true, tokenType: 'impersonation', data: { session: { session_id: 'session-test-1' } } });
    expect(server.calls('POST /impersonation/authenticate')[0].body).toEqual({ impersonation_token: 'imp-token-2' });
    expect(c.session.getSync()).not.toBeNull();
  });

  it('the core client recognises both types but sends nothing and keeps the URL', async () => {
    history.replaceState(null, '', '/cb?stytch_token_type=oauth&token=t');
    const core = new TesseraCoreClient(PT, { baseUrl: BASE, fetch: server.fetch });
    try {
      expect(core.parseAuthenticateUrl()).toEqual({ handled: true, token: 't', tokenType: 'oauth' });
      for (const t of ['oauth', 'impersonation']) {
        await expect(core.authenticateByUrl({ session_duration_minutes: 5 }, `https://x/?token=t&stytch_token_type=${t}`)).rejects.toThrow(
          `TesseraCoreClient: ${t} links need TesseraClient`,
        );
      }
      await expect(core.authenticateByUrl({ session_duration_minutes: 5 })).rejects.toThrow(/need TesseraClient/);
      expect(location.search).toBe('?stytch_token_type=oauth&token=t');
      expect(server.requests.filter((r) => r.path !== '/sessions/authenticate')).toHaveLength(0);
      expect('oauth' in core).toBe(false);
    } finally {
      core.destroy();
    }
  });
});
