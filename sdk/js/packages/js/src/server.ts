/** Entry `@tessera/js/server`: verify the `stytch_session_jwt` cookie in a Node server (uses `jose`, never bundled in the browser entries). */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { readCookie } from './tokens';
import type { AuthenticationFactor } from './types';

/** A `Cookie` header, a name → value record, or anything with `get(name)` (Next.js `cookies()`, a `Map`). */
export type CookieSource =
  | string
  | null
  | undefined
  | Record<string, string | undefined>
  | { get(name: string): string | { value: string } | undefined | null };

export interface ServerSessionOptions {
  /** The project id (`project-test-…`): the JWT's audience, and part of its issuer. */
  projectId: string;
  /** Where Tessera runs; the keys are fetched from `{baseUrl}/v1/sessions/jwks/{projectId}`. */
  baseUrl: string;
  /** Cookie holding the JWT (`stytch_session_jwt`). */
  cookieName?: string;
  /** Allowed clock skew in seconds (5). */
  clockToleranceSeconds?: number;
}

export interface ServerSession {
  session_id: string;
  user_id: string;
  expires_at: string;
  authentication_factors: AuthenticationFactor[];
  /** The JWT's top-level claims that are not registered ones nor the session claim. */
  custom_claims: Record<string, unknown>;
  /** Every claim, verified. */
  claims: JWTPayload;
}

const SESSION_CLAIM = 'https://stytch.com/session';
const REGISTERED = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', SESSION_CLAIM];
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

const cookieValue = (cookies: CookieSource, name: string): string | undefined => {
  if (!cookies) return undefined;
  if (typeof cookies === 'string') return readCookie(cookies, name);
  const v = typeof cookies.get === 'function' ? (cookies as { get(n: string): unknown }).get(name) : (cookies as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : (v as { value?: string } | undefined)?.value;
};

/**
 * The session stated by the request's JWT cookie, verified against the project's JWKS (RS256,
 * issuer `stytch.com/{projectId}`, audience `projectId`); `null` when absent, invalid or expired.
 * JWTs live 5 minutes and the browser SDK refreshes them every 3; call Tessera's
 * `POST /v1/sessions/authenticate` yourself when you need revocation to take effect at once.
 */
export async function getServerSession(cookies: CookieSource, options: ServerSessionOptions): Promise<ServerSession | null> {
  const jwt = cookieValue(cookies, options.cookieName ?? 'stytch_session_jwt');
  if (!jwt) return null;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/sessions/jwks/${encodeURIComponent(options.projectId)}`;
  let keys = keySets.get(url);
  if (!keys) keySets.set(url, (keys = createRemoteJWKSet(new URL(url))));
  try {
    const { payload } = await jwtVerify(jwt, keys, {
      issuer: `stytch.com/${options.projectId}`,
      audience: options.projectId,
      algorithms: ['RS256'],
      clockTolerance: options.clockToleranceSeconds ?? 5,
    });
    const s = payload[SESSION_CLAIM] as
      | { id: string; expires_at: string; authentication_factors?: AuthenticationFactor[] }
      | undefined;
    if (!s?.id || !payload.sub || Date.parse(s.expires_at) <= Date.now()) return null;
    return {
      session_id: s.id,
      user_id: payload.sub,
      expires_at: s.expires_at,
      authentication_factors: s.authentication_factors ?? [],
      custom_claims: Object.fromEntries(Object.entries(payload).filter(([k]) => !REGISTERED.includes(k))),
      claims: payload,
    };
  } catch {
    return null;
  }
}
