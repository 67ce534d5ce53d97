/** A small in-test Tessera: records every request and answers from a session table, with scripted overrides per route. */
import { createHash } from 'node:crypto';
import type { AuthenticateResponse, OAuthAuthenticateResponse, Session, User } from '../src/types';

export const PT = 'public-token-test-0000';
export const BASE = 'http://auth.test:8080';

export interface Recorded {
  method: string;
  path: string;
  /** Decoded Basic credentials. */
  user: string;
  secret: string;
  headers: Record<string, string>;
  credentials?: RequestCredentials;
  /** Parsed JSON body, or `undefined` when there was none. */
  body: Record<string, unknown> | undefined;
}

export type Handler = (req: Recorded) => Response | Promise<Response>;

export const ok = (data: unknown, status = 200): Response =>
  new Response(JSON.stringify({ data }), { status, headers: { 'content-type': 'application/json' } });

export const apiError = (status: number, error_type: string, error_message = error_type): Response =>
  new Response(
    JSON.stringify({ status_code: status, request_id: 'request-id-test', error_type, error_message, error_url: 'https://tessera.dev/errors' }),
    { status, headers: { 'content-type': 'application/json' } },
  );

export const html = (status: number): Response => new Response('<html>Bad Gateway</html>', { status, headers: { 'content-type': 'text/html' } });

export const makeUser = (id = 'user-test-1', extra: Partial<User> = {}): User => ({
  user_id: id,
  status: 'active',
  created_at: '2025-01-01T00:00:00Z',
  name: { first_name: 'Ada', middle_name: '', last_name: 'Lovelace' },
  emails: [{ email_id: 'email-test-1', email: 'ada@example.com', verified: true }],
  phone_numbers: [],
  webauthn_registrations: [],
  providers: [],
  totps: [],
  crypto_wallets: [],
  biometric_registrations: [],
  password: null,
  roles: ['stytch_user'],
  trusted_metadata: {},
  untrusted_metadata: {},
  external_id: null,
  ...extra,
});

export const makeSession = (id = 'session-test-1', extra: Partial<Session> = {}): Session => ({
  session_id: id,
  user_id: 'user-test-1',
  started_at: '2025-01-01T00:00:00Z',
  last_accessed_at: '2025-01-01T00:00:00Z',
  expires_at: '2099-01-01T00:00:00Z',
  attributes: { ip_address: '', user_agent: '' },
  authentication_factors: [
    {
      type: 'magic_link',
      delivery_method: 'email',
      last_authenticated_at: '2025-01-01T00:00:00Z',
      email_factor: { email_id: 'email-test-1', email_address: 'ada@example.com' },
    },
  ],
  custom_claims: {},
  roles: ['stytch_user'],
  ...extra,
});

interface Row {
  session: Session;
  user: User;
}

/** A single-use link token (OAuth redirect or impersonation) that logs into the session of `sessionToken`. */
interface LinkToken {
  kind: 'oauth' | 'impersonation';
  sessionToken: string;
  /** OAuth with PKCE: the `code_challenge` of the start URL, checked against the `code_verifier`. */
  codeChallenge?: string;
}

export const createFakeServer = () => {
  const requests: Recorded[] = [];
  const sessions = new Map<string, Row>();
  const routes = new Map<string, Handler>();
  const scripted = new Map<string, Handler[]>();
  const linkTokens = new Map<string, LinkToken>();
  let jwtCounter = 0;
  let attachCounter = 0;

  const authAnswer = (token: string, extra: Record<string, unknown> = {}): AuthenticateResponse => {
    const row = sessions.get(token)!;
    return {
      request_id: 'request-id-test',
      status_code: 200,
      user_id: row.user.user_id,
      session: row.session,
      session_token: token,
      session_jwt: `jwt-${++jwtCounter}`,
      user: row.user,
      ...extra,
    };
  };

  /** The OAuth answer: the session under `user_session` (not `session`), and the provider's values. */
  const oauthAnswer = (token: string, extra: Record<string, unknown> = {}): OAuthAuthenticateResponse => {
    const { session, ...rest } = authAnswer(token);
    return {
      ...rest,
      user_session: session,
      provider_subject: 'google-sub-1',
      provider_type: 'Google',
      provider_values: { access_token: 'ya29.access', refresh_token: '', id_token: 'id.token.jwt', scopes: ['openid', 'email'] },
      oauth_user_registration_id: 'oauth-user-test-1',
      reset_sessions: false,
      ...extra,
    } as OAuthAuthenticateResponse;
  };

  const server = {
    requests,
    sessions,
    linkTokens,
    oauthAnswer,
    /** Issue a single-use link token: `oauth` (optionally bound to a PKCE challenge) or `impersonation`. */
    issueToken(kind: LinkToken['kind'], token: string, sessionToken: string, codeChallenge?: string) {
      linkTokens.set(token, { kind, sessionToken, codeChallenge });
      return server;
    },
    /** Add a session row for `token` (new objects each time). */
    addSession(token: string, session = makeSession(), user = makeUser()) {
      sessions.set(token, { session, user });
      return server;
    },
    authAnswer,
    /** Permanent handler for `METHOD /path`. */
    on(route: string, h: Handler) {
      routes.set(route, h);
      return server;
    },
    /** One-shot handlers for `METHOD /path`, used in order before the permanent one. */
    once(route: string, ...hs: Handler[]) {
      scripted.set(route, [...(scripted.get(route) ?? []), ...hs]);
      return server;
    },
    /** The built-in answers: session refresh and revoke from the session table, OAuth and impersonation tokens, OAuth attach. */
    builtin(req: Recorded): Response {
      const route = `${req.method} ${req.path}`;
      if (route === 'POST /sessions/authenticate') {
        const row = sessions.get(req.secret);
        if (!row) return req.secret === PT ? apiError(401, 'unauthorized_credentials') : apiError(404, 'session_not_found');
        const minutes = req.body?.session_duration_minutes as number | undefined;
        row.session = {
          ...row.session,
          last_accessed_at: new Date().toISOString(),
          ...(minutes ? { expires_at: new Date(Date.now() + minutes * 60_000).toISOString() } : {}),
        };
        return ok(authAnswer(req.secret, { __user: row.user }));
      }
      if (route === 'POST /oauth/authenticate' || route === 'POST /impersonation/authenticate') {
        const kind = req.path === '/oauth/authenticate' ? 'oauth' : 'impersonation';
        const token = String(req.body?.[kind === 'oauth' ? 'token' : 'impersonation_token']);
        const link = linkTokens.get(token);
        if (link?.kind !== kind) return apiError(404, kind === 'oauth' ? 'oauth_token_not_found' : 'impersonation_token_not_found');
        if (link.codeChallenge !== undefined) {
          const verifier = req.body?.code_verifier;
          if (typeof verifier !== 'string') return apiError(400, 'missing_code_verifier');
          if (createHash('sha256').update(verifier).digest('base64url') !== link.codeChallenge) return apiError(400, 'pkce_mismatch');
        }
        linkTokens.delete(token);
        const row = sessions.get(link.sessionToken)!;
        return ok(
          kind === 'oauth'
            ? oauthAnswer(link.sessionToken, { __user: row.user })
            : authAnswer(link.sessionToken, { __user: row.user }),
        );
      }
      if (route === 'POST /oauth/attach') {
        if (!sessions.has(req.secret)) return apiError(401, 'unauthorized_credentials');
        return ok({ request_id: 'request-id-test', status_code: 200, oauth_attach_token: `oauth-attach-token-test-${++attachCounter}` });
      }
      if (route === 'POST /sessions/revoke') {
        if (!sessions.delete(req.secret)) return apiError(404, 'session_not_found');
        return ok({ request_id: 'request-id-test', status_code: 200 });
      }
      return apiError(404, 'route_not_found');
    },
    /** Requests to one route. */
    calls: (route: string) => requests.filter((r) => `${r.method} ${r.path}` === route),
    fetch: (async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = new URL(String(input));
      if (!url.href.startsWith(BASE + '/sdk/v1/')) throw new TypeError('Failed to fetch');
      const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
      const [user, secret] = atob((headers.Authorization ?? '').replace(/^Basic /, '')).split(':');
      const req: Recorded = {
        method: init.method ?? 'GET',
        path: url.pathname.slice('/sdk/v1'.length),
        user,
        secret,
        headers,
        credentials: init.credentials,
        body: init.body === undefined ? undefined : JSON.parse(String(init.body)),
      };
      requests.push(req);
      const route = `${req.method} ${req.path}`;
      const h = scripted.get(route)?.shift() ?? routes.get(route);
      if (h) return h(req);
      return server.builtin(req);
    }) as typeof fetch,
  };
  return server;
};

export type FakeServer = ReturnType<typeof createFakeServer>;
