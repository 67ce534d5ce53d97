// The prebuilt UI (@tessera/js/ui, @tessera/react) and the hosted login page in Debian's
// Chromium against a real Tessera over HTTPS, used as a person would: by keyboard and clicks.
// Driven by crates/tessera-server/tests/api/prebuilt_ui.rs, which answers this script's
// requests on stdin (an email's code or link, a token exchanged by the app's backend). Each
// screen is checked by axe-core and compared with its screenshot in ./screenshots
// (UPDATE_SCREENSHOTS=1 rewrites them). Prints PASS last.
//
// Environment: TESSERA_URL, PUBLIC_TOKEN (a project that authorizes the app's origin and
// allows its /ui.html, /reset.html and /done.html), HOSTS (Tessera's host and the app's),
// CERT_PEM, KEY_PEM, PAGE_PORT.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import bs58 from 'bs58';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import walletSigners from '../../../sdk-tests/wallet-signers.cjs';
import { ask, open, run, step } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const TESSERA = env('TESSERA_URL');
const PUBLIC_TOKEN = env('PUBLIC_TOKEN');
const [TESSERA_HOST, APP_HOST] = env('HOSTS').split(',');
const CERT = fs.readFileSync(env('CERT_PEM'), 'utf8');
const KEY = fs.readFileSync(env('KEY_PEM'), 'utf8');
const APP = `https://${APP_HOST}:${env('PAGE_PORT')}`;
const SHOTS = path.join(here, 'screenshots');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');


// ---------------------------------------------------------------------------------------------
// The app's pages

const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
  `<style>body{margin:0;padding:24px;font-family:system-ui,sans-serif}</style></head>` +
  `<body><main><h1>${title}</h1>${body}</main></body></html>`;

// The framework-free mount: `#{"component": "login", "config": …, "styles": …, "locale": …}`.
const VANILLA = page(
  'Example app',
  `<div id="ui"></div><script src="/tessera-ui.js"></script><script>
  const o = JSON.parse(decodeURIComponent(location.hash.slice(1) || '{}'));
  window.events = [];
  window.uiErrors = [];
  window.client = new Tessera.TesseraClient(${JSON.stringify(PUBLIC_TOKEN)}, { baseUrl: ${JSON.stringify(TESSERA)} });
  const mount = { login: Tessera.mountLogin, reset: Tessera.mountPasswordReset, passkey: Tessera.mountPasskeyRegistration }[o.component || 'login'];
  mount({ client, elementId: '#ui', config: o.config || { products: [] }, styles: o.styles, locale: o.locale,
    callbacks: { onEvent: (e) => events.push(e.type), onError: (e) => uiErrors.push(e.message) } });
</script>`,
);

// <TesseraLogin> in React, with the same hash.
const REACT_ENTRY = `
import React from 'react';
import { createRoot } from 'react-dom/client';
import { TesseraClient } from '@tessera/js';
import { TesseraProvider, TesseraLogin } from '@tessera/react';
const o = JSON.parse(decodeURIComponent(location.hash.slice(1) || '{}'));
window.events = [];
const client = (window.client = new TesseraClient(window.PUBLIC_TOKEN, { baseUrl: window.TESSERA_URL }));
createRoot(document.getElementById('ui')).render(
  <TesseraProvider tessera={client}>
    <TesseraLogin config={o.config} styles={o.styles} locale={o.locale}
      callbacks={{ onEvent: (e) => window.events.push(e.type) }} />
  </TesseraProvider>,
);`;

async function reactBundle() {
  const out = await esbuild.build({
    stdin: { contents: REACT_ENTRY, resolveDir: here, loader: 'jsx' },
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

async function serve() {
  const files = {
    '/tessera-ui.js': fs.readFileSync(path.join(here, '../packages/js/dist/tessera-ui.iife.js')),
    '/react-ui.js': await reactBundle(),
    '/ui.html': VANILLA,
    '/reset.html': VANILLA,
    '/react.html': page(
      'Example app',
      `<div id="ui"></div><script>window.PUBLIC_TOKEN=${JSON.stringify(PUBLIC_TOKEN)};` +
        `window.TESSERA_URL=${JSON.stringify(TESSERA)}</script><script src="/react-ui.js"></script>`,
    ),
    '/done.html': page('Back in the app', '<p id="done">Welcome back.</p>'),
  };
  const server = https.createServer({ cert: CERT, key: KEY }, (req, res) => {
    const route = new URL(req.url, APP).pathname;
    const body = files[route];
    if (body === undefined) return void res.writeHead(404).end();
    const type = route.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(body);
  });
  await new Promise((resolve) => server.listen(Number(env('PAGE_PORT')), '127.0.0.1', resolve));
  return server;
}

const hash = (o) => '#' + encodeURIComponent(JSON.stringify(o));

// ---------------------------------------------------------------------------------------------
// Checks

/** axe-core on the page as it is now: no violation of any rule it runs by default. */
async function axe(p, what) {
  if (!(await p.evaluate(() => typeof window.axe === 'object'))) await p.evaluate(AXE);
  const r = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const found = r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `axe-core on ${what}`);
}

/** Compares a screenshot with the committed one (at most 0.2 % of pixels may differ). */
async function screenshot(target, name) {
  const shot = await target.screenshot({ animations: 'disabled', caret: 'hide' });
  const file = path.join(SHOTS, `${name}.png`);
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    fs.mkdirSync(SHOTS, { recursive: true });
    fs.writeFileSync(file, shot);
    step(`wrote ${path.relative(process.cwd(), file)}`);
    return;
  }
  assert.ok(fs.existsSync(file), `${file} is missing: run with UPDATE_SCREENSHOTS=1 and look at it`);
  const want = PNG.sync.read(fs.readFileSync(file));
  const got = PNG.sync.read(shot);
  const keep = () => fs.writeFileSync(file.replace(/\.png$/, '.actual.png'), shot);
  if (want.width !== got.width || want.height !== got.height) {
    keep();
    assert.fail(`${name}: ${got.width}×${got.height}, the committed one is ${want.width}×${want.height}`);
  }
  const diff = new PNG({ width: want.width, height: want.height });
  const n = pixelmatch(want.data, got.data, diff.data, want.width, want.height, { threshold: 0.1 });
  if (n > want.width * want.height * 0.002) {
    keep();
    fs.writeFileSync(file.replace(/\.png$/, '.diff.png'), PNG.sync.write(diff));
    assert.fail(`${name}: ${n} pixels differ from the committed screenshot (see .actual.png and .diff.png)`);
  }
}

/** The accessible name (or id) of the focused element. */
const focused = (p) =>
  p.evaluate(() => {
    const el = document.activeElement;
    const label = el.id && document.querySelector(`label[for="${el.id}"]`);
    return label ? label.textContent : el.textContent || el.id;
  });

/** Presses Tab until `name` has focus; returns the names passed on the way. */
async function tabTo(p, name) {
  const seen = [];
  for (let i = 0; i < 12; i++) {
    await p.keyboard.press('Tab');
    const f = await focused(p);
    seen.push(f);
    if (f === name) return seen;
  }
  throw new Error(`Tab never reached ${name}: ${seen.join(' | ')}`);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async function keyboardCodeLogin(browser, errors) {
  step('mountLogin by keyboard only: OAuth, email link or code; a code login with a wrong code first');
  const context = await browser.newContext({ viewport: { width: 520, height: 760 } });
  const config = {
    products: ['oauth', 'emailMagicLinks', 'otp'],
    oauthOptions: { providers: [{ type: 'google' }] },
    emailMagicLinksOptions: { loginRedirectURL: `${APP}/ui.html`, signupRedirectURL: `${APP}/ui.html` },
    otpOptions: { methods: ['email'], expirationMinutes: 10 },
    sessionOptions: { sessionDurationMinutes: 60 },
  };
  const p = await open(context, `${APP}/ui.html${hash({ config })}`, errors);
  await p.getByRole('heading', { name: 'Sign up or log in' }).waitFor();
  await axe(p, 'the login form');
  await screenshot(p.locator('.tsr'), 'login');
  // Focus order follows the products' order.
  assert.deepEqual(await tabTo(p, 'Email me a code instead'), [
    'Continue with Google',
    'Email',
    'Continue with email',
    'Email me a code instead',
  ]);
  await p.keyboard.press('Shift+Tab');
  await p.keyboard.press('Shift+Tab');
  await p.keyboard.type('keys@example.com');
  await p.keyboard.press('Tab');
  await p.keyboard.press('Tab');
  await p.keyboard.press('Enter'); // "Email me a code instead"
  await p.getByRole('heading', { name: 'Enter your code' }).waitFor();
  assert.equal(await focused(p), 'Code', 'focus moves to the code');
  await p.waitForFunction(() => document.querySelector('[role=status]').textContent.includes('keys@example.com'));
  await axe(p, 'the code screen');
  await screenshot(p.locator('.tsr'), 'code');
  const code = await ask('email_code', { to: 'keys@example.com' });
  await p.keyboard.type(code === '000000' ? '111111' : '000000');
  await p.keyboard.press('Enter');
  await p.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
  await axe(p, 'the code screen with an error');
  await p.keyboard.press('Control+A');
  await p.keyboard.type(code);
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { name: 'You are logged in' }).waitFor();
  assert.deepEqual(await p.evaluate(() => window.events), [
    'OTP_LOGIN_OR_CREATE',
    'OTP_AUTHENTICATE',
    'AUTHENTICATE_FLOW_COMPLETE',
  ]);
  assert.deepEqual(await p.evaluate(() => window.uiErrors), ['That code is not right, or it has expired.']);
  const s = await p.evaluate(() => client.session.getSync());
  assert.deepEqual(s.authentication_factors.map((f) => f.delivery_method), ['email']);

  step('<TesseraPasskeyRegistration> on a virtual authenticator, in the same session');
  const cdp = await context.newCDPSession(p);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  // Another query, so that the page loads again (a new hash alone would not).
  await p.goto(`${APP}/ui.html?passkey${hash({ component: 'passkey' })}`);
  await p.getByRole('button', { name: 'Create a passkey' }).waitFor();
  await axe(p, 'the passkey offer');
  await screenshot(p.locator('.tsr'), 'passkey');
  await p.getByRole('button', { name: 'Create a passkey' }).click();
  await p.getByRole('paragraph').filter({ hasText: 'Your passkey is ready.' }).waitFor();
  assert.deepEqual(await p.evaluate(() => window.events), ['PASSKEY_REGISTER', 'PASSKEY_DONE']);

  step('mountLogin: the passkey logs in from a fresh tab');
  await p.evaluate(() => client.session.revoke());
  await p.goto(`${APP}/ui.html${hash({ config: { products: ['passkeys', 'emailMagicLinks'] } })}`);
  await p.getByRole('button', { name: 'Continue with a passkey' }).click();
  await p.getByRole('heading', { name: 'You are logged in' }).waitFor();
  assert.deepEqual(await p.evaluate(() => window.events), ['PASSKEY_AUTHENTICATE', 'AUTHENTICATE_FLOW_COMPLETE']);
  await context.close();
}

async function walletLogin(browser, errors) {
  step('mountLogin with an Ethereum wallet: the page\'s EIP-1193 provider signs with viem outside the page');
  const context = await browser.newContext({ viewport: { width: 520, height: 760 } });
  const wallet = walletSigners.newEthereumWallet();
  await context.exposeFunction('walletAddress', () => wallet.address);
  await context.exposeFunction('walletSign', (message) => wallet.sign(message));
  await context.addInitScript(() => {
    window.ethereum = {
      request: async ({ method, params }) =>
        method === 'eth_requestAccounts' ? [await window.walletAddress()] : window.walletSign(params[0]),
    };
  });
  const p = await open(context, `${APP}/ui.html${hash({ config: { products: ['crypto', 'emailMagicLinks'] } })}`, errors);
  await p.getByRole('button', { name: 'Continue with an Ethereum wallet' }).waitFor();
  await axe(p, 'the login form with a wallet');
  await p.getByRole('button', { name: 'Continue with an Ethereum wallet' }).click();
  await p.getByRole('heading', { name: 'You are logged in' }).waitFor();
  assert.deepEqual(await p.evaluate(() => window.events), [
    'CRYPTO_WALLET_AUTHENTICATE_START',
    'CRYPTO_WALLET_AUTHENTICATE',
    'AUTHENTICATE_FLOW_COMPLETE',
  ]);
  const s = await p.evaluate(() => client.session.getSync());
  assert.equal(s.authentication_factors[0].crypto_wallet_factor.crypto_wallet_address, wallet.address);
  await context.close();

  step('mountLogin with a Solana wallet: Phantom\'s interface, signed by tweetnacl outside the page');
  const solana = await browser.newContext({ viewport: { width: 520, height: 760 } });
  const sol = walletSigners.newSolanaWallet();
  await solana.exposeFunction('solanaAddress', () => sol.address);
  // The page gets the raw signature bytes, as Phantom gives them; the form encodes them.
  await solana.exposeFunction('solanaSign', async (message) => Array.from(bs58.decode(await sol.sign(message))));
  await solana.addInitScript(() => {
    window.solana = {
      connect: async () => {
        const address = await window.solanaAddress();
        return { publicKey: { toString: () => address } };
      },
      signMessage: async (bytes) => ({ signature: new Uint8Array(await window.solanaSign(new window.TextDecoder().decode(bytes))) }),
    };
  });
  const q = await open(solana, `${APP}/ui.html${hash({ config: { products: ['crypto'] } })}`, errors);
  await q.getByRole('button', { name: 'Continue with a Solana wallet' }).click();
  await q.getByRole('heading', { name: 'You are logged in' }).waitFor();
  const f = (await q.evaluate(() => client.session.getSync())).authentication_factors[0].crypto_wallet_factor;
  assert.deepEqual([f.crypto_wallet_address, f.crypto_wallet_type], [sol.address, 'solana']);
  await solana.close();
}

async function linkAndPasswordReset(browser, errors) {
  step('<TesseraLogin> (React) in French and dark: a password account, then a reset by email');
  const context = await browser.newContext({ viewport: { width: 520, height: 760 }, colorScheme: 'dark' });
  const config = {
    products: ['passwords', 'emailMagicLinks'],
    passwordOptions: { resetPasswordRedirectURL: `${APP}/reset.html`, loginRedirectURL: `${APP}/ui.html` },
    emailMagicLinksOptions: { loginRedirectURL: `${APP}/ui.html`, signupRedirectURL: `${APP}/ui.html` },
  };
  const p = await open(context, `${APP}/react.html${hash({ config, locale: 'fr', styles: { theme: 'auto' } })}`, errors);
  await p.getByRole('heading', { name: 'Inscription ou connexion' }).waitFor();
  await axe(p, 'the React form in French, dark');
  await screenshot(p.locator('.tsr'), 'login-react-fr-dark');
  await p.getByLabel('E-mail', { exact: true }).fill('reset@example.com');
  await p.getByRole('button', { name: 'Continuer avec l’e-mail' }).click();
  await p.getByLabel('Mot de passe', { exact: true }).fill('tessera-prebuilt-ui-Ω-2026');
  await p.getByRole('button', { name: 'Créer un compte' }).click();
  await p.getByRole('heading', { name: 'Vous êtes connecté' }).waitFor();
  assert.deepEqual(await p.evaluate(() => window.events), ['PASSWORD_CREATE', 'AUTHENTICATE_FLOW_COMPLETE']);
  await p.evaluate(() => client.session.revoke());

  // Forgot the password: the reset email's link opens <TesseraPasswordReset>.
  await p.goto(`${APP}/react.html?again${hash({ config, locale: 'fr' })}`);
  await p.getByLabel('E-mail', { exact: true }).fill('reset@example.com');
  await p.keyboard.press('Enter');
  await p.getByRole('button', { name: 'Mot de passe oublié ?' }).click();
  await p.getByRole('paragraph').filter({ hasText: 'nous lui avons envoyé un lien' }).waitFor();
  const link = await ask('email_link', { to: 'reset@example.com', kind: 'reset_password' });
  assert.ok(link.startsWith(`${APP}/reset.html?`), link);
  await p.goto(`${link}${hash({ component: 'reset' })}`);
  await p.getByRole('heading', { name: 'Set a new password' }).waitFor();
  await p.getByLabel('New password', { exact: true }).fill('abc');
  await p.getByText('This password is too easy to guess.').waitFor();
  await axe(p, 'the password reset with a weak password');
  await screenshot(p.locator('.tsr'), 'password-reset-weak');
  await p.getByLabel('New password', { exact: true }).fill('another-long-Passphrase-for-2027');
  await p.getByText('This password is strong enough.').waitFor();
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { name: 'You are logged in' }).waitFor();
  assert.deepEqual(await p.evaluate(() => window.events), ['PASSWORD_RESET_BY_EMAIL', 'AUTHENTICATE_FLOW_COMPLETE']);
  await context.close();
}

async function emailLinkBackToTheComponent(browser, errors) {
  step('mountLogin: an email link back to the page logs in by itself');
  const context = await browser.newContext({ viewport: { width: 520, height: 760 } });
  const config = {
    products: ['emailMagicLinks'],
    emailMagicLinksOptions: { loginRedirectURL: `${APP}/ui.html`, signupRedirectURL: `${APP}/ui.html` },
  };
  const p = await open(context, `${APP}/ui.html${hash({ config })}`, errors);
  await p.getByLabel('Email', { exact: true }).fill('link@example.com');
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { name: 'Check your email' }).waitFor();
  await axe(p, 'the link-sent screen');
  await screenshot(p.locator('.tsr'), 'link-sent');
  const link = await ask('email_link', { to: 'link@example.com' });
  await p.goto(`${link}${hash({ config })}`);
  await p.getByRole('heading', { name: 'You are logged in' }).waitFor();
  assert.deepEqual(await p.evaluate(() => window.events), ['MAGIC_LINK_AUTHENTICATE', 'AUTHENTICATE_FLOW_COMPLETE']);
  assert.ok(!p.url().includes('token='), 'the token left the address bar');
  await context.close();
}

async function hostedPage(browser, errors) {
  const visit = `${TESSERA}/login?public_token=${PUBLIC_TOKEN}&redirect_url=${encodeURIComponent(`${APP}/done.html`)}`;
  const backInTheApp = async (p, email) => {
    await p.waitForURL((u) => u.pathname === '/done.html');
    const url = new URL(p.url());
    assert.equal(url.searchParams.get('stytch_token_type'), 'magic_links');
    assert.equal(await ask('exchange', { token: url.searchParams.get('token') }), email);
    assert.match(await ask('exchange', { token: url.searchParams.get('token') }), /^refused/, 'single use');
  };

  step('the hosted page with JavaScript off: an email code, back to the app with a token');
  const noJs = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 640 } });
  let p = await open(noJs, visit, errors);
  await p.getByRole('heading', { name: 'Sign up or log in' }).waitFor();
  await screenshot(p, 'hosted-login');
  await p.getByLabel('Email', { exact: true }).fill('hosted@example.com');
  await p.getByRole('button', { name: 'Email me a code instead' }).click();
  await p.getByRole('heading', { name: 'Enter your code' }).waitFor();
  await screenshot(p, 'hosted-code');
  const code = await ask('email_code', { to: 'hosted@example.com' });
  await p.getByLabel('Code', { exact: true }).fill(code === '000000' ? '111111' : '000000');
  await p.getByRole('button', { name: 'Verify' }).click();
  await p.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
  await p.getByLabel('Code', { exact: true }).fill(code);
  await p.getByRole('button', { name: 'Verify' }).click();
  await backInTheApp(p, 'hosted@example.com');

  step('the hosted page with JavaScript off: a code by text message');
  p = await open(noJs, visit, errors);
  await p.getByLabel('Phone number', { exact: true }).fill('+15555550177');
  await p.getByRole('button', { name: 'Continue with a text message' }).click();
  await p.getByLabel('Code', { exact: true }).fill(await ask('sms_code', { to: '+15555550177' }));
  await p.getByRole('button', { name: 'Verify' }).click();
  await p.waitForURL((u) => u.pathname === '/done.html');
  assert.equal(await ask('exchange', { token: new URL(p.url()).searchParams.get('token') }), '+15555550177');

  step('the hosted page with JavaScript off: a password account, then a wrong and a right password');
  p = await open(noJs, visit, errors);
  await p.getByLabel('Email', { exact: true }).fill('hosted-password@example.com');
  await p.getByRole('button', { name: 'Use a password' }).click();
  await p.getByRole('heading', { name: 'Enter your password' }).waitFor();
  await screenshot(p, 'hosted-password');
  await p.getByLabel('Password', { exact: true }).fill('hosted-Chromium-passphrase-2026');
  await p.getByRole('button', { name: 'Create an account' }).click();
  await backInTheApp(p, 'hosted-password@example.com');
  p = await open(noJs, visit, errors);
  await p.getByLabel('Email', { exact: true }).fill('hosted-password@example.com');
  await p.getByRole('button', { name: 'Use a password' }).click();
  await p.getByLabel('Password', { exact: true }).fill('not-the-right-passphrase-2026');
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.getByRole('alert').filter({ hasText: 'That email and password do not match.' }).waitFor();
  await p.getByLabel('Password', { exact: true }).fill('hosted-Chromium-passphrase-2026');
  await p.getByRole('button', { name: 'Log in' }).click();
  await backInTheApp(p, 'hosted-password@example.com');

  step('the hosted page with JavaScript off: the project\'s OAuth provider, back to the app');
  p = await open(noJs, visit, errors);
  await p.getByRole('link', { name: 'Continue with Google' }).click();
  await p.waitForURL((u) => u.href.startsWith(env('OIDC_ISSUER')), { timeout: 15000 });
  await p.fill('input[name=login]', 'hosted-oauth@example.com');
  await p.fill('input[name=password]', 'anything');
  await p.click('button[type=submit]');
  await p.waitForURL((u) => u.pathname === '/done.html', { timeout: 15000 });
  const oauthUrl = new URL(p.url());
  assert.equal(oauthUrl.searchParams.get('stytch_token_type'), 'oauth');
  assert.equal(await ask('exchange_oauth', { token: oauthUrl.searchParams.get('token') }), 'Google hosted-oauth@example.com');

  step('the hosted page with JavaScript off, in French: an email link straight to the app');
  p = await open(noJs, `${visit}&locale=fr`, errors);
  await p.getByLabel('E-mail', { exact: true }).fill('hosted-link@example.com');
  await p.getByRole('button', { name: 'Continuer avec l’e-mail' }).click();
  await p.getByRole('heading', { name: 'Consultez vos e-mails' }).waitFor();
  await screenshot(p, 'hosted-sent-fr');
  const link = await ask('email_link', { to: 'hosted-link@example.com' });
  await p.goto(link);
  await backInTheApp(p, 'hosted-link@example.com');
  await noJs.close();

  step('the hosted page with script on: the prebuilt form, an email code, the session handed back');
  const js = await browser.newContext({ viewport: { width: 800, height: 640 } });
  p = await open(js, visit, errors);
  await p.getByRole('region', { name: 'Sign up or log in' }).waitFor();
  await axe(p, 'the hosted page with script');
  await screenshot(p, 'hosted-login-js');
  await p.getByLabel('Email', { exact: true }).fill('hosted-js@example.com');
  await p.keyboard.press('Enter');
  await p.getByRole('button', { name: 'Email me a code instead' }).click();
  await p.getByLabel('Code', { exact: true }).fill(await ask('email_code', { to: 'hosted-js@example.com' }));
  await p.keyboard.press('Enter');
  await backInTheApp(p, 'hosted-js@example.com');
  await js.close();

  step('the hosted page with script on: an Ethereum wallet (signed by viem outside the page)');
  const withWallet = await browser.newContext({ viewport: { width: 800, height: 640 } });
  const wallet = walletSigners.newEthereumWallet();
  await withWallet.exposeFunction('walletAddress', () => wallet.address);
  await withWallet.exposeFunction('walletSign', (message) => wallet.sign(message));
  await withWallet.addInitScript(() => {
    window.ethereum = {
      request: async ({ method, params }) =>
        method === 'eth_requestAccounts' ? [await window.walletAddress()] : window.walletSign(params[0]),
    };
  });
  p = await open(withWallet, visit, errors);
  await p.getByRole('button', { name: 'Continue with an Ethereum wallet' }).click();
  await p.waitForURL((u) => u.pathname === '/done.html');
  const walletToken = new URL(p.url()).searchParams.get('token');
  assert.equal(await ask('exchange_wallet', { token: walletToken }), wallet.address.toLowerCase());
  await withWallet.close();

  step('a passkey made in the app for the parent domain logs in on the hosted page (script on)');
  const pk = await browser.newContext({ viewport: { width: 800, height: 640 } });
  p = await open(pk, `${APP}/ui.html?code${hash({ config: { products: ['otp'], otpOptions: { methods: ['email'] } } })}`, errors);
  const cdp = await pk.newCDPSession(p);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await p.getByLabel('Email', { exact: true }).fill('hosted-passkey@example.com');
  await p.keyboard.press('Enter');
  await p.getByLabel('Code', { exact: true }).fill(await ask('email_code', { to: 'hosted-passkey@example.com' }));
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { name: 'You are logged in' }).waitFor();
  await p.goto(`${APP}/ui.html?passkey${hash({ component: 'passkey', config: { domain: TESSERA_HOST } })}`);
  await p.getByRole('button', { name: 'Create a passkey' }).click();
  await p.getByRole('paragraph').filter({ hasText: 'Your passkey is ready.' }).waitFor();
  await p.goto(visit);
  await p.getByRole('button', { name: 'Continue with a passkey' }).click();
  await backInTheApp(p, 'hosted-passkey@example.com');
  await pk.close();

  step('axe-core on each hosted screen without its script (axe itself needs script in the page)');
  const ctx = await browser.newContext({ viewport: { width: 800, height: 640 } });
  await ctx.route('**/login/*.js', (r) => r.abort());
  p = await open(ctx, visit, errors);
  await axe(p, 'the hosted login');
  await p.getByLabel('Email', { exact: true }).fill('not an email');
  await p.evaluate(() => document.querySelector('form').setAttribute('novalidate', ''));
  await p.getByRole('button', { name: 'Email me a code instead' }).click();
  await p.getByRole('alert').filter({ hasText: 'Enter a valid email address.' }).waitFor();
  await axe(p, 'the hosted login with an error');
  await p.getByLabel('Email', { exact: true }).fill('hosted-axe@example.com');
  await p.getByRole('button', { name: 'Email me a code instead' }).click();
  await p.getByRole('heading', { name: 'Enter your code' }).waitFor();
  await axe(p, 'the hosted code screen');
  p = await open(ctx, visit, errors);
  await p.getByLabel('Email', { exact: true }).fill('hosted-axe@example.com');
  await p.getByRole('button', { name: 'Use a password' }).click();
  await p.getByRole('heading', { name: 'Enter your password' }).waitFor();
  await axe(p, 'the hosted password screen');
  p = await open(ctx, `${TESSERA}/login?public_token=${PUBLIC_TOKEN}&redirect_url=https%3A%2F%2Fevil.example%2F`, errors);
  await p.getByText('not valid').waitFor();
  await axe(p, 'the hosted page of a bad link');
  await ctx.close();
}

/** A screenshot of the whole viewport with what changes from run to run (ids, times, counts) masked. */
const stable = (p, name) =>
  screenshot(
    {
      screenshot: (o) =>
        p.screenshot({
          ...o,
          mask: [
            p.locator('code'),
            p.locator('textarea'),
            p.locator('a[href*="public_token"]'),
            p.locator('.card strong'),
            p.getByText(/\d{4}-\d{2}-\d{2}T\d/),
          ],
        }),
    },
    name,
  );

async function adminConsole(browser, errors) {
  step('the admin console: log in with password and code, create a project, set its redirect URL');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await open(context, `${TESSERA}/admin`, errors);
  await p.getByRole('heading', { name: 'Log in' }).waitFor();
  await axe(p, 'the console login');
  await stable(p, 'admin-login');
  await p.getByLabel('Email', { exact: true }).fill(env('ADMIN_EMAIL'));
  await p.getByLabel('Password', { exact: true }).fill(env('ADMIN_PASSWORD'));
  await p.getByLabel('Authenticator code', { exact: true }).fill(await ask('admin_code'));
  await p.keyboard.press('Enter');
  await p.getByRole('heading', { name: 'Overview' }).waitFor();
  await axe(p, 'the overview');
  await stable(p, 'admin-overview');

  await p.getByRole('link', { name: 'Projects' }).click();
  await p.getByRole('heading', { name: 'Projects' }).waitFor();
  await axe(p, 'the projects');
  await p.getByLabel('Name', { exact: true }).fill('Storefront');
  await p.getByRole('button', { name: 'Create the project' }).click();
  await p.getByRole('heading', { name: 'Project created' }).waitFor();
  await axe(p, 'a value shown once');
  const shown = async (label) => (await p.locator('p', { hasText: label }).locator('code').textContent()).trim();
  const project = { project_id: await shown('Project id'), secret: await shown('Secret') };
  await p.getByRole('link', { name: 'Continue' }).click();
  await p.getByRole('heading', { name: 'Storefront' }).waitFor();
  await p.getByLabel('Redirect URLs (one a line)').fill(`${APP}/done.html`);
  await p.getByLabel('Authorized origins (one a line)').fill(APP);
  await p.getByRole('button', { name: 'Save the URLs' }).click();
  await p.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await p.getByLabel('Hosted page primary colour (#rrggbb)').fill('#0f766e');
  await p.getByRole('button', { name: 'Save the policy' }).click();
  await p.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await axe(p, 'a project');
  await stable(p, 'admin-project');
  const hosted = await p.getByRole('row', { name: /Hosted login page/ }).getByRole('link').getAttribute('href');

  step('an example app sends a user to the new project\'s hosted page; its backend exchanges the token');
  const user = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 800, height: 640 } });
  const u = await open(user, `${TESSERA}${hosted}`, errors);
  await u.getByLabel('Email', { exact: true }).fill('storefront@example.com');
  await u.getByRole('button', { name: 'Email me a code instead' }).click();
  await u.getByLabel('Code', { exact: true }).fill(await ask('email_code', { to: 'storefront@example.com' }));
  await u.getByRole('button', { name: 'Verify' }).click();
  await u.waitForURL((url) => url.pathname === '/done.html');
  const token = new URL(u.url()).searchParams.get('token');
  assert.equal(await ask('exchange', { token, ...project }), 'storefront@example.com');
  await user.close();

  step('the admin console: find the user, see their sessions and timeline, revoke, impersonate, delete');
  await p.getByRole('link', { name: 'Find users' }).click();
  await p.getByLabel('Email contains').fill('storefront');
  await p.getByRole('button', { name: 'Search' }).click();
  await p.getByRole('caption').filter({ hasText: '1 user' }).waitFor();
  await axe(p, 'the user search');
  await p.getByRole('link', { name: /^user-/ }).click();
  await p.getByRole('heading', { name: 'Sessions' }).waitFor();
  await axe(p, 'a user');
  await stable(p, 'admin-user');
  assert.equal(await p.getByRole('button', { name: /^Revoke session-/ }).count(), 1);
  await p.getByRole('button', { name: /^Revoke session-/ }).click();
  await p.getByRole('status').filter({ hasText: 'Revoked.' }).waitFor();
  assert.equal(await p.getByText('No live session.').count(), 1);
  await p.getByLabel('Reason (kept in the security log)').fill('support ticket 4242');
  await p.getByRole('button', { name: 'Mint an impersonation token' }).click();
  await p.getByRole('heading', { name: 'Impersonation token' }).waitFor();
  await p.getByRole('link', { name: 'Continue' }).click();
  const uid = (await p.getByRole('heading', { level: 1 }).textContent()).replace('User ', '').trim();
  await p.getByLabel('Type the user id to confirm').fill(uid);
  await p.getByRole('button', { name: 'Delete the user and their sessions' }).click();
  await p.getByRole('status').filter({ hasText: 'Deleted.' }).waitFor();
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.getByRole('heading', { name: 'Log in' }).waitFor();
  await context.close();
}

run({
  hosts: [TESSERA_HOST, APP_HOST],
  certPem: CERT,
  serve,
  scenarios: [keyboardCodeLogin, walletLogin, linkAndPasswordReset, emailLinkBackToTheComponent, hostedPage, adminConsole],
});
