// Debian's Chromium for the browser tests (sdk-tests/browser/run.js with Stytch's SDK,
// sdk/js/e2e/run.mjs with Tessera's): test host names mapped to 127.0.0.1, and exactly the
// test certificate's key trusted (no blanket ignoring of TLS errors).
'use strict';

const crypto = require('node:crypto');

/** The base64 SHA-256 of a certificate's public key, as Chromium's SPKI allow-list takes it. */
function spkiHash(pem) {
  const der = new crypto.X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

/** Launches `/usr/bin/chromium` with playwright-core's `chromium` (each test passes its own). */
function launchChromium(chromium, { hosts, certPem }) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--host-resolver-rules=${hosts.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`,
      `--ignore-certificate-errors-spki-list=${spkiHash(certPem)}`,
    ],
  });
}

module.exports = { launchChromium };
