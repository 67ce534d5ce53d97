// Passwords and TOTP through Stytch's official Node SDK against Tessera: sign-up under the
// strength policy and the breach check, login, the three resets, hashes made with node:crypto
// migrated and logged in with, and an authenticator app (codes by an RFC 6238 implementation
// written here on node:crypto, independent of the server's).
"use strict";
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const readline = require("node:readline");
const stytch = require("stytch");

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function need(kind, to) {
  console.log(JSON.stringify({ need: kind, to }));
  return (await lines.next()).value.trim();
}

async function expectError(errorType, promise) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.error_type, errorType, String(e));
    return;
  }
  assert.fail(`expected ${errorType}`);
}

const log = (...args) => console.log("#", ...args);

function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, acc = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, "")) {
    acc = (acc << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

function totp(secret, unixSeconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = crypto.createHmac("sha1", base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0xf;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, "0");
}

const client = new stytch.Client({
  project_id: process.env.PROJECT_ID,
  secret: process.env.SECRET,
  env: process.env.TESSERA_URL + "/",
});
const email = "node-passwords@example.com";
const strong = "vapor-Glacier-83-tundra-quill";
const breached = process.env.BREACHED_PASSWORD;

(async () => {
  const weak = await client.passwords.strengthCheck({ password: "password123" });
  assert.equal(weak.valid_password, false);
  assert.ok(weak.feedback.warning || weak.feedback.suggestions.length);
  const found = await client.passwords.strengthCheck({ password: breached, email });
  assert.equal(found.breached_password, true);
  await expectError("weak_password", client.passwords.create({ email, password: "password123" }));
  await expectError("weak_password", client.passwords.create({ email, password: breached }));
  log("weak and breached passwords refused");

  const created = await client.passwords.create({ email, password: strong, session_duration_minutes: 60 });
  assert.ok(created.user.password.password_id.startsWith("password-test-"));
  const loggedIn = await client.passwords.authenticate({ email, password: strong, session_duration_minutes: 60 });
  await expectError("unauthorized_credentials", client.passwords.authenticate({ email, password: strong + "x" }));
  log("sign up and log in");

  await client.passwords.email.resetStart({ email });
  const token = await need("reset_link", email);
  const second = "second-Password-for-Node-1";
  const reset = await client.passwords.email.reset({ token, password: second, session_duration_minutes: 60 });
  assert.equal(reset.user.emails[0].verified, true);
  await expectError("session_not_found", client.sessions.authenticate({ session_token: loggedIn.session_token }));
  const third = "third-Password-for-Node-2";
  const existing = await client.passwords.existingPassword.reset({
    email, existing_password: second, new_password: third, session_duration_minutes: 60,
  });
  const fourth = "fourth-Password-for-Node-3";
  await client.passwords.sessions.reset({ password: fourth, session_token: existing.session_token });
  await client.passwords.authenticate({ email, password: fourth });
  log("three resets");

  // Hashes from node:crypto, migrated, then logged in with the original password.
  const original = "Migrated-from-elsewhere-2024";
  const salt = crypto.randomBytes(16);
  const bodies = [
    { hash_type: "md_5", hash: crypto.createHash("md5").update("a" + original + "b").digest("hex"),
      md_5_config: { prepend_salt: "a", append_salt: "b" } },
    { hash_type: "sha_1", hash: crypto.createHash("sha1").update(original).digest("hex") },
    { hash_type: "sha_512", hash: crypto.createHash("sha512").update("s" + original).digest("hex"),
      sha_512_config: { prepend_salt: "s", append_salt: "" } },
    { hash_type: "pbkdf_2", hash: crypto.pbkdf2Sync(original, salt, 20000, 32, "sha256").toString("base64"),
      pbkdf_2_config: { salt: salt.toString("base64"), iteration_amount: 20000, key_length: 32, algorithm: "sha256" } },
    { hash_type: "scrypt", hash: crypto.scryptSync(original, salt, 32, { N: 16384, r: 8, p: 1 }).toString("base64"),
      scrypt_config: { salt: salt.toString("base64"), n_parameter: 16384, r_parameter: 8, p_parameter: 1, key_length: 32 } },
  ];
  for (const [i, body] of bodies.entries()) {
    const who = `node-import${i}@example.com`;
    const m = await client.passwords.migrate({ email: who, ...body });
    assert.equal(m.user_created, true, body.hash_type);
    await client.passwords.authenticate({ email: who, password: original });
    await expectError("unauthorized_credentials", client.passwords.authenticate({ email: who, password: original + "!" }));
  }
  log("migrated", bodies.length, "hash types");

  const t = await client.totps.create({ user_id: created.user_id });
  assert.ok(t.qr_code.startsWith("data:image/png;base64,"));
  const session = await client.passwords.authenticate({ email, password: fourth, session_duration_minutes: 60 });
  const code = totp(t.secret, Date.now() / 1000);
  const stepped = await client.totps.authenticate({
    user_id: created.user_id, totp_code: code, session_token: session.session_token,
  });
  assert.deepEqual(stepped.session.authentication_factors.map((f) => f.type), ["password", "totp"]);
  await expectError("totp_code_already_authenticated", client.totps.authenticate({ user_id: created.user_id, totp_code: code }));
  const codes = await client.totps.recoveryCodes({ user_id: created.user_id });
  assert.deepEqual(codes.totps[0].recovery_codes, t.recovery_codes);
  await client.totps.recover({ user_id: created.user_id, recovery_code: t.recovery_codes[1] });
  await expectError("unable_to_authenticate_recovery_code",
    client.totps.recover({ user_id: created.user_id, recovery_code: t.recovery_codes[1] }));
  log("TOTP with recovery codes");
  console.log("PASS");
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
