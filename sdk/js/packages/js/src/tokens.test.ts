// @vitest-environment-options {"url": "https://app.example.com/page"}
// Cookie writing on a real (non-loopback) https host: Secure, Domain only with availableToSubdomains, configured names and path, and deletion.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cookieStore, isLocalhost, readCookie, serializeCookie } from './tokens';

const captureWrites = () => {
  const writes: string[] = [];
  const desc = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie')!;
  vi.spyOn(document, 'cookie', 'set').mockImplementation(function (this: Document, v: string) {
    writes.push(v);
    desc.set!.call(this, v);
  });
  return writes;
};

afterEach(() => {
  vi.restoreAllMocks();
  for (const c of document.cookie.split(/;\s*/)) {
    const name = c.split('=')[0];
    if (name) {
      document.cookie = `${name}=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT`;
      document.cookie = `${name}=; path=/; domain=example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT`;
    }
  }
});

describe('cookies', () => {
  it('serializes like js-cookie with every attribute', () => {
    expect(serializeCookie('n', 'a=b c;', { path: '/app', expires: new Date('2030-01-01T00:00:00Z'), domain: 'example.com', secure: true })).toBe(
      'n=a=b%20c%3B; path=/app; expires=Tue, 01 Jan 2030 00:00:00 GMT; domain=example.com; samesite=lax; secure',
    );
    expect(readCookie('x=1; n=a=b%20c%3B', 'n')).toBe('a=b c;');
  });

  it('recognises loopback hosts', () => {
    expect(['localhost', '127.0.0.1', '127.1.2.3', '[::1]'].every(isLocalhost)).toBe(true);
    expect(['example.com', '10.0.0.1', 'localhost.example.com'].some(isLocalhost)).toBe(false);
  });

  it('writes Secure cookies without Domain by default', () => {
    const writes = captureWrites();
    const store = cookieStore();
    store.write('tok', 'jwt', '2030-01-01T00:00:00Z');
    const live = writes.filter((w) => !w.includes('1970'));
    expect(live).toEqual([
      'stytch_session=tok; path=/; expires=Tue, 01 Jan 2030 00:00:00 GMT; samesite=lax; secure',
      'stytch_session_jwt=jwt; path=/; expires=Tue, 01 Jan 2030 00:00:00 GMT; samesite=lax; secure',
    ]);
    expect(store.read()).toEqual({ session_token: 'tok', session_jwt: 'jwt' });
  });

  it('adds Domain only with availableToSubdomains, and honours names and path', () => {
    const writes = captureWrites();
    cookieStore({ domain: 'example.com', path: '/', opaqueTokenCookieName: 'my_s', jwtCookieName: 'my_j' }).write('t', 'j');
    expect(writes.filter((w) => !w.includes('1970')).every((w) => !w.includes('domain='))).toBe(true);
    writes.length = 0;
    const sub = cookieStore({ domain: 'example.com', availableToSubdomains: true, opaqueTokenCookieName: 'my_s', jwtCookieName: 'my_j' });
    sub.write('t2', 'j2');
    const live = writes.filter((w) => !w.includes('1970'));
    expect(live).toEqual(['my_s=t2; path=/; domain=example.com; samesite=lax; secure', 'my_j=j2; path=/; domain=example.com; samesite=lax; secure']);
    // The host-only copies written before are removed, so each name appears once.
    expect(document.cookie.match(/my_s=/g)).toHaveLength(1);
    expect(sub.read()).toEqual({ session_token: 't2', session_jwt: 'j2' });
  });

  it('clear expires every variant (path × domain)', () => {
    const store = cookieStore({ path: '/app', availableToSubdomains: true, domain: 'example.com' });
    store.write('t', 'j');
    const writes = captureWrites();
    store.clear();
    expect(writes).toHaveLength(8);
    expect(writes.every((w) => w.includes('expires=Thu, 01 Jan 1970'))).toBe(true);
    expect(new Set(writes.map((w) => /path=([^;]*)/.exec(w)![1]))).toEqual(new Set(['/app', '/']));
    expect(store.read()).toEqual({});
  });
});
