// @vitest-environment node
// Server-side rendering: importing the browser entries touches no browser global, and a client built without `window` is inert.
import { afterEach, describe, expect, it, vi } from 'vitest';

const BROWSER_GLOBALS = ['window', 'document', 'localStorage', 'sessionStorage', 'navigator', 'location', 'history', 'BroadcastChannel'];

afterEach(() => {
  for (const name of BROWSER_GLOBALS) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (d?.get && (d.get as { trap?: boolean }).trap) Reflect.deleteProperty(globalThis, name);
  }
});

describe('SSR', () => {
  it('importing @tessera/js and @tessera/js/core reads no browser global', async () => {
    const touched: string[] = [];
    for (const name of BROWSER_GLOBALS) {
      if (Object.getOwnPropertyDescriptor(globalThis, name)?.configurable === false) continue;
      const get = Object.assign(() => void touched.push(name), { trap: true });
      Object.defineProperty(globalThis, name, { get, configurable: true });
    }
    vi.resetModules();
    const full = await import('./index');
    const core = await import('./core');
    expect(typeof full.TesseraClient).toBe('function');
    expect(typeof core.TesseraCoreClient).toBe('function');
    expect(touched).toEqual([]);
  });

  it('a client built without window is inert and says so on network calls', async () => {
    vi.useFakeTimers();
    const { TesseraClient } = await import('./index');
    const fetch = vi.fn();
    const c = new TesseraClient('public-token-test-1', { baseUrl: 'http://localhost:8080', fetch });
    expect(c.session.getSync()).toBeNull();
    expect(c.session.getInfo()).toEqual({ session: null, fromCache: false });
    expect(c.user.getInfo()).toEqual({ user: null, fromCache: false });
    expect(c.session.getTokens()).toBeNull();
    const unsubscribe = c.session.onChange(() => {});
    expect(typeof unsubscribe).toBe('function');
    unsubscribe();
    const message = 'TesseraClient: browser-only method called on the server';
    await expect(c.session.authenticate()).rejects.toThrow(message);
    await expect(c.magicLinks.email.loginOrCreate('a@b.c')).rejects.toThrow(message);
    await expect(c.otps.sms.send('+1')).rejects.toThrow(message);
    await expect(c.passwords.strengthCheck({ password: 'x' })).rejects.toThrow(message);
    await expect(c.user.get()).rejects.toThrow(message);
    await expect(c.session.revoke()).rejects.toThrow(message);
    await expect(c.authenticateByUrl({ session_duration_minutes: 5 })).rejects.toThrow(message);
    await expect(c.oauth.google.start()).rejects.toThrow(message);
    await expect(c.oauth.attach('google')).rejects.toThrow(message);
    await expect(c.impersonation.authenticate({ impersonation_token: 't' })).rejects.toThrow(message);
    expect(() => c.session.updateSession({ session_token: 't' })).toThrow(message);
    expect(c.parseAuthenticateUrl()).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    c.destroy();
    vi.useRealTimers();
  });
});
