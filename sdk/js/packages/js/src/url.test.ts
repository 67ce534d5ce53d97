// URL helpers: parsing `token` / `stytch_token_type`, and authenticateByUrl's clean-up and dispatch (OAuth and impersonation: oauth.test.ts).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeServer, ok, type FakeServer } from '../test/fake-server';
import { newClient } from '../test/helpers';

let server: FakeServer;

beforeEach(() => {
  vi.useFakeTimers();
  server = createFakeServer().addSession('tok-1');
  server.on('POST /magic_links/authenticate', () => ok(server.authAnswer('tok-1')));
  history.replaceState(null, '', '/');
});

describe('parseAuthenticateUrl', () => {
  it('reads token and type; null when either is missing', () => {
    const c = newClient(server);
    expect(c.parseAuthenticateUrl('https://app/x?token=abc&stytch_token_type=magic_links')).toEqual({ handled: true, token: 'abc', tokenType: 'magic_links' });
    expect(c.parseAuthenticateUrl('https://app/x?token=abc&stytch_token_type=oauth')!.handled).toBe(true);
    expect(c.parseAuthenticateUrl('https://app/x?token=abc&stytch_token_type=reset_password')!.handled).toBe(false);
    expect(c.parseAuthenticateUrl('https://app/x?token=abc')).toBeNull();
    history.replaceState(null, '', '/cb?stytch_token_type=magic_links&token=zzz');
    expect(c.parseAuthenticateUrl()).toMatchObject({ token: 'zzz' });
  });
});

describe('authenticateByUrl', () => {
  it('removes the parameters from the address bar before authenticating a magic link', async () => {
    history.replaceState(null, '', '/cb?keep=1&token=abc&stytch_token_type=magic_links#h');
    const c = newClient(server);
    const pending = c.authenticateByUrl({ session_duration_minutes: 60 });
    expect(location.pathname + location.search + location.hash).toBe('/cb?keep=1#h');
    const r = await pending;
    expect(r).toMatchObject({ handled: true, tokenType: 'magic_links', data: { session_token: 'tok-1' } });
    expect(server.calls('POST /magic_links/authenticate')[0].body).toEqual({ token: 'abc', session_duration_minutes: 60 });
    expect(c.session.getSync()).not.toBeNull();
  });

  it('keeps the parameters with clearParams: false, and leaves unhandled or missing tokens alone', async () => {
    history.replaceState(null, '', '/cb?token=abc&stytch_token_type=magic_links');
    const c = newClient(server);
    await c.authenticateByUrl({ session_duration_minutes: 5, clearParams: false });
    expect(location.search).toBe('?token=abc&stytch_token_type=magic_links');
    expect(await c.authenticateByUrl({ session_duration_minutes: 5 }, 'https://x/?token=t&stytch_token_type=login')).toEqual({
      handled: false,
      token: 't',
      tokenType: 'login',
    });
    expect(await c.authenticateByUrl({ session_duration_minutes: 5 }, 'https://x/')).toBeNull();
  });
});
