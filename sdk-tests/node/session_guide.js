// Stytch's session guide, run through the official Node SDK against Tessera.
"use strict";
const assert = require("node:assert/strict");
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

const client = new stytch.Client({
  project_id: process.env.PROJECT_ID,
  secret: process.env.SECRET,
  env: process.env.TESSERA_URL + "/",
});
const email = "node-guide@example.com";

async function login(minutes) {
  await client.magicLinks.email.loginOrCreate({ email });
  const token = await need("email_link", email);
  return client.magicLinks.authenticate({ token, session_duration_minutes: minutes });
}

(async () => {
  // Remember me for 30 days after login.
  const first = await login(43200);
  assert.equal(first.session_token.length, 44);
  const again = await client.sessions.authenticate({ session_token: first.session_token });
  assert.equal(again.session.expires_at, first.session.expires_at);
  log("remember me for 30 days after login");

  // Remember me since last seen.
  const extended = await client.sessions.authenticate({
    session_token: first.session_token,
    session_duration_minutes: 43200,
  });
  assert.ok(new Date(extended.session.expires_at) >= new Date(again.session.expires_at));
  log("remember me since last seen");

  // Local verification with jose against the JWKS, and the remote fallback.
  const local = await client.sessions.authenticateJwtLocal({ session_jwt: extended.session_jwt });
  assert.equal(local.session_id, first.session.session_id);
  assert.equal(local.user_id, first.user_id);
  const remote = await client.sessions.authenticateJwt({ session_jwt: extended.session_jwt, max_token_age_seconds: 0 });
  assert.equal(remote.session.session_id, first.session.session_id);
  // By JWT, the answer carries the session's token (apps write it to their cookie), as at Stytch.
  const byJwt = await client.sessions.authenticate({ session_jwt: extended.session_jwt });
  assert.equal(byJwt.session_token, first.session_token);
  log("JWT verified locally and remotely");

  // Two factors in one session.
  const phone = "+14155550178";
  const sent = await client.otps.sms.send({ phone_number: phone, session_token: first.session_token });
  const code = await need("sms_code", phone);
  const mfa = await client.otps.authenticate({ method_id: sent.phone_id, code, session_token: first.session_token });
  assert.deepEqual(mfa.session.authentication_factors.map((f) => f.delivery_method), ["email", "sms"]);
  log("two factors in one session");

  // Log out one session.
  const second = await login(60);
  await client.sessions.revoke({ session_id: second.session.session_id });
  await expectError("session_not_found", client.sessions.authenticate({ session_token: second.session_token }));
  log("logged out one session");

  // Log out everywhere.
  await login(60);
  const listed = await client.sessions.get({ user_id: first.user_id });
  assert.equal(listed.sessions.length, 2);
  for (const s of listed.sessions) await client.sessions.revoke({ session_id: s.session_id });
  assert.deepEqual((await client.sessions.get({ user_id: first.user_id })).sessions, []);
  await expectError("session_not_found", client.sessions.authenticate({ session_token: first.session_token }));
  log("logged out everywhere");

  // Users API.
  const created = await client.users.create({ email: "node-user@example.com" });
  const got = await client.users.get({ user_id: created.user_id });
  assert.equal(got.emails[0].email, "node-user@example.com");
  let total = 0;
  for await (const page of client.users.searchAll({ limit: 1 })) total += page.length;
  assert.equal(total, 2);
  await client.users.delete({ user_id: created.user_id });
  await expectError("user_not_found", client.users.get({ user_id: created.user_id }));
  log("users API");

  console.log("PASS");
  process.exit(0);
})().catch((e) => {
  console.error("FAIL", e);
  process.exit(1);
});
