// What the Chromium scripts (run.mjs, ui.mjs) share: the harness's question-and-answer lines on
// stdin/stdout, step lines, pages that fail the run on a script error, and the run itself.
import assert from 'node:assert/strict';
import readline from 'node:readline';
import { chromium } from 'playwright-core';
import chromiumTools from '../../../sdk-tests/chromium.cjs';

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

/** Asks the Rust harness for something (`{"need": …}` on stdout) and reads its one-line answer. */
export async function ask(need, args) {
  console.log(JSON.stringify({ need, ...args }));
  return (await lines.next()).value;
}

/** A step line, shown by the harness as the test goes. */
export const step = (s) => console.log(`# ${s}`);

/** A page that fails the run on any script error. */
export async function open(context, url, errors) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`${url}: ${e}`));
  page.on('console', (m) => {
    // Chromium logs every non-2xx fetch ("Failed to load resource"), including the expected
    // 401 of a logged-out start, the failures of the outage test and scripts a test blocks.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      errors.push(`${url}: ${m.text()}`);
    }
  });
  await page.goto(url);
  return page;
}

/**
 * Starts the app's pages (`serve()`), Chromium with `hosts` mapped to 127.0.0.1 and `certPem`
 * trusted, runs each scenario `(browser, errors)` in turn, and prints PASS when none failed and
 * no page had a script error.
 */
export async function run({ hosts, certPem, serve, scenarios }) {
  try {
    const server = await serve();
    const browser = await chromiumTools.launchChromium(chromium, { hosts, certPem });
    const errors = [];
    try {
      for (const scenario of scenarios) await scenario(browser, errors);
      assert.deepEqual(errors, [], 'no script errors');
    } finally {
      await browser.close();
      server.close();
    }
  } catch (e) {
    console.error(e);
    process.exit(1);
  }
  // Exit once PASS is written: stdin (the harness's answers) and the page server's keep-alive
  // connections would keep the process alive.
  process.stdout.write('PASS\n', () => process.exit(0));
}
