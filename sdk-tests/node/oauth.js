// OAuth, session import and impersonation through Stytch's official Node SDK against Tessera.
// The harness runs each browser flow at a real OpenID provider and answers
// {"need": "oauth_token", "to": "<provider>:<login>[:<attach token>]"} with the token the flow
// hands the app, and {"need": "impersonation_token", "to": user_id} with a minted token.
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

(async () => {
  const c = new stytch.Client({
    project_id: process.env.PROJECT_ID,
    secret: process.env.SECRET,
    env: process.env.TESSERA_URL + "/",
  });

  const token = await need("oauth_token", "google:node-oauth@example.com");
  const a = await c.oauth.authenticate({ token, session_duration_minutes: 60 });
  assert.equal(a.provider_type, "Google");
  assert.ok(a.provider_subject.startsWith("sub-"));
  assert.equal(a.provider_values.id_token.split(".").length, 3);
  const f = a.user_session.authentication_factors[0];
  assert.equal(f.delivery_method, "oauth_google");
  assert.equal(f.google_oauth_factor.id, a.oauth_user_registration_id);
  const local = await c.sessions.authenticateJwtLocal({ session_jwt: a.session_jwt });
  assert.equal(local.session_id, a.user_session.session_id);
  await expectError("oauth_token_not_found", c.oauth.authenticate({ token }));
  log("sign-up with an OpenID provider");

  const existing = await c.users.create({ email: "node-link@example.com" });
  const b = await c.oauth.authenticate({ token: await need("oauth_token", "google:node-link@example.com") });
  assert.equal(b.user_id, existing.user_id);
  log("linked by a verified email");

  const at = await c.oauth.attach({ provider: "github", session_token: a.session_token });
  const g = await c.oauth.authenticate({
    token: await need("oauth_token", `github:node-elsewhere@example.com:${at.oauth_attach_token}`),
  });
  assert.equal(g.user_id, a.user_id);
  assert.equal(g.user.providers.length, 2);
  log("attached GitHub");

  const m = await c.sessions.migrate({
    session_token: a.provider_values.access_token,
    session_duration_minutes: 30,
  });
  assert.equal(m.user_id, a.user_id);
  assert.equal(m.session.authentication_factors[0].type, "imported");
  log("session imported");

  const it = await need("impersonation_token", a.user_id);
  const i = await c.impersonation.authenticate({ impersonation_token: it });
  assert.equal(i.session.authentication_factors[0].type, "impersonated");
  assert.equal(
    i.session.authentication_factors[0].impersonated_factor.impersonator_email_address,
    "support@example.com",
  );
  await expectError(
    "unable_to_auth_impersonation_token",
    c.impersonation.authenticate({ impersonation_token: it }),
  );
  log("impersonated once");

  await c.users.deleteOAuthRegistration({ oauth_user_registration_id: g.oauth_user_registration_id });
  const after = await c.users.get({ user_id: a.user_id });
  assert.deepEqual(after.providers.map((p) => p.provider_type), ["Google"]);
  console.log("PASS");
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
