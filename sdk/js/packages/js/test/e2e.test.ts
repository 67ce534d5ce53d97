// Opt-in end-to-end run against a real Tessera server: set TESSERA_E2E_BASE_URL, TESSERA_E2E_PUBLIC_TOKEN and
// TESSERA_E2E_PROJECT_ID (a project whose authorized origins include http://localhost:3000, jsdom's origin).
// With TESSERA_E2E_LOG (the server's log, no --smtp-url) the magic-link and passcode flows run too.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TesseraClient } from '../src/client';
import { getServerSession } from '../src/server';

const BASE = process.env.TESSERA_E2E_BASE_URL ?? '';
const PT = process.env.TESSERA_E2E_PUBLIC_TOKEN ?? '';
const PROJECT = process.env.TESSERA_E2E_PROJECT_ID ?? '';
const LOG = process.env.TESSERA_E2E_LOG ?? '';
/** A second project in `--cookie-mode httponly` (host-only cookies). */
const HTTPONLY_PT = process.env.TESSERA_E2E_HTTPONLY_PUBLIC_TOKEN ?? '';

/** Like `browserFetch`, keeping the server's cookies as a browser does with credentials: 'include'. */
const cookieJarFetch = () => {
  const jar = new Map<string, string>();
  const f: typeof fetch = async (input, init = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await browserFetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), ...(cookie ? { Cookie: cookie } : {}) } });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(/;\s*/);
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      const gone = !value || attrs.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  return { fetch: f, jar };
};

/** The last match of `re` in the server log (development delivery prints messages there). */
const lastInLog = async (re: RegExp): Promise<string> => {
  for (let i = 0; i < 100; i++) {
    const all = [...readFileSync(LOG, 'utf8').matchAll(re)];
    if (all.length) return all.at(-1)![1];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not in the log: ${re}`);
};

/** Node's fetch sends no Origin; a browser would. */
const browserFetch: typeof fetch = (input, init = {}) =>
  fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), Origin: location.origin } });

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe.skipIf(!BASE)('against a real Tessera server', () => {
  const clients: TesseraClient[] = [];
  const open = () => {
    const c = new TesseraClient(PT, { baseUrl: BASE, fetch: browserFetch });
    clients.push(c);
    return c;
  };
  afterAll(() => clients.forEach((c) => c.destroy()));

  it('logs in, refreshes, verifies the JWT server-side, manages the user, logs out', async () => {
    const c = open();
    await until(() => !c.session.getInfo().fromCache); // the startup check says "logged out"
    expect(c.session.getSync()).toBeNull();

    const email = `e2e-${Date.now()}@example.com`;
    const password = 'vapor-Glacier-83-tundra-quill';
    expect((await c.passwords.strengthCheck({ password })).valid_password).toBe(true);
    const created = await c.passwords.create({ email, password, session_duration_minutes: 60 });
    expect(created.session_token).not.toBe('');
    expect(c.session.getSync()?.user_id).toBe(created.user_id);
    const tokens = c.session.getTokens()!;
    expect(document.cookie).toContain(`stytch_session=${tokens.session_token}`);

    const refreshed = await c.session.authenticate();
    expect(refreshed.session.session_id).toBe(created.session.session_id);
    const server = await getServerSession(document.cookie, { projectId: PROJECT, baseUrl: BASE });
    expect(server).toMatchObject({ session_id: created.session.session_id, user_id: created.user_id });

    expect((await c.user.get()).emails[0].email).toBe(email);
    await c.user.update({ name: { first_name: 'Ada' }, untrusted_metadata: { theme: 'dark' } });
    expect(c.user.getSync()?.name.first_name).toBe('Ada');
    const totp = await c.totps.create({ expiration_minutes: 10 });
    expect(totp.recovery_codes.length).toBeGreaterThan(0);
    expect(c.user.getSync()?.totps).toHaveLength(1);
    await c.magicLinks.email.send(email, { login_magic_link_url: 'http://localhost:3000/authenticate' });
    expect(localStorage.getItem(`stytch_sdk_state_${PT}::PKCE_VERIFIER:magic_links`)).not.toBeNull();
    expect((await c.otps.email.send(email)).method_id).toMatch(/^email-/);

    await c.session.revoke();
    expect(c.session.getSync()).toBeNull();
    expect(c.session.getTokens()).toBeNull();
    // The old token is now refused with an unrecoverable type.
    c.session.updateSession(tokens);
    await expect(c.session.authenticate()).rejects.toMatchObject({ error_type: expect.stringMatching(/session_not_found|unauthorized_credentials/) });
    expect(c.session.getTokens()).toBeNull();
  });

  it.skipIf(!LOG)('magic link with PKCE via authenticateByUrl, then an email passcode step-up', async () => {
    const c = open();
    await until(() => !c.session.getInfo().fromCache);
    const email = `e2e-ml-${Date.now()}@example.com`;
    await c.magicLinks.email.loginOrCreate(email, { login_magic_link_url: 'http://localhost:3000/authenticate', signup_magic_link_url: 'http://localhost:3000/authenticate' });
    const esc = email.replace(/[.+]/g, '\\$&');
    const link = await lastInLog(new RegExp(`to="${esc}"[^\\n]*\\n\\n(http://localhost:3000/authenticate\\?\\S+)`, 'g'));
    history.replaceState(null, '', link.replace('http://localhost:3000', ''));
    const r = await c.authenticateByUrl({ session_duration_minutes: 30 });
    expect(r).toMatchObject({ handled: true, tokenType: 'magic_links' });
    expect(location.search).toBe('');
    expect(localStorage.getItem(`stytch_sdk_state_${PT}::PKCE_VERIFIER:magic_links`)).toBeNull();
    expect(c.session.getSync()?.authentication_factors).toHaveLength(1);
    const { method_id } = await c.otps.email.send(email);
    const code = await lastInLog(new RegExp(`to="${esc}" subject="[^"]*: (\\d{6})"`, 'g'));
    await c.otps.authenticate(code, method_id, { session_duration_minutes: 30 });
    expect(c.session.getSync()?.authentication_factors).toHaveLength(2);
    await c.session.revoke();
  });

  it.skipIf(!HTTPONLY_PT)('HttpOnly mode: no readable tokens, requests carry pt:pt and the server cookie', async () => {
    const { fetch: jarFetch, jar } = cookieJarFetch();
    const c = new TesseraClient(HTTPONLY_PT, { baseUrl: BASE, fetch: jarFetch });
    clients.push(c);
    await until(() => !c.session.getInfo().fromCache);
    const created = await c.passwords.create({ email: `e2e-ho-${Date.now()}@example.com`, password: 'vapor-Glacier-83-tundra-quill', session_duration_minutes: 60 });
    expect([created.session_token, created.session_jwt]).toEqual(['', '']);
    expect(c.session.getTokens()).toBeNull();
    expect(document.cookie).not.toContain('stytch_session');
    expect(jar.size).toBeGreaterThan(0);
    const again = await c.session.authenticate();
    expect(again.session.session_id).toBe(created.session.session_id);
    await c.session.revoke();
    expect(c.session.getSync()).toBeNull();
    await expect(c.session.authenticate()).rejects.toMatchObject({ error_type: expect.stringMatching(/unauthorized_credentials|session_not_found/) });
  });
});
