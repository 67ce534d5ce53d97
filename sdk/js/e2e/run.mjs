// Tessera's own browser SDK (@tessera/js, @tessera/react, from this workspace's dist/) in
// Debian's Chromium against a real Tessera over HTTPS. Driven by
// crates/tessera-server/tests/api/tessera_browser.rs, which boots Tessera on each backend and
// answers this script's requests on stdin: it prints {"need": ...} lines and reads one answer
// line each (an email passcode from the harness's SMTP server, a session made through the
// backend API, whether a token still works). Prints PASS last.
//
// Scenarios: the seeds' React components through @tessera/react; three tabs sharing one
// background refresh and seeing a login, a refresh and a logout within a second; a network
// outage that keeps the session and recovers; HttpOnly cookie mode, where no token reaches
// script and a cross-site post is refused; OAuth; passkeys on Chromium's virtual
// authenticators (with and without the browser's WebAuthn JSON helpers); crypto-wallet logins
// signed outside the page by viem (sdk-tests/wallet-signers.cjs).
//
// Environment: TESSERA_URL (https://tessera.test:PORT), PROJECT_ID, PUBLIC_TOKEN (a project in
// readable mode), HTTPONLY_PUBLIC_TOKEN (one in HttpOnly cookie mode), HOSTS (Tessera's host,
// the app's host, another site's host, all mapped to 127.0.0.1), CERT_PEM and KEY_PEM (the
// certificate Chromium is told to trust, also used by the pages), PAGE_PORT.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import walletSigners from '../../../sdk-tests/wallet-signers.cjs';
import { ask, open, run, step } from './lib.mjs';

const { newEthereumWallet, verifyEthereum } = walletSigners;
const here = path.dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const TESSERA = env('TESSERA_URL');
const PUBLIC_TOKEN = env('PUBLIC_TOKEN');
const HTTPONLY_TOKEN = env('HTTPONLY_PUBLIC_TOKEN');
const [TESSERA_HOST, APP_HOST, EVIL_HOST] = env('HOSTS').split(',');
const CERT = fs.readFileSync(env('CERT_PEM'), 'utf8');
const KEY = fs.readFileSync(env('KEY_PEM'), 'utf8');
const PAGE_PORT = Number(env('PAGE_PORT'));
const OIDC_ISSUER = env('OIDC_ISSUER');
const APP = `https://${APP_HOST}:${PAGE_PORT}`;
const EVIL = `https://${EVIL_HOST}:${PAGE_PORT}`;
const AUTHENTICATE = `${TESSERA}/sdk/v1/sessions/authenticate`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The pages

async function reactBundle() {
  const out = await esbuild.build({
    entryPoints: [path.join(here, 'react-app.jsx')],
    bundle: true,
    write: false,
    format: 'iife',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

const html = (title, body) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

// A plain page with the IIFE build: `?mode=httponly` picks the HttpOnly project, `?refresh=MS`
// shortens the background refresh period so that a test can watch several.
const VANILLA = html(
  'vanilla',
  `<script src="/tessera.js"></script><script src="/config.js"></script><script>
  const q = new URLSearchParams(location.search);
  const publicToken = q.get('mode') === 'httponly' ? TESSERA.httponlyToken : TESSERA.publicToken;
  const refreshIntervalMs = q.get('refresh') ? Number(q.get('refresh')) : undefined;
  window.client = new Tessera.TesseraClient(publicToken, { baseUrl: TESSERA.baseUrl, refreshIntervalMs });
  window.changes = [];
  client.session.onChange((s) => changes.push(s ? { session_id: s.session_id, expires_at: s.expires_at } : null));
</script>`,
);

// Another site: a form that posts to Tessera's logout, as a CSRF attack would.
const EVIL_PAGE = html(
  'evil',
  `<form id="f" method="POST" action="${TESSERA}/sdk/v1/sessions/revoke" target="sink">
  <input name="x" value="1"></form><iframe name="sink"></iframe>`,
);

async function serve() {
  const files = {
    '/tessera.js': fs.readFileSync(path.join(here, '../packages/js/dist/tessera.iife.js')),
    '/react-app.js': await reactBundle(),
    '/config.js': `window.TESSERA = ${JSON.stringify({
      publicToken: PUBLIC_TOKEN,
      httponlyToken: HTTPONLY_TOKEN,
      baseUrl: TESSERA,
    })};`,
    '/vanilla.html': VANILLA,
    '/react.html': html(
      'react',
      '<div id="root"></div><script src="/config.js"></script><script src="/react-app.js"></script>',
    ),
    '/home': html('home', '<p id="home">Home</p>'),
    '/evil.html': EVIL_PAGE,
  };
  const server = https.createServer({ cert: CERT, key: KEY }, (req, res) => {
    const route = new URL(req.url, APP).pathname;
    const body = files[route];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const type = route.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(body);
  });
  await new Promise((resolve) => server.listen(PAGE_PORT, '127.0.0.1', resolve));
  return server;
}

/** Counts the refresh requests (sessions/authenticate) every page of `context` sends. */
function countRefreshes(context) {
  const counter = { n: 0, byPage: new Map() };
  const watch = (page) =>
    page.on('request', (r) => {
      if (r.url() === AUTHENTICATE && r.method() === 'POST') {
        counter.n += 1;
        counter.byPage.set(page, (counter.byPage.get(page) ?? 0) + 1);
      }
    });
  context.pages().forEach(watch);
  context.on('page', watch);
  return counter;
}

/** Polls `fn(arg)` in `page` from here until it is truthy: for pages with a fake clock, where
 * Playwright's own waits (driven by the page's timers and animation frames) would not run. */
async function until(page, fn, arg, timeout = 10000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await sleep(50);
  }
}

const settled = (page) =>
  page.waitForFunction(() => client.session.getInfo().fromCache === false, null, { timeout: 10000 });

/** Logs in by email passcode in `page` (a vanilla page). */
async function passcodeLogin(page, email) {
  const methodId = await page.evaluate(
    async (e) => (await client.otps.email.loginOrCreate(e)).method_id,
    email,
  );
  const code = await ask('email_code', { to: email });
  return page.evaluate(
    async ([c, m]) => client.otps.authenticate(c, m, { session_duration_minutes: 60 }),
    [code, methodId],
  );
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async function seedsThroughReact(browser, errors) {
  step('the seeds React components through @tessera/react');
  const context = await browser.newContext();
  let page = await open(context, `${APP}/react.html`, errors);
  // assumeHydrated: initialised from the first render; the startup check confirms "no session".
  await page.waitForFunction(() => renders.some((r) => r.isInitialized && !r.fromCache));
  assert.equal(await page.evaluate(() => renders[0].isInitialized), true);
  assert.equal(await page.evaluate(() => renders.at(-1).session_id), null);

  // Hydrate from the backend: updateSession, then authenticate.
  const backend = JSON.parse(await ask('backend_session', { to: 'react-seeds@example.com' }));
  await page.evaluate((t) => (window.backendTokens = t), backend);
  await page.click('#hydrate');
  await page.waitForFunction(() => window.loggedInAs, null, { timeout: 5000 });
  const last = await page.evaluate(() => renders.at(-1));
  assert.equal(last.session_id, backend.session_id);
  assert.equal(last.user_id, await page.evaluate(() => window.loggedInAs));
  assert.equal(last.factors, 1);

  // Send tokens to the backend: getTokens gives the hydrated session's token, which works there.
  const sent = await page.evaluate(() => sentToBackend.at(-1));
  assert.equal(sent.session_token, backend.session_token);
  assert.equal(await ask('session_alive', { token: sent.session_token }), 'true');
  const cookies = await page.evaluate(() => document.cookie);
  assert.match(cookies, /stytch_session=/, 'readable mode: the token is in a JS cookie');

  // The MFA guard sends a one-factor session home...
  await Promise.all([page.waitForURL(`${APP}/home`), page.click('#show-guarded')]);

  // ...and, after a passcode step-up, shows the page. A fresh load with a fake clock, so the
  // seed's 50-minute RefreshSession can be run forward.
  await page.clock.install();
  await page.goto(`${APP}/react.html`);
  await until(page, () => renders.some((r) => r.session_id && !r.fromCache));
  const email = 'react-seeds@example.com';
  const methodId = await page.evaluate(
    async (e) => (await stytch.otps.email.send(e)).method_id,
    email,
  );
  const code = await ask('email_code', { to: email });
  await page.evaluate(
    async ([c, m]) => stytch.otps.authenticate(c, m, { session_duration_minutes: 30 }),
    [code, methodId],
  );
  await until(page, () => renders.at(-1).factors === 2);
  assert.equal(await page.evaluate(() => renders.at(-1).session_id), backend.session_id);
  await page.click('#show-guarded');
  await until(page, () => document.getElementById('secret'));
  assert.equal(page.url(), `${APP}/react.html`);

  // RefreshSession: 50 minutes on, it makes the session end 60 minutes from now (the step-up
  // set 30).
  const before = await page.evaluate(() => renders.at(-1).expires_at);
  const extended = page.waitForResponse(
    (r) => r.url() === AUTHENTICATE && r.request().postData() === '{"session_duration_minutes":60}',
  );
  await page.clock.runFor(50 * 60 * 1000);
  const answer = await extended;
  assert.equal(answer.status(), 200);
  const answered = (await answer.json()).data.session.expires_at;
  assert.ok(answered > before, `extended: ${answered} after ${before}`);
  try {
    await until(page, (e) => renders.at(-1).expires_at === e, answered);
  } catch (e) {
    const seen = await page.evaluate(() => [renders.at(-1), stytch.session.getSync()?.expires_at]);
    throw new Error(`${e.message}: ${answered} ${JSON.stringify(seen)}`);
  }
  await context.close();
}

async function threeTabs(browser, errors) {
  step('three tabs: one refresh per period, login, refresh and logout everywhere within a second');
  const PERIOD = 4000;
  const context = await browser.newContext();
  const url = `${APP}/vanilla.html?refresh=${PERIOD}`;
  const tabs = [];
  for (let i = 0; i < 3; i += 1) tabs.push(await open(context, url, errors));
  await Promise.all(tabs.map(settled));
  const counter = countRefreshes(context);
  const [a, b, c] = tabs;

  const email = 'tabs@example.com';
  await passcodeLogin(a, email);
  const sessionId = await a.evaluate(() => client.session.getSync().session_id);
  const t0 = Date.now();
  for (const tab of [b, c]) {
    await tab.waitForFunction((id) => client.session.getSync()?.session_id === id, sessionId, {
      timeout: 1000,
    });
  }
  step(`login seen in every tab after ${Date.now() - t0} ms`);

  // Three and a half periods: three refreshes in all, not three per tab.
  counter.n = 0;
  await sleep(PERIOD * 3.5);
  assert.equal(counter.n, 3, `one refresh per period across three tabs (saw ${counter.n})`);

  // A refresh with a new duration in one tab changes expires_at in the others.
  const expires = await b.evaluate(
    async () => (await client.session.authenticate({ session_duration_minutes: 90 })).session.expires_at,
  );
  for (const tab of [a, c]) {
    await tab.waitForFunction((e) => client.session.getSync()?.expires_at === e, expires, {
      timeout: 1000,
    });
  }

  // The leader leaves: another tab takes the refresh over.
  const leader = [...counter.byPage.entries()].sort((x, y) => y[1] - x[1])[0][0];
  const rest = tabs.filter((t) => t !== leader);
  await leader.close();
  counter.n = 0;
  await sleep(PERIOD * 2.5);
  assert.equal(counter.n, 2, `the next leader refreshes once per period (saw ${counter.n})`);

  // Logout in one tab reaches the other within a second, and ends the session on the server.
  const token = await rest[0].evaluate(() => client.session.getTokens().session_token);
  await rest[1].evaluate(() => client.session.revoke());
  await rest[0].waitForFunction(() => client.session.getSync() === null, null, { timeout: 1000 });
  assert.equal(await ask('session_alive', { token }), 'false');
  await context.close();
}

async function devices(browser, errors) {
  step('devices: two browsers of one user list each other through session.devices(); revokeOthers logs the other out');
  const email = 'devices@example.com';
  const laptop = await browser.newContext();
  const phone = await browser.newContext({
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 ' +
      '(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  });
  const a = await open(laptop, `${APP}/vanilla.html`, errors);
  const b = await open(phone, `${APP}/vanilla.html`, errors);
  await Promise.all([a, b].map(settled));
  await passcodeLogin(a, email);
  await passcodeLogin(b, email);
  const list = await a.evaluate(() => client.session.devices());
  assert.equal(list.length, 2, JSON.stringify(list));
  const mine = list.find((d) => d.current);
  const other = list.find((d) => !d.current);
  assert.equal(mine.session_id, await a.evaluate(() => client.session.getSync().session_id));
  assert.match(mine.browser, /Chrom/, JSON.stringify(mine));
  assert.equal(other.device, 'smartphone', JSON.stringify(other));
  assert.equal(other.browser, 'Safari 17.0');
  assert.deepEqual(other.factors, ['otp']);
  step(`devices: ${list.map((d) => `${d.browser} on ${d.os} (${d.device})`).join('; ')}`);
  assert.equal(await a.evaluate(() => client.session.revokeOthers()), 1);
  assert.equal((await a.evaluate(() => client.session.devices())).length, 1);
  // The phone learns at its next refresh that its session is gone.
  await b.evaluate(() => client.session.authenticate().catch(() => null));
  await b.waitForFunction(() => client.session.getSync() === null, null, { timeout: 5000 });
  await laptop.close();
  await phone.close();
}

async function outage(browser, errors) {
  step('a network outage keeps the session and recovers');
  const context = await browser.newContext();
  const page = await open(context, `${APP}/vanilla.html?refresh=2000`, errors);
  await settled(page);
  await passcodeLogin(page, 'outage@example.com');
  const token = await page.evaluate(() => client.session.getTokens().session_token);
  const failed = [];
  page.on('requestfailed', (r) => r.url() === AUTHENTICATE && failed.push(r.url()));
  await context.setOffline(true);
  await sleep(4500); // the refresh at 2 s fails; the first retry waits about 4 s more
  assert.ok(failed.length >= 1, 'a refresh was attempted and failed');
  assert.notEqual(await page.evaluate(() => client.session.getSync()), null, 'session kept');
  assert.equal(await page.evaluate(() => client.session.getTokens().session_token), token);
  const recovered = page.waitForResponse((r) => r.url() === AUTHENTICATE && r.status() === 200, {
    timeout: 15000,
  });
  await context.setOffline(false);
  await recovered;

  // A 5xx from a proxy in front of Tessera: kept too.
  await page.route(AUTHENTICATE, (route) =>
    route.fulfill({
      status: 503,
      body: 'Service Unavailable',
      headers: { 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true' },
    }),
  );
  const err = await page.evaluate(async () => {
    try {
      await client.session.authenticate();
      return null;
    } catch (e) {
      return e.name;
    }
  });
  assert.ok(err, 'the 503 is reported to the caller');
  assert.notEqual(await page.evaluate(() => client.session.getSync()), null, 'session kept');
  await page.unroute(AUTHENTICATE);
  await page.evaluate(() => client.session.authenticate());
  assert.equal(await ask('session_alive', { token }), 'true');
  await context.close();
}

async function httpOnly(browser, errors) {
  step('HttpOnly cookie mode: no token reaches script; a cross-site post is refused');
  const context = await browser.newContext();
  const url = `${APP}/vanilla.html?mode=httponly`;
  const page = await open(context, url, errors);
  await settled(page);
  const created = await page.evaluate(() =>
    client.passwords.create({
      email: 'httponly@example.com',
      password: 'vapor-Glacier-83-tundra-quill',
      session_duration_minutes: 60,
    }),
  );
  assert.equal(created.session_token, '');
  assert.equal(created.session_jwt, '');
  const noToken = async () => {
    assert.doesNotMatch(await page.evaluate(() => document.cookie), /stytch_session/);
    assert.equal(await page.evaluate(() => client.session.getTokens()), null);
  };
  await noToken();
  const jar = await context.cookies(TESSERA);
  for (const name of ['stytch_session', 'stytch_session_jwt']) {
    const c = jar.find((x) => x.name === name);
    assert.ok(c, `${name} set by Tessera`);
    assert.equal(c.httpOnly, true);
    assert.equal(c.secure, true);
    assert.equal(c.sameSite, 'Lax');
  }
  // The cookie carries the session: a refresh, and a reload restores it.
  await page.evaluate(() => client.session.authenticate());
  await page.reload();
  await settled(page);
  assert.equal(
    await page.evaluate(() => client.session.getSync()?.session_id),
    created.session.session_id,
  );
  await noToken();

  // Another site posts a logout form at Tessera, and tries a credentialed fetch.
  const evil = await open(context, `${EVIL}/evil.html`, []);
  await evil.evaluate(() => document.getElementById('f').submit());
  await sleep(500);
  const fetched = await evil.evaluate(async (u) => {
    try {
      const r = await fetch(u, {
        method: 'POST',
        credentials: 'include',
        headers: { authorization: 'Basic ' + btoa('x:y'), 'x-sdk-parent-host': location.origin },
      });
      return `status ${r.status}`;
    } catch (e) {
      return String(e);
    }
  }, `${TESSERA}/sdk/v1/sessions/revoke`);
  assert.match(fetched, /TypeError/, 'the CORS preflight refuses another site');
  await evil.close();
  // The session survived both.
  const still = await page.evaluate(async () => (await client.session.authenticate()).session.session_id);
  assert.equal(still, created.session.session_id);

  // Logout clears Tessera's cookies.
  await page.evaluate(() => client.session.revoke());
  const after = await context.cookies(TESSERA);
  assert.equal(after.filter((c) => c.name.startsWith('stytch_session')).length, 0);
  assert.equal(await page.evaluate(() => client.session.getSync()), null);
  await context.close();
}

async function oauthLogin(browser, errors) {
  step('OAuth through @tessera/js: oauth.google.start, the provider\'s login page, authenticateByUrl (PKCE)');
  const context = await browser.newContext();
  const landing = `${APP}/vanilla.html`;
  const page = await open(context, landing, errors);
  await settled(page);
  // start() navigates away: its promise never settles in this page.
  page
    .evaluate((u) => client.oauth.google.start({ login_redirect_url: u, signup_redirect_url: u }), landing)
    .catch(() => {});
  await page.waitForURL((u) => u.href.startsWith(OIDC_ISSUER), { timeout: 15000 });
  await page.fill('input[name=login]', 'tessera-js-oauth@example.com');
  await page.fill('input[name=password]', 'anything');
  await page.click('button[type=submit]');
  await page.waitForURL(
    (u) => u.href.startsWith(landing) && u.search.includes('stytch_token_type=oauth'),
    { timeout: 15000 },
  );
  await settled(page);
  const r = await page.evaluate(() => client.authenticateByUrl({ session_duration_minutes: 60 }));
  assert.equal(r.handled, true);
  assert.equal(r.tokenType, 'oauth');
  assert.equal(r.data.provider_type, 'Google');
  const s = await page.evaluate(() => client.session.getSync());
  assert.equal(s.authentication_factors[0].delivery_method, 'oauth_google');
  assert.equal(await page.evaluate(() => location.search), '', 'the token left the address bar');
  const token = await page.evaluate(() => client.session.getTokens().session_token);
  assert.equal(await ask('session_alive', { token }), 'true');
  await context.close();
}

/** The paths of the requests `page` sends to Tessera under `prefix` (e.g. `/sdk/v1/webauthn/`). */
function recordPaths(page, prefix) {
  const paths = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === TESSERA && u.pathname.startsWith(prefix)) paths.push(`${r.method()} ${u.pathname}`);
  });
  return paths;
}

async function passkeys(browser, errors) {
  step('passkeys through @tessera/js: webauthn.register in a logged-in session (virtual authenticator)');
  const context = await browser.newContext();
  const page = await open(context, `${APP}/vanilla.html`, errors);
  await settled(page);
  const paths = recordPaths(page, '/sdk/v1/webauthn/');
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const addAuthenticator = async (options) =>
    (
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true, ...options },
      })
    ).authenticatorId;
  const credentialsOn = async (authenticatorId) => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  const platform = await addAuthenticator({ transport: 'internal', hasResidentKey: true });
  const userAgent = await page.evaluate(() => navigator.userAgent);
  const checkFactor = (f, registrationId) => {
    assert.equal(f.type, 'webauthn');
    assert.equal(f.delivery_method, 'webauthn_registration');
    assert.equal(f.webauthn_factor.webauthn_registration_id, registrationId);
    assert.equal(f.webauthn_factor.domain, APP_HOST);
    assert.equal(f.webauthn_factor.user_agent, userAgent);
  };
  // The browser's own JSON conversions are what the SDK uses here (Chromium has them).
  assert.equal(
    await page.evaluate(() => typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function' && typeof PublicKeyCredential.prototype.toJSON === 'function'),
    true,
  );

  const email = 'passkeys@example.com';
  const first = await passcodeLogin(page, email);
  // No domain given: the SDK sends the page's host name, an authorized origin's host.
  const registered = await page.evaluate(() => client.webauthn.register({ is_passkey: true, session_duration_minutes: 60 }));
  const passkeyId = registered.webauthn_registration_id;
  assert.ok(passkeyId, 'a webauthn_registration_id');
  assert.equal(registered.user_id, first.user_id);
  assert.equal(registered.session.session_id, first.session.session_id, 'the factor joined the session');
  let s = await page.evaluate(() => client.session.getSync());
  assert.equal(s.session_id, first.session.session_id);
  assert.deepEqual(s.authentication_factors.map((f) => f.delivery_method), ['email', 'webauthn_registration']);
  checkFactor(s.authentication_factors[1], passkeyId);
  let user = await page.evaluate(() => client.user.getSync());
  assert.deepEqual(
    user.webauthn_registrations.map((r) => [r.webauthn_registration_id, r.domain, r.user_agent, r.verified]),
    [[passkeyId, APP_HOST, userAgent, true]],
  );
  const onPlatform = await credentialsOn(platform);
  assert.equal(onPlatform.length, 1);
  assert.equal(onPlatform[0].rpId, APP_HOST);
  assert.equal(onPlatform[0].isResidentCredential, true, 'is_passkey asked for a discoverable credential');
  assert.deepEqual(paths.splice(0), ['POST /sdk/v1/webauthn/register/start', 'POST /sdk/v1/webauthn/register']);

  step('passkeys: log out, then log in with the passkey (discoverable: no user named)');
  const oldToken = await page.evaluate(() => client.session.getTokens().session_token);
  await page.evaluate(() => client.session.revoke());
  assert.equal(await page.evaluate(() => client.session.getSync()), null);
  assert.equal(await ask('session_alive', { token: oldToken }), 'false');
  const viaPasskey = await page.evaluate(() => client.webauthn.authenticate({ session_duration_minutes: 60, is_passkey: true }));
  assert.deepEqual(paths.splice(0), ['POST /sdk/v1/webauthn/authenticate/start/primary', 'POST /sdk/v1/webauthn/authenticate']);
  assert.equal(viaPasskey.user_id, first.user_id);
  assert.equal(viaPasskey.webauthn_registration_id, passkeyId);
  assert.notEqual(viaPasskey.session.session_id, first.session.session_id);
  s = await page.evaluate(() => client.session.getSync());
  assert.equal(s.session_id, viaPasskey.session.session_id);
  assert.equal(s.authentication_factors.length, 1);
  checkFactor(s.authentication_factors[0], passkeyId);
  const token = await page.evaluate(() => client.session.getTokens().session_token);
  assert.equal(await ask('session_alive', { token }), 'true');

  step('passkeys: webauthn.update renames it (the cached user too)');
  const renamed = await page.evaluate(
    (id) => client.webauthn.update({ webauthn_registration_id: id, name: 'E2E passkey' }),
    passkeyId,
  );
  assert.equal(renamed.webauthn_registration.webauthn_registration_id, passkeyId);
  assert.equal(renamed.webauthn_registration.name, 'E2E passkey');
  assert.equal(await page.evaluate(() => client.user.getSync().webauthn_registrations[0].name), 'E2E passkey');
  assert.equal((await page.evaluate(() => client.user.get())).webauthn_registrations[0].name, 'E2E passkey');

  step("passkeys without the browser's WebAuthn JSON helpers: a security key registered, then a step-up with it");
  // As in browsers before WebAuthn level 3: the SDK's own base64url conversions, both ways.
  await page.evaluate(() => {
    delete PublicKeyCredential.parseCreationOptionsFromJSON;
    delete PublicKeyCredential.parseRequestOptionsFromJSON;
    delete PublicKeyCredential.prototype.toJSON;
  });
  assert.equal(await page.evaluate(() => 'toJSON' in PublicKeyCredential.prototype), false);
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: platform });
  const usb = await addAuthenticator({ transport: 'usb', hasResidentKey: false });
  const key = await page.evaluate(() =>
    client.webauthn.register({ authenticator_type: 'cross-platform', session_duration_minutes: 60 }),
  );
  const keyId = key.webauthn_registration_id;
  assert.ok(keyId && keyId !== passkeyId, keyId);
  assert.equal(key.session.session_id, viaPasskey.session.session_id);
  assert.equal((await credentialsOn(usb)).length, 1);
  user = await page.evaluate(() => client.user.getSync());
  assert.deepEqual(
    user.webauthn_registrations.map((r) => [r.webauthn_registration_id, r.authenticator_type]).sort(),
    [[passkeyId, 'platform'], [keyId, 'cross-platform']].sort(),
  );
  // Logged in: start/secondary lists the user's credentials (allowCredentials, decoded by the SDK).
  const stepped = await page.evaluate(() => client.webauthn.authenticate({ session_duration_minutes: 60 }));
  assert.equal(stepped.webauthn_registration_id, keyId);
  assert.equal(stepped.session.session_id, viaPasskey.session.session_id, 'the same session, stepped up');
  assert.deepEqual(paths.splice(0).filter((p) => p.includes('/authenticate')), [
    'POST /sdk/v1/webauthn/authenticate/start/secondary',
    'POST /sdk/v1/webauthn/authenticate',
  ]);
  s = await page.evaluate(() => client.session.getSync());
  assert.ok(
    s.authentication_factors.some((f) => f.webauthn_factor?.webauthn_registration_id === keyId),
    JSON.stringify(s.authentication_factors),
  );
  await context.close();
}

async function cryptoWallet(browser, errors) {
  step('crypto wallet through @tessera/js: an Ethereum login signed by viem outside the page');
  const context = await browser.newContext();
  const page = await open(context, `${APP}/vanilla.html`, errors);
  await settled(page);
  const paths = recordPaths(page, '/sdk/v1/crypto_wallets/');
  const wallet = newEthereumWallet();
  const login = async (siweParams) => {
    const start = await page.evaluate(
      ([a, siwe_params]) =>
        client.cryptoWallets.authenticateStart({ crypto_wallet_address: a, crypto_wallet_type: 'ethereum', siwe_params }),
      [wallet.address, siweParams],
    );
    const signature = await wallet.sign(start.challenge);
    assert.equal(await verifyEthereum(wallet.address, start.challenge, signature), true);
    const r = await page.evaluate(
      ([a, sig]) =>
        client.cryptoWallets.authenticate({
          crypto_wallet_address: a,
          crypto_wallet_type: 'ethereum',
          signature: sig,
          session_duration_minutes: 60,
        }),
      [wallet.address, signature],
    );
    return { start, r };
  };
  const { start, r } = await login(undefined);
  assert.ok(start.challenge.startsWith('Signing in with Project: '), start.challenge);
  assert.deepEqual(paths.splice(0), [
    'POST /sdk/v1/crypto_wallets/authenticate/start/primary',
    'POST /sdk/v1/crypto_wallets/authenticate',
  ]);
  let s = await page.evaluate(() => client.session.getSync());
  assert.equal(s.session_id, r.session.session_id);
  assert.equal(s.authentication_factors.length, 1);
  const f = s.authentication_factors[0];
  assert.equal(f.type, 'crypto');
  assert.equal(f.delivery_method, 'crypto_wallet');
  assert.equal(f.crypto_wallet_factor.crypto_wallet_address, wallet.address);
  assert.equal(f.crypto_wallet_factor.crypto_wallet_type, 'ethereum');
  const user = await page.evaluate(() => client.user.getSync());
  assert.equal(user.user_id, r.user_id);
  assert.deepEqual(
    user.crypto_wallets.map((w) => [w.crypto_wallet_id, w.crypto_wallet_address, w.crypto_wallet_type, w.verified]),
    [[f.crypto_wallet_factor.crypto_wallet_id, wallet.address, 'ethereum', true]],
  );
  const token = await page.evaluate(() => client.session.getTokens().session_token);
  assert.equal(await ask('session_alive', { token }), 'true');

  step('crypto wallet: log out, then a Sign-In with Ethereum login (siwe_params, URI the page origin)');
  await page.evaluate(() => client.session.revoke());
  assert.equal(await ask('session_alive', { token }), 'false');
  const siwe = await login({ statement: 'Sign in to the Tessera e2e app.' });
  const host = new URL(APP).host;
  assert.ok(siwe.start.challenge.startsWith(`${host} wants you to sign in with your Ethereum account:\n${wallet.address}\n`), siwe.start.challenge);
  assert.match(siwe.start.challenge, new RegExp(`\\nURI: ${APP.replace(/[.]/g, '\\.')}\\n`));
  assert.match(siwe.start.challenge, /\nSign in to the Tessera e2e app\.\n/);
  assert.equal(siwe.r.user_id, r.user_id, 'the same wallet, the same user');
  assert.notEqual(siwe.r.session.session_id, r.session.session_id);
  s = await page.evaluate(() => client.session.getSync());
  assert.equal(s.session_id, siwe.r.session.session_id);
  await context.close();
}

run({
  hosts: [TESSERA_HOST, APP_HOST, EVIL_HOST],
  certPem: CERT,
  serve,
  scenarios: [seedsThroughReact, threeTabs, devices, outage, httpOnly, oauthLogin, passkeys, cryptoWallet],
});
