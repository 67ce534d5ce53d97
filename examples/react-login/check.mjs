#!/usr/bin/env node
// End-to-end check of the example: starts ./run, logs in by email code in headless Chromium,
// checks the logged-in view in two tabs, logs out in one and checks both are logged out, then
// stops everything. Exits 0 on success.
//
//   node check.mjs
//
// Needs playwright-core (this app's node_modules, else sdk/js's) and a Chromium
// (CHROMIUM_PATH, default /usr/bin/chromium).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const appUrl = 'http://localhost:5173/';
const serverUrl = `http://127.0.0.1:${process.env.SERVER_PORT ?? 4000}`;
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const startTimeoutMs = Number(process.env.CHECK_START_TIMEOUT_MS ?? 20 * 60_000); // may build the SDK or the server

const { chromium } = await import('playwright-core').catch(
  () => import(new URL('../../sdk/js/node_modules/playwright-core/index.mjs', import.meta.url).href),
);

// ./run in its own process group, its output echoed and kept for the codes.
let output = '';
const run = spawn('./run', { cwd: here, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
const exited = new Promise((resolve) => run.on('exit', (code, signal) => resolve({ code, signal })));
let runExited = false;
exited.then(() => (runExited = true));
for (const stream of [run.stdout, run.stderr]) {
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    output += chunk;
    process.stdout.write(chunk.replace(/^(?=.)/gm, '  | '));
  });
}

let browser;
const stop = async () => {
  await browser?.close().catch(() => {});
  if (!runExited) {
    process.kill(run.pid, 'SIGTERM'); // ./run's trap stops vite and tessera serve
    const timer = setTimeout(() => process.kill(-run.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
};
process.on('SIGINT', () => stop().then(() => process.exit(130)));

const step = (what) => console.log(`check: ${what}`);
const waitFor = async (what, test, timeoutMs) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await test();
    if (value) return value;
    if (runExited) throw new Error(`./run exited while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};
// POST /sdk/v1/sessions/authenticate with a session token, as the SDK does.
const authenticateOnServer = (sessionToken) => {
  const publicToken = readFileSync(join(here, '.tessera-data/public-token'), 'utf8').trim();
  return fetch(`${serverUrl}/sdk/v1/sessions/authenticate`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${btoa(`${publicToken}:${sessionToken}`)}`,
      'Content-Type': 'application/json',
      Origin: 'http://localhost:5173',
      'X-SDK-Parent-Host': 'http://localhost:5173',
    },
    body: '{}',
  });
};
const expect = (cond, message) => {
  if (!cond) throw new Error(message);
};

try {
  await waitFor('Vite on http://localhost:5173', () => fetch(appUrl).then((r) => r.ok, () => false), startTimeoutMs);
  step('./run is serving the app');

  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const context = await browser.newContext();
  const tab1 = await context.newPage();
  tab1.on('pageerror', (e) => console.log(`  browser error: ${e.message}`));
  await tab1.goto(appUrl);

  // Screen 1: the email.
  const email = `check-${Date.now()}@example.com`;
  await tab1.getByLabel('Email').fill(email);
  await tab1.getByRole('button', { name: 'Send code' }).click();
  await tab1.getByLabel('Code').waitFor();
  step(`code sent to ${email}`);

  // The code, from the server log lines ./run prints.
  const escaped = email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const code = await waitFor(
    'the passcode in the output of ./run',
    () => output.match(new RegExp(`passcode for ${escaped}: (\\d{6})`))?.[1],
    15_000,
  );
  step(`read the code ${code} from the output of ./run`);

  // Screen 2: the code.
  await tab1.getByLabel('Code').fill(code);
  await tab1.getByRole('button', { name: 'Log in' }).click();
  await tab1.locator('#session-id').waitFor({ timeout: 10_000 });
  const shown = async (page) => ({
    email: await page.locator('#user-email').textContent(),
    userId: await page.locator('#user-id').textContent(),
    sessionId: await page.locator('#session-id').textContent(),
    startedAt: await page.locator('#started-at').textContent(),
    expiresAt: await page.locator('#expires-at').textContent(),
    factors: await page.locator('#factors').textContent(),
    fromCache: await page.locator('#from-cache').textContent(),
  });
  await waitFor('the user email', async () => (await tab1.locator('#user-email').textContent()) === email, 5_000);
  const view = await shown(tab1);
  expect(view.email === email, `email shown: ${view.email}`);
  expect(/^user-test-/.test(view.userId), `user_id shown: ${view.userId}`);
  expect(/^session-test-/.test(view.sessionId), `session_id shown: ${view.sessionId}`);
  const minutes = (Date.parse(view.expiresAt) - Date.parse(view.startedAt)) / 60_000;
  expect(Math.abs(minutes - 60) < 1, `expires_at - started_at = ${minutes} minutes, expected 60`);
  expect(view.factors.includes(`otp / email (${email})`), `factors shown: ${view.factors}`);
  expect(view.fromCache === 'false', `fromCache shown: ${view.fromCache}`);
  step(`tab 1 logged in: ${JSON.stringify(view)}`);

  // A second tab of the same browser shares the session.
  const tab2 = await context.newPage();
  await tab2.goto(appUrl);
  await tab2.locator('#session-id').waitFor({ timeout: 10_000 });
  await waitFor('tab 2 to confirm the session', async () => (await tab2.locator('#from-cache').textContent()) === 'false', 10_000);
  const view2 = await shown(tab2);
  expect(view2.sessionId === view.sessionId && view2.email === email, `tab 2 shows ${JSON.stringify(view2)}`);
  step('tab 2 shows the same session, confirmed by the server (fromCache false)');
  const sessionToken = (await context.cookies(appUrl)).find((c) => c.name === 'stytch_session')?.value;
  expect(sessionToken, 'no stytch_session cookie');
  const before = await authenticateOnServer(sessionToken);
  expect(before.status === 200, `the session token does not authenticate on the server: HTTP ${before.status}`);

  // Log out in tab 1: both tabs go back to the email screen.
  await tab1.getByRole('button', { name: 'Log out' }).click();
  await tab1.getByLabel('Email').waitFor({ timeout: 10_000 });
  step('tab 1 logged out');
  await tab2.getByLabel('Email').waitFor({ timeout: 5_000 });
  step('tab 2 logged out too (cross-tab)');

  // And the session is gone on the server, not just in the browser.
  const res = await authenticateOnServer(sessionToken);
  const body = await res.json().catch(() => ({}));
  expect(res.status >= 400, `the old session token still authenticates: HTTP ${res.status}`);
  step(`the old session token is refused by the server: HTTP ${res.status} ${body.error_type ?? ''}`);

  await stop();
  console.log('check: OK');
  process.exit(0);
} catch (e) {
  console.error(`check: FAILED: ${e instanceof Error ? e.message : e}`);
  await stop();
  process.exit(1);
}
