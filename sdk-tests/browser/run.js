// Stytch's official browser SDK (@stytch/vanilla-js, unchanged) in Debian's Chromium against a
// Tessera instance with TLS on port 443, configured only with `customBaseUrl`.
//
// Driven by crates/tessera-server/tests/api/browser.rs, which boots Tessera and answers this
// script's requests on stdin: it prints {"need": ...} lines and reads one answer line each
// (a magic link from the harness's SMTP server, a code from its SMS webhook receiver, a session
// made through the backend API, whether a token still works on the server). Prints PASS last.
//
// Environment: PUBLIC_TOKEN, TESSERA_HOST (a name Chromium maps to 127.0.0.1), CERT_PEM (the
// server's self-signed certificate, which Chromium is told to trust), PAGE_PORT (where this
// script serves the test page, an authorized origin of the project), OIDC_ISSUER (a real
// OpenID provider on loopback, configured as the project's Google).
//
// Crypto wallets are signed on the Node side by ../wallet-signers.cjs (viem, tweetnacl + bs58,
// independent of the server) and the signature is handed to the page, as a wallet extension would.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');
const { chromium } = require('playwright-core');
const { launchChromium } = require('../chromium.cjs');
const { newEthereumWallet, newSolanaWallet } = require('../wallet-signers.cjs');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const PUBLIC_TOKEN = env('PUBLIC_TOKEN');
const HOST = env('TESSERA_HOST');
const PAGE_PORT = Number(env('PAGE_PORT'));
const CERT_PEM = fs.readFileSync(env('CERT_PEM'), 'utf8');
const OIDC_ISSUER = env('OIDC_ISSUER');
const APP_URL = `http://localhost:${PAGE_PORT}/app.html`;

const input = readline.createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
async function ask(need, args) {
  console.log(JSON.stringify({ need, ...args }));
  const { value } = await lines.next();
  return value;
}
const step = (s) => console.log(`# ${s}`);

function serve() {
  const sdk = fs.readFileSync(
    path.join(__dirname, 'node_modules/@stytch/vanilla-js/dist/iife/index.headless.js'),
  );
  const page = fs.readFileSync(path.join(__dirname, 'app.html'));
  const config = `window.TESSERA = ${JSON.stringify({
    publicToken: PUBLIC_TOKEN,
    baseUrl: `https://${HOST}`,
  })};`;
  const server = http.createServer((req, res) => {
    const route = new URL(req.url, APP_URL).pathname;
    const body = { '/app.html': page, '/stytch.js': sdk, '/config.js': config }[route];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    const type = route.endsWith('.html') ? 'text/html' : 'text/javascript';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(body);
  });
  return new Promise((resolve) => server.listen(PAGE_PORT, '127.0.0.1', () => resolve(server)));
}

// RFC 6238 (SHA-1, 6 digits, 30 s) on node:crypto, independent of the server's TOTP library.
function totpCode(secretBase32, unixSeconds) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let acc = 0;
  const key = [];
  for (const ch of secretBase32.replace(/=+$/, '')) {
    acc = (acc << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      key.push((acc >>> bits) & 0xff);
    }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = crypto.createHmac('sha1', Buffer.from(key)).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

async function expectRejected(promise, errorType) {
  try {
    await promise;
  } catch (e) {
    assert.ok(String(e.message || e).includes(errorType), String(e));
    return;
  }
  assert.fail(`expected ${errorType}`);
}

function jwtPayload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

// Crypto wallets through client.cryptoWallets: an Ethereum login while logged out (start goes to
// .../start/primary), then a Solana wallet added to that session (.../start/secondary), then
// logout. The page starts and ends logged out.
async function cryptoWalletStep(page, ev) {
  const starts = [];
  const onRequest = (r) => {
    if (r.url().startsWith(`https://${HOST}/sdk/v1/crypto_wallets/authenticate/start/`)) {
      starts.push({ path: new URL(r.url()).pathname, body: JSON.parse(r.postData() || 'null') });
    }
  };
  page.on('request', onRequest);
  try {
    assert.equal(await ev(() => client.session.getSync()), null);

    step('crypto wallet: ethereum login, the challenge signed outside the page');
    const eth = newEthereumWallet();
    const ethStart = await ev(
      (a) => client.cryptoWallets.authenticateStart({ crypto_wallet_address: a, crypto_wallet_type: 'ethereum' }),
      eth.address,
    );
    // siwe_required_for_crypto_wallets is false in bootstrap: a plain challenge, no siwe_params.
    assert.ok(ethStart.challenge.startsWith('Signing in with Project: '), ethStart.challenge);
    assert.deepEqual(starts.map((r) => r.path), ['/sdk/v1/crypto_wallets/authenticate/start/primary']);
    assert.deepEqual(starts[0].body, { crypto_wallet_address: eth.address, crypto_wallet_type: 'ethereum' });
    const ethSig = await eth.sign(ethStart.challenge);
    const ethAuth = await ev(
      ({ a, sig }) => client.cryptoWallets.authenticate({
        crypto_wallet_address: a,
        crypto_wallet_type: 'ethereum',
        signature: sig,
        session_duration_minutes: 60,
      }),
      { a: eth.address, sig: ethSig },
    );
    assert.ok(ethAuth.session_token && ethAuth.session_jwt);
    let s = await ev(() => client.session.getSync());
    assert.equal(s.session_id, ethAuth.session.session_id);
    assert.equal(s.authentication_factors.length, 1);
    const ethFactor = s.authentication_factors[0];
    assert.equal(ethFactor.type, 'crypto');
    assert.equal(ethFactor.delivery_method, 'crypto_wallet');
    assert.equal(ethFactor.crypto_wallet_factor.crypto_wallet_address, eth.address);
    assert.equal(ethFactor.crypto_wallet_factor.crypto_wallet_type, 'ethereum');
    let user = await ev(() => client.user.getSync());
    assert.equal(user.user_id, ethAuth.user_id);
    assert.deepEqual(
      user.crypto_wallets.map((w) => [w.crypto_wallet_id, w.crypto_wallet_address, w.crypto_wallet_type, w.verified]),
      [[ethFactor.crypto_wallet_factor.crypto_wallet_id, eth.address, 'ethereum', true]],
    );
    assert.equal(await ev(() => changes[changes.length - 1].session_id), s.session_id);
    const token = await ev(() => client.session.getTokens().session_token);
    assert.equal(await ask('session_alive', { token }), 'true');

    step('crypto wallet: a solana wallet added to the logged-in session');
    const sol = newSolanaWallet();
    const solStart = await ev(
      (a) => client.cryptoWallets.authenticateStart({ crypto_wallet_address: a, crypto_wallet_type: 'solana' }),
      sol.address,
    );
    assert.ok(solStart.challenge.startsWith('Signing in with Project: '), solStart.challenge);
    assert.equal(starts[1].path, '/sdk/v1/crypto_wallets/authenticate/start/secondary');
    assert.deepEqual(starts[1].body, { crypto_wallet_address: sol.address, crypto_wallet_type: 'solana' });
    const solSig = await sol.sign(solStart.challenge);
    const solAuth = await ev(
      ({ a, sig }) => client.cryptoWallets.authenticate({
        crypto_wallet_address: a,
        crypto_wallet_type: 'solana',
        signature: sig,
        session_duration_minutes: 60,
      }),
      { a: sol.address, sig: solSig },
    );
    assert.equal(solAuth.user_id, ethAuth.user_id, 'attached to the logged-in user');
    s = await ev(() => client.session.getSync());
    assert.equal(s.session_id, ethAuth.session.session_id, 'the same session');
    assert.ok(
      s.authentication_factors.some((f) => f.type === 'crypto'
        && f.delivery_method === 'crypto_wallet'
        && f.crypto_wallet_factor.crypto_wallet_address === sol.address
        && f.crypto_wallet_factor.crypto_wallet_type === 'solana'),
      JSON.stringify(s.authentication_factors),
    );
    user = await ev(() => client.user.getSync());
    assert.deepEqual(
      user.crypto_wallets.map((w) => [w.crypto_wallet_address, w.crypto_wallet_type, w.verified]).sort(),
      [[eth.address, 'ethereum', true], [sol.address, 'solana', true]].sort(),
    );

    step('crypto wallet: log out');
    await ev(() => client.session.revoke());
    assert.equal(await ev(() => client.session.getSync()), null);
    assert.equal(await ev(() => changes[changes.length - 1]), null);
    assert.equal(await ask('session_alive', { token }), 'false');
  } finally {
    page.off('request', onRequest);
  }
}

// WebAuthn (passkeys) through client.webauthn and user.deleteWebauthnRegistration, with
// Chromium's virtual authenticators over the DevTools protocol (they answer at once: presence
// and user verification are simulated). The relying party is the page's host, "localhost".
// The page starts and ends logged out.
async function passkeyStep(page, ev) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const addAuthenticator = async (options) => {
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', automaticPresenceSimulation: true, ...options },
    });
    return authenticatorId;
  };
  const credentialsOn = async (authenticatorId) =>
    (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  // An SDK promise settled in the page: {value} or {error: {name, error_type, message}} (a
  // StytchAPIError carries error_type; the browser's own refusals are DOMExceptions, by name).
  await ev(() => {
    window.settle = (promise) =>
      promise.then(
        (value) => ({ value }),
        (e) => ({
          error: { name: e && e.name, error_type: e && e.error_type, message: String((e && e.message) || e) },
        }),
      );
  });
  const domain = 'localhost';
  const userAgent = await ev(() => navigator.userAgent);
  const phone = '+15005550124';
  const smsLogin = async () => {
    const sent = await ev((p) => client.otps.sms.loginOrCreate(p, { expiration_minutes: 5 }), phone);
    const code = await ask('sms_code', { to: phone });
    return ev(
      ({ code, id }) => client.otps.authenticate(code, id, { session_duration_minutes: 60 }),
      { code, id: sent.method_id },
    );
  };
  const checkWebauthnFactor = (f, registrationId) => {
    assert.equal(f.type, 'webauthn');
    assert.equal(f.delivery_method, 'webauthn_registration');
    assert.equal(f.webauthn_factor.webauthn_registration_id, registrationId);
    assert.equal(f.webauthn_factor.domain, domain);
    assert.equal(f.webauthn_factor.user_agent, userAgent);
  };
  assert.equal(await ev(() => client.session.getSync()), null);

  step('passkeys: an SMS login, then webauthn.register({is_passkey}) on a platform authenticator');
  const first = await smsLogin();
  const userId = first.user_id;
  const platform = await addAuthenticator({
    transport: 'internal',
    hasResidentKey: true,
    hasUserVerification: true,
    isUserVerified: true,
  });
  const registered = await ev(
    (d) => client.webauthn.register({ domain: d, is_passkey: true, session_duration_minutes: 60 }),
    domain,
  );
  const passkeyId = registered.webauthn_registration_id;
  assert.ok(passkeyId, 'a webauthn_registration_id');
  assert.equal(registered.user_id, userId);
  let s = await ev(() => client.session.getSync());
  assert.equal(s.session_id, first.session.session_id, 'the same session, stepped up');
  assert.deepEqual(s.authentication_factors.map((f) => f.delivery_method), ['sms', 'webauthn_registration']);
  checkWebauthnFactor(s.authentication_factors[1], passkeyId);
  let user = await ev(() => client.user.getSync());
  assert.equal(user.webauthn_registrations.length, 1);
  const passkey = user.webauthn_registrations[0];
  assert.equal(passkey.webauthn_registration_id, passkeyId);
  assert.equal(passkey.domain, domain);
  assert.equal(passkey.user_agent, userAgent);
  assert.equal(passkey.verified, true);
  // is_passkey asked for a discoverable credential (residentKey "required").
  const onPlatform = await credentialsOn(platform);
  assert.equal(onPlatform.length, 1);
  assert.equal(onPlatform[0].rpId, domain);
  assert.equal(onPlatform[0].isResidentCredential, true);

  step('passkeys: webauthn.update renames the registration');
  const renamed = await ev(
    (id) => client.webauthn.update({ webauthn_registration_id: id, name: 'Test passkey' }),
    passkeyId,
  );
  assert.equal(renamed.webauthn_registration.webauthn_registration_id, passkeyId);
  assert.equal(renamed.webauthn_registration.name, 'Test passkey');
  user = await ev(() => client.user.get());
  assert.equal(user.webauthn_registrations[0].name, 'Test passkey');

  step('passkeys: the same authenticator cannot register twice');
  // The server lists the credential in excludeCredentials, so the authenticator refuses
  // (InvalidStateError); a server that did not would have to answer duplicate_webauthn_registration.
  const again = await ev(
    (d) => settle(client.webauthn.register({ domain: d, is_passkey: true, session_duration_minutes: 60 })),
    domain,
  );
  assert.ok(again.error, 'a second registration of the same authenticator fails');
  assert.ok(
    again.error.name === 'InvalidStateError' || again.error.error_type === 'duplicate_webauthn_registration',
    JSON.stringify(again.error),
  );
  assert.equal((await credentialsOn(platform)).length, 1);
  assert.equal((await ev(() => client.user.get())).webauthn_registrations.length, 1);
  assert.equal((await ev(() => client.session.getSync())).session_id, s.session_id, 'still logged in');

  step('passkeys: log out, then a discoverable passkey login (no user named)');
  await ev(() => client.session.revoke());
  assert.equal(await ev(() => client.session.getSync()), null);
  const viaPasskey = await ev(
    (d) => client.webauthn.authenticate({ domain: d, session_duration_minutes: 60, is_passkey: true }),
    domain,
  );
  assert.equal(viaPasskey.user_id, userId);
  assert.equal(viaPasskey.webauthn_registration_id, passkeyId);
  s = await ev(() => client.session.getSync());
  assert.equal(s.session_id, viaPasskey.session.session_id);
  assert.equal(s.user_id, userId);
  assert.equal(s.authentication_factors.length, 1);
  checkWebauthnFactor(s.authentication_factors[0], passkeyId);
  assert.equal(await ask('session_alive', { token: viaPasskey.session_token }), 'true');

  step('passkeys: conditional mediation (autofill)');
  // Headless Chromium shows no autofill list to pick from, but it hands a conditional request
  // to a virtual authenticator at once, so the SDK's conditional path runs for real: its
  // isConditionalMediationAvailable check, its look for an <input autocomplete="... webauthn">
  // (added here), and navigator.credentials.get({mediation: 'conditional'}).
  await ev(() => client.session.revoke());
  assert.equal(await ev(() => client.webauthn.browserSupportsAutofill()), true);
  await ev(() =>
    document.body.insertAdjacentHTML('beforeend', '<input id="passkey-login" autocomplete="username webauthn">'),
  );
  const viaAutofill = await ev(
    (d) => client.webauthn.authenticate({ domain: d, session_duration_minutes: 60, conditional_mediation: true }),
    domain,
  );
  assert.ok(viaAutofill, 'the SDK ran the conditional request (it answers null when it cannot)');
  assert.equal(viaAutofill.user_id, userId);
  assert.equal(viaAutofill.webauthn_registration_id, passkeyId);
  s = await ev(() => client.session.getSync());
  assert.equal(s.session_id, viaAutofill.session.session_id);
  checkWebauthnFactor(s.authentication_factors[0], passkeyId);
  await ev(() => document.getElementById('passkey-login').remove());

  step('passkeys: deleteWebauthnRegistration, after which the passkey logs nobody in');
  await ev((id) => client.user.deleteWebauthnRegistration(id), passkeyId);
  assert.deepEqual(await ev(() => client.user.getSync().webauthn_registrations), []);
  assert.deepEqual((await ev(() => client.user.get())).webauthn_registrations, []);
  await ev(() => client.session.revoke());
  const stale = await ev(
    (d) => settle(client.webauthn.authenticate({ domain: d, session_duration_minutes: 60, is_passkey: true })),
    domain,
  );
  assert.ok(stale.error, 'a deleted passkey logs nobody in');
  assert.ok(
    ['webauthn_registration_not_found', 'unable_to_auth_webauthn_registration'].includes(stale.error.error_type),
    JSON.stringify(stale.error),
  );
  assert.equal(await ev(() => client.session.getSync()), null);
  // Only the server forgot it: the authenticator still holds the credential it signed with.
  assert.equal((await credentialsOn(platform)).length, 1);
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: platform });

  step('passkeys: a roaming USB key (no resident key), registered as cross-platform');
  const roaming = await addAuthenticator({
    transport: 'usb',
    hasResidentKey: false,
    hasUserVerification: true,
    isUserVerified: true,
  });
  const second = await smsLogin();
  assert.equal(second.user_id, userId);
  const key = await ev(
    (d) =>
      client.webauthn.register({
        domain: d,
        authenticator_type: 'cross-platform',
        is_passkey: false,
        session_duration_minutes: 60,
      }),
    domain,
  );
  const keyId = key.webauthn_registration_id;
  assert.ok(keyId && keyId !== passkeyId, keyId);
  const onKey = await credentialsOn(roaming);
  assert.equal(onKey.length, 1);
  assert.equal(onKey[0].isResidentCredential, false);
  user = await ev(() => client.user.getSync());
  assert.deepEqual(
    user.webauthn_registrations.map((r) => [r.webauthn_registration_id, r.authenticator_type]),
    [[keyId, 'cross-platform']],
  );

  step('passkeys: the roaming key cannot log in alone, but steps a session up');
  // Logged out, the SDK calls authenticate/start/primary and names no user (it sends only
  // {domain, return_passkey_credential_options}), so the options are discoverable and a key
  // without a resident credential has nothing to offer: the browser refuses.
  await ev(() => client.session.revoke());
  const alone = await ev(
    (d) => settle(client.webauthn.authenticate({ domain: d, session_duration_minutes: 60 })),
    domain,
  );
  assert.equal(alone.error && alone.error.name, 'NotAllowedError', JSON.stringify(alone));
  assert.equal(await ev(() => client.session.getSync()), null);
  // Logged in, it calls authenticate/start/secondary: the server lists the session user's
  // credentials in allowCredentials, and the factor joins the session.
  const third = await smsLogin();
  const stepped = await ev(
    (d) => client.webauthn.authenticate({ domain: d, session_duration_minutes: 60 }),
    domain,
  );
  assert.equal(stepped.user_id, userId);
  assert.equal(stepped.webauthn_registration_id, keyId);
  assert.equal(stepped.session.session_id, third.session.session_id, 'the same session, stepped up');
  s = await ev(() => client.session.getSync());
  assert.equal(s.session_id, third.session.session_id);
  assert.deepEqual(s.authentication_factors.map((f) => f.delivery_method), ['sms', 'webauthn_registration']);
  checkWebauthnFactor(s.authentication_factors[1], keyId);

  step('passkeys: log out');
  await ev(() => client.session.revoke());
  assert.equal(await ev(() => client.session.getSync()), null);
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: roaming });
  await cdp.send('WebAuthn.disable');
  await cdp.detach();
}

async function main() {
  const server = await serve();
  const browser = await launchChromium(chromium, { hosts: [HOST], certPem: CERT_PEM });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors = [];
    // Chromium reports every non-2xx fetch as a console error ("Failed to load resource"),
    // including the expected 401 of a logged-out refresh; anything else is a real error.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        consoleErrors.push(m.text());
      }
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    // Every answer to the SDK's session refresh, to watch the background refresh.
    const refreshes = [];
    page.on('response', async (r) => {
      if (r.url() === `https://${HOST}/sdk/v1/sessions/authenticate`) {
        try {
          refreshes.push({ status: r.status(), body: await r.json() });
        } catch {
          refreshes.push({ status: r.status(), body: null });
        }
      }
    });
    // A controllable clock: the SDK's 3-minute refresh timer is fast-forwarded, not waited for.
    await page.clock.install();
    const ev = (fn, arg) => page.evaluate(fn, arg);
    const settled = () =>
      page.waitForFunction(() => client.session.getInfo().fromCache === false, null, {
        timeout: 15000,
      });

    step('a fresh page: bootstrap and the startup refresh end logged out');
    await page.goto(APP_URL);
    await settled();
    assert.equal(await ev(() => client.session.getSync()), null);
    assert.deepEqual(await ev(() => changes), [null]);
    assert.equal(await ev(() => client.session.getTokens()), null);

    step('email magic link (PKCE): send, open the link, authenticate by URL');
    const email = 'browser@example.com';
    await ev(
      ({ email, url }) =>
        client.magicLinks.email.loginOrCreate(email, {
          login_magic_link_url: url,
          signup_magic_link_url: url,
          login_expiration_minutes: 10,
          signup_expiration_minutes: 10,
        }),
      { email, url: APP_URL },
    );
    const verifierKey = `stytch_sdk_state_${PUBLIC_TOKEN}::PKCE_VERIFIER:magic_links`;
    assert.ok(await ev((k) => localStorage.getItem(k), verifierKey), 'a PKCE pair is stored');
    const link = await ask('email_link', { to: email });
    assert.ok(link.startsWith(`${APP_URL}?`), link);
    await page.goto(link);
    await settled();
    const byUrl = await ev(() => client.authenticateByUrl({ session_duration_minutes: 60 }));
    assert.equal(byUrl && byUrl.handled, true, 'authenticated by URL');
    assert.equal(byUrl.tokenType, 'magic_links');
    const ml = byUrl.data;
    assert.ok(ml.session_token && ml.session_jwt);
    assert.equal(await ev(() => location.search), '', 'the token left the address bar');

    step('getSync, getInfo, getTokens, user, onChange after login');
    let s = await ev(() => client.session.getSync());
    assert.equal(s.session_id, ml.session.session_id);
    assert.equal(s.authentication_factors[0].delivery_method, 'email');
    assert.deepEqual(await ev(() => client.session.getInfo()), { session: s, fromCache: false });
    let tokens = await ev(() => client.session.getTokens());
    assert.equal(tokens.session_token, ml.session_token);
    assert.equal(tokens.session_jwt, ml.session_jwt);
    assert.equal(await ev(() => client.user.getSync().emails[0].email), email);
    assert.deepEqual(await ev(() => changes.map((c) => c && c.session_id)), [null, s.session_id]);

    step('revoke: state cleared, subscribers told, the token dead on the server');
    await ev(() => client.session.revoke());
    assert.equal(await ev(() => client.session.getSync()), null);
    assert.equal(await ev(() => client.session.getTokens()), null);
    assert.equal(await ev(() => changes[changes.length - 1]), null);
    assert.equal(await ask('session_alive', { token: ml.session_token }), 'false');

    step('SMS passcode login');
    const phone = '+15005550123';
    const sent = await ev((p) => client.otps.sms.loginOrCreate(p, { expiration_minutes: 5 }), phone);
    const code = await ask('sms_code', { to: phone });
    const otp = await ev(
      ({ code, id }) => client.otps.authenticate(code, id, { session_duration_minutes: 60 }),
      { code, id: sent.method_id },
    );
    s = await ev(() => client.session.getSync());
    assert.equal(s.session_id, otp.session.session_id);
    assert.equal(s.authentication_factors[0].delivery_method, 'sms');
    assert.equal(await ev(() => changes[changes.length - 1].session_id), s.session_id);

    step('authenticate({session_duration_minutes}) moves the expiry and notifies');
    const before = s.expires_at;
    const seen = await ev(() => changes.length);
    await ev(() => client.session.authenticate({ session_duration_minutes: 240 }));
    s = await ev(() => client.session.getSync());
    assert.ok(Date.parse(s.expires_at) > Date.parse(before) + 60 * 60 * 1000, s.expires_at);
    assert.equal(await ev(() => changes[changes.length - 1].expires_at), s.expires_at);
    assert.ok((await ev(() => changes.length)) > seen);

    step('an unsubscribed listener hears nothing more');
    const other = await ev(() => otherChanges);
    await ev(() => unsubscribeOther());
    await ev(() => client.session.authenticate({ session_duration_minutes: 300 }));
    assert.equal(await ev(() => otherChanges), other);
    assert.equal(await ev(() => changes[changes.length - 1].expires_at), (await ev(() => client.session.getSync())).expires_at);

    step('the background refresh keeps the JWT fresh (every 3 minutes)');
    const refreshesBefore = refreshes.length;
    await page.clock.fastForward('03:05');
    await page.waitForFunction(() => true);
    for (let i = 0; i < 100 && refreshes.length === refreshesBefore; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(refreshes.length > refreshesBefore, 'a refresh was sent');
    const refresh = refreshes[refreshes.length - 1];
    assert.equal(refresh.status, 200);
    const fresh = refresh.body.data.session_jwt;
    assert.ok(fresh);
    // Wait for the SDK to write the refreshed token to its cookie.
    await page.waitForFunction((jwt) => client.session.getTokens().session_jwt === jwt, fresh);
    const claims = jwtPayload(fresh);
    assert.equal(claims.sub, s.user_id);
    assert.ok(claims.exp * 1000 > Date.now(), 'the refreshed JWT is valid');
    assert.equal(claims['https://stytch.com/session'].id, s.session_id);

    step('a reload keeps the session (cached, then confirmed by the startup refresh)');
    await page.reload();
    assert.equal((await ev(() => client.session.getSync())).session_id, s.session_id);
    await settled();
    assert.equal((await ev(() => client.session.getSync())).session_id, s.session_id);
    assert.equal(await ev(() => changes[changes.length - 1].session_id), s.session_id);

    step('updateSession hydrates a session created through the backend API');
    const backend = JSON.parse(await ask('backend_session', { to: 'hydrated@example.com' }));
    await ev((t) => client.session.updateSession(t), {
      session_token: backend.session_token,
      session_jwt: backend.session_jwt,
    });
    await ev(() => client.session.authenticate());
    s = await ev(() => client.session.getSync());
    assert.equal(s.session_id, backend.session_id);
    assert.equal(await ev(() => client.user.getSync().emails[0].email), 'hydrated@example.com');
    assert.equal(await ev(() => changes[changes.length - 1].session_id), backend.session_id);

    step('revoke the hydrated session');
    await ev(() => client.session.revoke());
    assert.equal(await ev(() => client.session.getSync()), null);
    assert.equal(await ask('session_alive', { token: backend.session_token }), 'false');
    await page.reload();
    await settled();
    assert.equal(await ev(() => client.session.getSync()), null);

    step('password: strength feedback, sign-up, a wrong password, login');
    const pwEmail = 'browser-password@example.com';
    const strong = 'vapor-Glacier-83-tundra-quill';
    const weak = await ev(() => client.passwords.strengthCheck({ password: 'password123' }));
    assert.equal(weak.valid_password, false);
    assert.ok(weak.feedback.warning || weak.feedback.suggestions.length, 'feedback');
    const signUp = await ev(
      ({ e, p }) => client.passwords.create({ email: e, password: p, session_duration_minutes: 60 }),
      { e: pwEmail, p: strong },
    );
    assert.ok(signUp.session_token && signUp.user.password);
    s = await ev(() => client.session.getSync());
    assert.equal(s.authentication_factors[0].type, 'password');
    await ev(() => client.session.revoke());
    const wrongPassword = await ev(async ({ e }) => {
      try {
        await client.passwords.authenticate({ email: e, password: 'not-the-password-1', session_duration_minutes: 60 });
        return null;
      } catch (err) {
        return err.error_type;
      }
    }, { e: pwEmail });
    assert.equal(wrongPassword, 'unauthorized_credentials');
    const pwLogin = await ev(
      ({ e, p }) => client.passwords.authenticate({ email: e, password: p, session_duration_minutes: 60 }),
      { e: pwEmail, p: strong },
    );
    assert.equal((await ev(() => client.session.getSync())).session_id, pwLogin.session.session_id);

    step('TOTP: enrol, step the password session up, recovery codes');
    const enrolled = await ev(() => client.totps.create({ expiration_minutes: 60 }));
    assert.ok(enrolled.qr_code.startsWith('data:image/png;base64,'));
    assert.equal(enrolled.recovery_codes.length, 10);
    const totpCodeNow = totpCode(enrolled.secret, Date.now() / 1000);
    const stepped = await ev(
      (c) => client.totps.authenticate({ totp_code: c, session_duration_minutes: 60 }),
      totpCodeNow,
    );
    assert.equal(stepped.session.session_id, pwLogin.session.session_id, 'the same session, stepped up');
    s = await ev(() => client.session.getSync());
    assert.deepEqual(s.authentication_factors.map((f) => f.type), ['password', 'totp']);
    assert.equal(await ev(() => client.user.getSync().totps[0].verified), true);
    const codes = await ev(() => client.totps.recoveryCodes());
    assert.deepEqual(codes.totps[0].recovery_codes, enrolled.recovery_codes);
    await ev(() => client.session.revoke());

    step('OAuth: oauth.google.start, the provider\'s login page, back, oauth.authenticate (PKCE)');
    // start() navigates away, so its promise never settles in this page.
    page.evaluate(() => client.oauth.google.start({
      login_redirect_url: location.origin + '/app.html',
      signup_redirect_url: location.origin + '/app.html',
    })).catch(() => {});
    await page.waitForURL((u) => u.href.startsWith(OIDC_ISSUER), { timeout: 15000 });
    try {
      await page.waitForSelector('input[name=login]', { timeout: 10000 });
    } catch (e) {
      throw new Error(`no login form at ${page.url()}: ${(await page.content()).slice(0, 1500)}`);
    }
    await page.fill('input[name=login]', 'browser-oauth@example.com');
    await page.fill('input[name=password]', 'anything');
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.href.startsWith(APP_URL) && u.search.includes('stytch_token_type=oauth'), { timeout: 15000 });
    await settled();
    const oauthToken = await ev(() => new URLSearchParams(location.search).get('token'));
    const viaOauth = await ev(
      (t) => client.oauth.authenticate(t, { session_duration_minutes: 60 }),
      oauthToken,
    );
    assert.equal(viaOauth.provider_type, 'Google');
    assert.ok(viaOauth.provider_values.access_token);
    s = await ev(() => client.session.getSync());
    assert.equal(s.authentication_factors[0].delivery_method, 'oauth_google');
    assert.equal(await ev(() => client.user.getSync().emails[0].email), 'browser-oauth@example.com');
    assert.equal(await ask('session_alive', { token: await ev(() => client.session.getTokens().session_token) }), 'true');
    await expectRejected(ev((t) => client.oauth.authenticate(t, { session_duration_minutes: 60 }), oauthToken), 'oauth_token_not_found');
    await ev(() => client.session.revoke());

    await cryptoWalletStep(page, ev);

    await passkeyStep(page, ev);

    assert.deepEqual(consoleErrors, [], 'no console errors');
  } finally {
    await browser.close();
    server.close();
  }
  console.log('PASS');
  input.close();
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
