// The HTTP layer: URL composition, credentials and headers, the {"data": …} envelope, and error mapping.
import { describe, expect, it, vi } from 'vitest';
import { isUnrecoverable, TesseraAPIError, TesseraAPIUnreachableError, UNRECOVERABLE_ERROR_TYPES } from './errors';
import { createRequest } from './network';

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

const setup = (answer: () => Response | Promise<Response>, secret: string | null = null) => {
  const fetch = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => answer());
  const request = createRequest({ publicToken: 'pt', baseUrl: 'http://localhost:8080/', fetch: fetch as typeof globalThis.fetch, secret: () => secret });
  return { fetch, request };
};

describe('createRequest', () => {
  it('uses baseUrl verbatim (scheme and port kept) under /sdk/v1', async () => {
    const { fetch, request } = setup(() => json(200, { data: { ok: 1 } }));
    expect(await request('GET', '/users/me')).toEqual({ ok: 1 });
    expect(fetch.mock.calls[0][0]).toBe('http://localhost:8080/sdk/v1/users/me');
  });

  it('sends Basic pt:pt when logged out and pt:token when a token is held', async () => {
    let secret: string | null = null;
    const fetch = vi.fn(async () => json(200, { data: {} }));
    const request = createRequest({ publicToken: 'pt', baseUrl: 'https://a.b', fetch: fetch as unknown as typeof globalThis.fetch, secret: () => secret });
    await request('POST', '/x', {});
    secret = 'tok';
    await request('POST', '/x');
    const auth = fetch.mock.calls.map((c) => (c as unknown as [string, RequestInit])[1].headers as Record<string, string>).map((h) => atob(h.Authorization.slice(6)));
    expect(auth).toEqual(['pt:pt', 'pt:tok']);
    const init = (fetch.mock.calls[1] as unknown as [string, RequestInit])[1];
    expect(init.body).toBeUndefined();
    expect(init.credentials).toBe('include');
    expect(init.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-SDK-Parent-Host': location.origin });
    expect((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body).toBe('{}');
  });

  it('maps JSON errors to TesseraAPIError with every field', async () => {
    const body = { status_code: 404, request_id: 'r-1', error_type: 'session_not_found', error_message: 'gone', error_url: 'u', error_details: { a: 1 } };
    const { request } = setup(() => json(404, body));
    const e = await request<never>('POST', '/sessions/authenticate').catch((x: TesseraAPIError) => x);
    expect(e).toBeInstanceOf(TesseraAPIError);
    expect(e).toMatchObject(body);
    expect(e.message).toContain('session_not_found');
    expect(isUnrecoverable(e)).toBe(true);
  });

  it('non-JSON errors, invalid 2xx JSON and network failures are unreachable errors', async () => {
    for (const answer of [
      () => new Response('Bad gateway', { status: 502, headers: { 'content-type': 'text/plain' } }),
      () => new Response('not json', { status: 200 }),
      () => Promise.reject(new TypeError('Failed to fetch')),
    ]) {
      const e = await setup(answer).request('GET', '/x').catch((x) => x);
      expect(e).toBeInstanceOf(TesseraAPIUnreachableError);
      expect(isUnrecoverable(e)).toBe(false);
    }
  });

  it('lists exactly the four unrecoverable types', () => {
    expect([...UNRECOVERABLE_ERROR_TYPES].sort()).toEqual(
      ['invalid_secret_authentication', 'session_not_found', 'unauthorized_credentials', 'user_unauthenticated'],
    );
    expect(isUnrecoverable(new TesseraAPIError({ status_code: 400, error_type: 'invalid_code' }))).toBe(false);
  });
});
