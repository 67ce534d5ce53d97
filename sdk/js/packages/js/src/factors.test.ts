// Factor namespaces against the fake server: magic links with PKCE and lazy bootstrap, passcodes, passwords, TOTP.
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, createFakeServer, makeSession, makeUser, ok, PT, type FakeServer } from '../test/fake-server';
import { cacheState, newClient, settle } from '../test/helpers';
import { createPKCEPair } from './pkce';

let server: FakeServer;
const BOOT = `GET /projects/bootstrap/${PT}`;
const bootstrap = (flags: Record<string, boolean>) => ok({ request_id: 'r', status_code: 200, vertical: 'CONSUMER', ...flags });
const pairKey = (ns: string) => `stytch_sdk_state_${PT}::PKCE_VERIFIER:${ns}`;
const sha256url = (s: string) => createHash('sha256').update(s).digest('base64url');
const common = () => ok({ request_id: 'r', status_code: 200 });

beforeEach(() => {
  vi.useFakeTimers();
  server = createFakeServer().addSession('tok-1');
  server.on('POST /magic_links/authenticate', () => ok(server.authAnswer('tok-1', { method_id: 'email-test-1' })));
});

describe('PKCE', () => {
  it('makes a 128-hex-character verifier and its S256 challenge', async () => {
    const p = await createPKCEPair();
    expect(p.code_verifier).toMatch(/^[0-9a-f]{128}$/);
    expect(p.code_challenge).toBe(sha256url(p.code_verifier));
  });
});

describe('magic links', () => {
  it('fetches bootstrap lazily and once, stores a pair and sends its challenge', async () => {
    server.on(BOOT, () => bootstrap({ pkce_required_for_email_magic_links: true }));
    server.on('POST /magic_links/email/login_or_create', common);
    const c = newClient(server);
    await settle();
    expect(server.calls(BOOT)).toHaveLength(0); // never at construction
    await c.magicLinks.email.loginOrCreate('ada@example.com', { login_magic_link_url: 'http://localhost:3000/auth' });
    await c.magicLinks.email.loginOrCreate('ada@example.com');
    expect(server.calls(BOOT)).toHaveLength(1);
    expect(JSON.parse(localStorage.getItem(`stytch_sdk_state_${PT}::bootstrap`)!).pkce_required_for_email_magic_links).toBe(true);
    const pair = JSON.parse(localStorage.getItem(pairKey('magic_links'))!);
    const [first, second] = server.calls('POST /magic_links/email/login_or_create');
    expect(first.body).toEqual({ email: 'ada@example.com', login_magic_link_url: 'http://localhost:3000/auth', code_challenge: pair.code_challenge });
    expect(second.body!.code_challenge).toBe(pair.code_challenge); // reused until consumed
    expect(pair.code_challenge).toBe(sha256url(pair.code_verifier));
  });

  it('sends no challenge when the project does not ask for PKCE', async () => {
    server.on(BOOT, () => bootstrap({ pkce_required_for_email_magic_links: false }));
    server.on('POST /magic_links/email/send/primary', common);
    const c = newClient(server);
    await c.magicLinks.email.send('ada@example.com');
    expect(server.calls('POST /magic_links/email/send/primary')[0].body).toEqual({ email: 'ada@example.com' });
    expect(localStorage.getItem(pairKey('magic_links'))).toBeNull();
  });

  it('send goes to /secondary when a session is held locally', async () => {
    server.on(BOOT, () => bootstrap({ pkce_required_for_email_magic_links: true }));
    server.on('POST /magic_links/email/send/secondary', common);
    cacheState({ session: makeSession(), user: makeUser() });
    const c = newClient(server);
    await c.magicLinks.email.send('ada@example.com');
    expect(server.calls('POST /magic_links/email/send/secondary')).toHaveLength(1);
  });

  it('authenticate sends the verifier, applies the session and deletes the pair', async () => {
    const pair = await createPKCEPair();
    localStorage.setItem(pairKey('magic_links'), JSON.stringify(pair));
    const c = newClient(server);
    await settle();
    const r = await c.magicLinks.authenticate('link-token', { session_duration_minutes: 60 });
    expect(r).not.toHaveProperty('__user');
    expect(server.calls('POST /magic_links/authenticate')[0].body).toEqual({
      token: 'link-token',
      session_duration_minutes: 60,
      code_verifier: pair.code_verifier,
    });
    expect(localStorage.getItem(pairKey('magic_links'))).toBeNull();
    expect(c.session.getSync()?.session_id).toBe('session-test-1');
    expect(c.session.getTokens()?.session_token).toBe('tok-1');
  });

  it('tries the password-reset pair first, then falls back to the magic-link pair on a PKCE error', async () => {
    const pw = await createPKCEPair();
    const ml = await createPKCEPair();
    localStorage.setItem(pairKey('passwords'), JSON.stringify(pw));
    localStorage.setItem(pairKey('magic_links'), JSON.stringify(ml));
    server.once('POST /magic_links/authenticate', () => apiError(400, 'pkce_mismatch'));
    const c = newClient(server);
    await c.magicLinks.authenticate('t', { session_duration_minutes: 5 });
    expect(server.calls('POST /magic_links/authenticate').map((r) => r.body!.code_verifier)).toEqual([pw.code_verifier, ml.code_verifier]);
    expect(localStorage.getItem(pairKey('magic_links'))).toBeNull();
    expect(localStorage.getItem(pairKey('passwords'))).not.toBeNull();
  });

  it('keeps the pair when authenticate fails', async () => {
    localStorage.setItem(pairKey('magic_links'), JSON.stringify(await createPKCEPair()));
    server.once('POST /magic_links/authenticate', () => apiError(401, 'unable_to_auth_magic_link'));
    const c = newClient(server);
    await expect(c.magicLinks.authenticate('t', { session_duration_minutes: 5 })).rejects.toMatchObject({ error_type: 'unable_to_auth_magic_link' });
    expect(localStorage.getItem(pairKey('magic_links'))).not.toBeNull();
  });
});

describe('passcodes', () => {
  it('uses the documented paths and bodies, primary or secondary by local state', async () => {
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-1', { method_id: 'phone-1' })));
    for (const ch of ['sms', 'whatsapp', 'email']) {
      server.on(`POST /otps/${ch}/login_or_create`, () => ok({ method_id: `${ch}-id` }));
      server.on(`POST /otps/${ch}/send/primary`, () => ok({ method_id: `${ch}-id` }));
      server.on(`POST /otps/${ch}/send/secondary`, () => ok({ method_id: `${ch}-id` }));
    }
    const c = newClient(server);
    await settle();
    expect((await c.otps.sms.loginOrCreate('+15005550006', { expiration_minutes: 5 })).method_id).toBe('sms-id');
    await c.otps.whatsapp.send('+15005550006');
    await c.otps.email.loginOrCreate('ada@example.com', { login_template_id: 'x' });
    await c.otps.authenticate('123456', 'phone-1', { session_duration_minutes: 10 });
    await c.otps.sms.send('+15005550006');
    await c.otps.email.send('ada@example.com');
    expect(server.requests.slice(1).map((r) => [r.path, r.body])).toEqual([
      ['/otps/sms/login_or_create', { phone_number: '+15005550006', expiration_minutes: 5 }],
      ['/otps/whatsapp/send/primary', { phone_number: '+15005550006' }],
      ['/otps/email/login_or_create', { email: 'ada@example.com', login_template_id: 'x' }],
      ['/otps/authenticate', { token: '123456', method_id: 'phone-1', session_duration_minutes: 10 }],
      ['/otps/sms/send/secondary', { phone_number: '+15005550006' }],
      ['/otps/email/send/secondary', { email: 'ada@example.com' }],
    ]);
  });
});

describe('passwords', () => {
  it('[auth] calls apply the session; bodies as documented', async () => {
    const auth = () => ok(server.authAnswer('tok-1', { email_id: 'email-test-1' }));
    for (const p of ['/passwords', '/passwords/authenticate', '/passwords/existing_password/reset', '/passwords/session/reset']) server.on(`POST ${p}`, auth);
    server.on('POST /passwords/strength_check', () => ok({ valid_password: true, score: 4 }));
    const c = newClient(server);
    await settle();
    await c.passwords.create({ email: 'a@b.c', password: 'pw', session_duration_minutes: 5 });
    expect(c.session.getSync()).not.toBeNull();
    await c.passwords.authenticate({ email: 'a@b.c', password: 'pw', session_duration_minutes: 5 });
    await c.passwords.resetByExistingPassword({ email: 'a@b.c', existing_password: 'a', new_password: 'b', session_duration_minutes: 5 });
    await c.passwords.resetBySession({ password: 'c' });
    expect((await c.passwords.strengthCheck({ password: 'x' })).score).toBe(4);
    expect(server.requests.slice(1).map((r) => [r.path, r.body])).toEqual([
      ['/passwords', { email: 'a@b.c', password: 'pw', session_duration_minutes: 5 }],
      ['/passwords/authenticate', { email: 'a@b.c', password: 'pw', session_duration_minutes: 5 }],
      ['/passwords/existing_password/reset', { email: 'a@b.c', existing_password: 'a', new_password: 'b', session_duration_minutes: 5 }],
      ['/passwords/session/reset', { password: 'c' }],
      ['/passwords/strength_check', { password: 'x' }],
    ]);
  });

  it('reset by email: PKCE challenge when bootstrap asks, verifier on reset, pair deleted', async () => {
    server.on(BOOT, () => bootstrap({ pkce_required_for_password_resets: true }));
    server.on('POST /passwords/email/reset/start', common);
    server.on('POST /passwords/email/reset', () => ok(server.authAnswer('tok-1')));
    const c = newClient(server);
    await c.passwords.resetByEmailStart({ email: 'a@b.c', reset_password_redirect_url: 'http://localhost:3000/reset' });
    const pair = JSON.parse(localStorage.getItem(pairKey('passwords'))!);
    expect(server.calls('POST /passwords/email/reset/start')[0].body).toEqual({
      email: 'a@b.c',
      reset_password_redirect_url: 'http://localhost:3000/reset',
      code_challenge: pair.code_challenge,
    });
    await c.passwords.resetByEmail({ token: 'reset-token', password: 'new', session_duration_minutes: 30 });
    expect(server.calls('POST /passwords/email/reset')[0].body).toEqual({
      token: 'reset-token',
      password: 'new',
      session_duration_minutes: 30,
      code_verifier: pair.code_verifier,
    });
    expect(localStorage.getItem(pairKey('passwords'))).toBeNull();
    expect(c.session.getSync()).not.toBeNull();
  });
});

describe('TOTP', () => {
  it('create stores __user; recoveryCodes posts no body; authenticate and recover apply the session', async () => {
    cacheState({ session: makeSession(), user: makeUser() });
    document.cookie = 'stytch_session=tok-1; path=/';
    const withTotp = makeUser('user-test-1', { totps: [{ totp_id: 'totp-1', verified: false }] });
    server.on('POST /totps', () => ok({ request_id: 'r', status_code: 200, totp_id: 'totp-1', secret: 'S', qr_code: 'Q', recovery_codes: ['a'], user_id: 'user-test-1', __user: withTotp }));
    server.on('POST /totps/recovery_codes', () => ok({ user_id: 'user-test-1', totps: [] }));
    server.on('POST /totps/authenticate', () => ok(server.authAnswer('tok-1', { totp_id: 'totp-1' })));
    server.on('POST /totps/recover', () => ok(server.authAnswer('tok-1', { totp_id: 'totp-1' })));
    const c = newClient(server);
    await settle();
    const created = await c.totps.create({ expiration_minutes: 10 });
    expect(created).not.toHaveProperty('__user');
    expect(created.secret).toBe('S');
    expect(c.user.getSync()?.totps).toEqual([{ totp_id: 'totp-1', verified: false }]);
    await c.totps.recoveryCodes();
    expect(server.calls('POST /totps/recovery_codes')[0].body).toBeUndefined();
    await c.totps.authenticate({ totp_code: '123456', session_duration_minutes: 5 });
    await c.totps.recover({ recovery_code: 'abcd-efgh', session_duration_minutes: 5 });
    expect(server.calls('POST /totps/authenticate')[0].body).toEqual({ totp_code: '123456', session_duration_minutes: 5 });
    expect(server.calls('POST /totps/recover')[0].body).toEqual({ recovery_code: 'abcd-efgh', session_duration_minutes: 5 });
    expect(c.user.getSync()?.totps).toEqual([]); // the authenticate answer's user replaced it
  });
});
