// Self-check of provider.mjs and login.mjs: a full code flow with PKCE, then each fault. Exits 0 when all pass.
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { strict as assert } from 'node:assert';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';

const dir = new URL('.', import.meta.url).pathname;
const cb = 'http://127.0.0.1:9/cb';
const client = (id, fault) => ({ client_id: id, client_secret: `${id}-secret`, redirect_uris: [cb], ...(fault ? { fault } : {}) });
const clients = [client('good'), client('foreign', 'foreign_aud'), client('nonce', 'bad_nonce'), client('unverified', 'unverified_everyone')];

const provider = spawn('node', [`${dir}provider.mjs`], {
  env: { ...process.env, OIDC_CONFIG: JSON.stringify({ port: 0, clients }) },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const [line] = await once(createInterface({ input: provider.stdout }), 'line');
const { issuer } = JSON.parse(line);
const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
console.log('issuer', issuer);

const b64url = (buf) => buf.toString('base64url');
async function login(c, account, cookies = {}, extra = {}) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(12));
  const nonce = b64url(randomBytes(12));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: c.client_id, response_type: 'code', redirect_uri: cb, scope: 'openid email profile offline_access',
    state, nonce, code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256', ...extra,
  });
  const seed = Object.entries(cookies).flatMap(([h, kv]) => Object.entries(kv).flatMap(([k, v]) => ['--cookie', `${h}=${k}=${v}`]));
  const { stdout } = await promisify(execFile)('node', [`${dir}login.mjs`, url.href, account, '--stop-at-callback', cb, ...seed]);
  const out = JSON.parse(stdout);
  const back = new URL(out.location);
  assert.equal(back.searchParams.get('state'), state);
  assert.equal(back.searchParams.get('iss'), issuer);
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: cb, code_verifier: verifier }),
  });
  const tokens = await res.json();
  assert.equal(res.status, 200, JSON.stringify(tokens));
  return { tokens, nonce, cookies: out.cookies };
}
const userinfo = async (at) => (await fetch(meta.userinfo_endpoint, { headers: { authorization: `Bearer ${at}` } })).json();

// 1. A good client: verify the id_token, read userinfo, refresh with client_secret_post.
const good = clients[0];
const first = await login(good, 'alice.smith@example.com');
const { payload } = await jwtVerify(first.tokens.id_token, jwks, { issuer, audience: good.client_id });
assert.equal(payload.nonce, first.nonce);
assert.equal(payload.email_verified, true);
console.log('id_token', payload);
const claims = await userinfo(first.tokens.access_token);
assert.equal(claims.email, 'alice.smith@example.com');
assert.equal(claims.sub, payload.sub);
assert.equal(payload.sub, `sub-${createHash('sha256').update('alice.smith@example.com').digest('hex').slice(0, 16)}`);
console.log('userinfo', claims);
assert.ok(first.tokens.refresh_token, 'a refresh token');
const refreshed = await (await fetch(meta.token_endpoint, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first.tokens.refresh_token, client_id: good.client_id, client_secret: good.client_secret }),
})).json();
assert.ok(refreshed.access_token && refreshed.id_token, JSON.stringify(refreshed));
console.log('refresh ok, token scope:', first.tokens.scope);

// 2. A second login in the same cookie jar, as another (unverified) account; prompt=consent keeps offline_access.
const second = await login(good, 'unverified-bob@example.com', first.cookies, { prompt: 'consent' });
assert.match(second.tokens.scope, /offline_access/);
const p2 = (await jwtVerify(second.tokens.id_token, jwks, { issuer, audience: good.client_id })).payload;
assert.notEqual(p2.sub, payload.sub);
assert.equal(p2.email_verified, false);
console.log('second login ok:', p2.email, 'email_verified', p2.email_verified);

// 3. Faults: signed by the provider's key, but wrong aud / wrong nonce / unverified email.
const foreign = await login(clients[1], 'carol@example.com');
const pf = (await jwtVerify(foreign.tokens.id_token, jwks, { issuer })).payload;
assert.equal(pf.aud, 'someone-else');
await assert.rejects(jwtVerify(foreign.tokens.id_token, jwks, { issuer, audience: clients[1].client_id }));
console.log('foreign_aud: aud =', pf.aud);
const bad = await login(clients[2], 'dave@example.com');
const pn = (await jwtVerify(bad.tokens.id_token, jwks, { issuer, audience: clients[2].client_id })).payload;
assert.equal(pn.nonce, 'wrong-nonce');
console.log('bad_nonce: nonce =', pn.nonce);
const unv = await login(clients[3], 'erin@example.com');
assert.equal(decodeJwt(unv.tokens.id_token).email_verified, false);
assert.equal((await userinfo(unv.tokens.access_token)).email_verified, false);
console.log('unverified_everyone: email_verified = false in id_token and userinfo');

provider.stdin.end(); // the provider exits when its stdin closes
const [code] = await once(provider, 'exit');
assert.equal(code, 0);
console.log('selfcheck: 1 passed, 0 failed');
