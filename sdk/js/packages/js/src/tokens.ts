/** Where the readable session tokens live: JS cookies (`stytch_session`, `stytch_session_jwt`) or localStorage. */
import { lsGet, lsSet, parseJSON, stateKey } from './storage';
import type { CookieOptions } from './types';

export interface StoredTokens {
  session_token?: string;
  session_jwt?: string;
}

export interface TokenStore {
  read(): StoredTokens;
  /** Write the tokens (an absent JWT deletes the old one); `expiresAt` is the session's `expires_at`. */
  write(sessionToken: string, sessionJwt?: string, expiresAt?: string): void;
  clear(): void;
}

interface CookieAttributes {
  path: string;
  expires?: Date;
  domain?: string;
  secure: boolean;
}

/** The `document.cookie` string for one cookie (values encoded the way js-cookie does). */
export const serializeCookie = (name: string, value: string, a: CookieAttributes): string =>
  `${name}=${encodeURIComponent(value).replace(/%(2[346BF]|3[AC-F]|40|5[BDE]|60|7[BCD])/g, decodeURIComponent)}` +
  `; path=${a.path}` +
  (a.expires ? `; expires=${a.expires.toUTCString()}` : '') +
  (a.domain ? `; domain=${a.domain}` : '') +
  '; samesite=lax' +
  (a.secure ? '; secure' : '');

/** Whether the page runs on a loopback host (no `Secure`, no `Domain`). */
export const isLocalhost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);

/** Read one cookie from a `Cookie`-style string. */
export const readCookie = (cookies: string, name: string): string | undefined => {
  for (const part of cookies.split(/;\s*/)) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i) === name) {
      try {
        return decodeURIComponent(part.slice(i + 1));
      } catch {
        return part.slice(i + 1);
      }
    }
  }
  return undefined;
};

/** Token store backed by JS-readable cookies on the app's origin. */
export const cookieStore = (o: CookieOptions = {}): TokenStore => {
  const names = [o.opaqueTokenCookieName || 'stytch_session', o.jwtCookieName || 'stytch_session_jwt'];
  const path = o.path || '/';
  const local = () => isLocalhost(location.hostname);
  const domain = () => o.domain || location.hostname;
  const set = (name: string, value: string, a: Partial<CookieAttributes>) => {
    document.cookie = serializeCookie(name, value, { path, secure: !local(), ...a });
  };
  const expire = (name: string) => {
    for (const p of new Set([path, '/'])) {
      for (const d of new Set([undefined, local() ? undefined : domain()])) set(name, '', { path: p, domain: d, expires: new Date(0) });
    }
  };
  return {
    read: () => ({
      session_token: readCookie(document.cookie, names[0]),
      session_jwt: readCookie(document.cookie, names[1]),
    }),
    write(token, jwt, expiresAt) {
      const at = expiresAt ? new Date(expiresAt) : undefined;
      const sub = !!o.availableToSubdomains && !local();
      [token, jwt].forEach((value, i) => {
        // Remove the copy written with the other `availableToSubdomains` setting, then write
        // (an empty value deletes the cookie).
        if (!local()) set(names[i], '', { expires: new Date(0), domain: sub ? undefined : domain() });
        set(names[i], value || '', {
          domain: sub ? domain() : undefined,
          expires: !value ? new Date(0) : at && !isNaN(+at) ? at : undefined,
        });
      });
    },
    clear: () => names.forEach(expire),
  };
};

/** Token store backed by localStorage (`stytch_sdk_state_{pt}::tokens`); expired tokens read as absent. */
export const localStorageStore = (publicToken: string): TokenStore => {
  const key = stateKey(publicToken) + '::tokens';
  return {
    read() {
      const t = parseJSON<StoredTokens & { expires_at?: string }>(lsGet(key));
      if (t?.expires_at && Date.parse(t.expires_at) <= Date.now()) {
        lsSet(key, null);
        return {};
      }
      return t ?? {};
    },
    write: (session_token, session_jwt, expires_at) =>
      lsSet(key, JSON.stringify({ session_token, session_jwt, expires_at })),
    clear: () => lsSet(key, null),
  };
};
