// @vitest-environment node
// getServerSession against a real JWKS endpoint on 127.0.0.1 with RS256 keys made here.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getServerSession } from './server';

const PROJECT = 'project-test-11111111-1111-4111-8111-111111111111';
let http: Server;
let baseUrl: string;
let sign: (claims: Record<string, unknown>, opts?: { iss?: string; aud?: string; exp?: number }) => Promise<string>;
let jwksHits = 0;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'jwk-test-1', alg: 'RS256', use: 'sig' };
  http = createServer((req, res) => {
    if (req.url === `/v1/sessions/jwks/${PROJECT}`) {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk], request_id: 'r', status_code: 200 }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  sign = (claims, o = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'jwk-test-1', typ: 'JWT' })
      .setIssuer(o.iss ?? `stytch.com/${PROJECT}`)
      .setAudience([o.aud ?? PROJECT])
      .setSubject('user-test-1')
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(o.exp ?? now + 300)
      .sign(o.iss === 'wrong-key' ? other.privateKey : privateKey);
  };
});

afterAll(() => new Promise<void>((r) => http.close(() => r())));

const sessionClaim = (expires = new Date(Date.now() + 3600_000).toISOString()) => ({
  'https://stytch.com/session': {
    id: 'session-test-1',
    started_at: '2025-01-01T00:00:00Z',
    last_accessed_at: '2025-01-01T00:00:00Z',
    expires_at: expires,
    attributes: { ip_address: '', user_agent: '' },
    authentication_factors: [{ type: 'otp', delivery_method: 'sms', last_authenticated_at: '2025-01-01T00:00:00Z' }],
    roles: ['stytch_user'],
  },
  plan: 'pro',
});

describe('getServerSession', () => {
  it('verifies the cookie JWT from a header, a record or a get() object', async () => {
    const jwt = await sign(sessionClaim());
    const opts = { projectId: PROJECT, baseUrl };
    const fromHeader = await getServerSession(`other=1; stytch_session_jwt=${jwt}; x=y`, opts);
    expect(fromHeader).toMatchObject({
      session_id: 'session-test-1',
      user_id: 'user-test-1',
      authentication_factors: [{ type: 'otp' }],
      custom_claims: { plan: 'pro' },
      claims: { sub: 'user-test-1' },
    });
    expect(await getServerSession({ stytch_session_jwt: jwt }, opts)).toMatchObject({ session_id: 'session-test-1' });
    expect(await getServerSession({ get: (n: string) => (n === 'stytch_session_jwt' ? { value: jwt } : undefined) }, opts)).not.toBeNull();
    expect(await getServerSession(new Map([['stytch_session_jwt', jwt]]), opts)).not.toBeNull();
    expect(jwksHits).toBe(1); // the key set is cached per URL
  });

  it('returns null when absent, forged, for another project, expired, or the session has ended', async () => {
    const opts = { projectId: PROJECT, baseUrl };
    const now = Math.floor(Date.now() / 1000);
    expect(await getServerSession('a=b', opts)).toBeNull();
    expect(await getServerSession(undefined, opts)).toBeNull();
    expect(await getServerSession({ stytch_session_jwt: await sign(sessionClaim(), { iss: 'wrong-key' }) }, opts)).toBeNull();
    expect(await getServerSession({ stytch_session_jwt: await sign(sessionClaim(), { aud: 'project-test-other' }) }, opts)).toBeNull();
    expect(await getServerSession({ stytch_session_jwt: await sign(sessionClaim(), { exp: now - 60 }) }, opts)).toBeNull();
    expect(await getServerSession({ stytch_session_jwt: await sign(sessionClaim(new Date(Date.now() - 1000).toISOString())) }, opts)).toBeNull();
    expect(await getServerSession({ stytch_session_jwt: 'not-a-jwt' }, opts)).toBeNull();
    // Within the clock tolerance an just-expired JWT still passes.
    expect(await getServerSession({ stytch_session_jwt: await sign(sessionClaim(), { exp: now - 2 }) }, opts)).not.toBeNull();
  });
});
