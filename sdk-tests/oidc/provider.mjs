// A real OpenID provider (oidc-provider) on 127.0.0.1 for Tessera's OAuth/OIDC tests; see README.md.
import { createHash } from 'node:crypto';
import { fstatSync } from 'node:fs';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';

// oidc-provider warns about its in-memory store and, on Node 20, the runtime: expected here.
const quiet = /oidc-provider WARNING: (Unsupported runtime|a quick start development-only in-memory adapter)/;
const warn = console.warn;
console.warn = (...args) => { if (!quiet.test(String(args[0]))) warn(...args); };
console.log = console.info = console.warn; // stdout carries only the one JSON line
const { default: Provider } = await import('oidc-provider');

const config = JSON.parse(process.env.OIDC_CONFIG || '{}');
const faults = new Map(); // client_id -> fault
const clients = (config.clients || []).map(({ fault, ...c }) => {
  if (fault) faults.set(c.client_id, fault);
  return {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
    ...c,
  };
});

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };

const server = createServer();
await new Promise((resolve) => server.listen(config.port || 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// oidc-provider uses the account id as `sub`: it is derived from the login name, as is every claim.
const subOf = (login) => `sub-${createHash('sha256').update(login).digest('hex').slice(0, 16)}`;
const logins = new Map(); // sub -> login name
function claimsFor(login, clientId) {
  const sub = subOf(login);
  const local = login.split('@')[0];
  const given = local.split(/[._+-]/)[0] || local;
  const family = local.split(/[._+-]/).slice(1).join(' ') || 'Tester';
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  return {
    sub,
    ...(login.includes('@') ? {
      email: login,
      email_verified: !login.startsWith('unverified') && faults.get(clientId) !== 'unverified_everyone',
    } : {}),
    name: `${cap(given)} ${cap(family)}`,
    given_name: cap(given),
    family_name: cap(family),
    picture: `https://example.test/${sub}.png`,
    locale: 'en',
  };
}

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [jwk] },
  cookies: { keys: ['tessera-oidc-test-cookie-key'] },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'picture', 'locale'],
  },
  conformIdTokenClaims: false, // put the scope's claims in the id_token too, like Google does
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: (ctx, client) => client.clientAuthMethod === 'none' },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: async () => false,
  ttl: {
    AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, Interaction: 3600,
    RefreshToken: 14 * 86400, Grant: 14 * 86400, Session: 14 * 86400,
  },
  async renderError(ctx, out) {
    const esc = (v) => String(v ?? '').replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Error</title><h1>${esc(out.error)}</h1><p>${esc(out.error_description)}</p>`;
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      claims: async () => claimsFor(logins.get(id) ?? id, ctx.oidc.client?.clientId),
    };
  },
  // No consent screen: a fresh grant of every requested scope and claim.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamOIDCScopes].join(' ') || 'openid');
    grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));

const page = (uid, message = '') => `<!doctype html>
<html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in to the test provider</h1>${message}
<form method="post" action="/interaction/${uid}/login">
<label>Login <input type="text" name="login" autofocus></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button>
</form></body></html>`;

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

provider.use(async (ctx, next) => {
  // Every authorization starts from no provider session, so another account can log in next time.
  if (ctx.path === '/auth' || ctx.path.startsWith('/auth/')) {
    const cookie = (ctx.req.headers.cookie || '').split(/;\s*/)
      .filter((c) => c && !c.startsWith('_session')).join('; ');
    if (cookie) ctx.req.headers.cookie = cookie; else delete ctx.req.headers.cookie;
  }

  const m = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
  if (m) {
    const details = await provider.interactionDetails(ctx.req, ctx.res).catch(() => null);
    if (!details) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = '<!doctype html><title>Error</title><h1>invalid_request</h1><p>interaction session not found</p>';
      return;
    }
    if (details.prompt.name === 'login' && !m[2] && ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = page(details.uid);
      return;
    }
    let result = { consent: {} };
    if (details.prompt.name === 'login') {
      const login = ctx.method === 'POST' ? (await readForm(ctx.req)).get('login')?.trim() : '';
      if (!login) {
        ctx.type = 'html';
        ctx.body = page(details.uid, '<p>Enter a login.</p>');
        return;
      }
      logins.set(subOf(login), login);
      result = { login: { accountId: subOf(login) }, consent: {} };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
    return;
  }

  await next();

  // Faults: re-sign the token endpoint's id_token with a wrong aud or nonce.
  const fault = ctx.oidc?.client && faults.get(ctx.oidc.client.clientId);
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token
      && (fault === 'foreign_aud' || fault === 'bad_nonce')) {
    const payload = decodeJwt(ctx.body.id_token);
    if (fault === 'foreign_aud') payload.aud = 'someone-else';
    else payload.nonce = 'wrong-nonce';
    ctx.body = { ...ctx.body, id_token: await new SignJWT(payload)
      .setProtectedHeader(decodeProtectedHeader(ctx.body.id_token)).sign(privateKey) };
  }
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

// Exit when the parent closes our stdin (only if stdin is a pipe: /dev/null would end at once).
let stdinIsPipe = false;
try { stdinIsPipe = fstatSync(0).isFIFO() || fstatSync(0).isSocket(); } catch { /* no stdin */ }
if (stdinIsPipe) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
