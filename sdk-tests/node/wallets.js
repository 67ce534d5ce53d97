// Crypto-wallet login (Web3) through Stytch's official Node SDK against Tessera, with wallets
// and checks from libraries independent of the server's: viem (EIP-191 personal_sign and its
// verification, EIP-55 checksums), siwe (the EIP-4361 parser), tweetnacl + bs58 (Solana's
// ed25519 and base58). The wallets come from ../wallet-signers.cjs.
//
// Environment: TESSERA_URL, PROJECT_ID, SECRET as the other scripts; SIWE_DOMAIN, the host
// (with port, if any) of one of the project's authorized origins, e.g. "localhost:3000";
// optionally SIWE_URI (default `http://${SIWE_DOMAIN}`).
// Asks the harness {"need": "email_link", "to": ADDRESS} once (a magic-link login, to have a
// session with another factor) and reads the token on stdin. Prints PASS last.
"use strict";
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const readline = require("node:readline");
const stytch = require("stytch");
const { SiweMessage } = require("siwe");
const { getAddress } = require("viem");
const bs58 = require("bs58").default;
const {
  newEthereumWallet,
  newSolanaWallet,
  verifyEthereum,
  verifySolana,
} = require("../wallet-signers.cjs");

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function need(kind, to) {
  console.log(JSON.stringify({ need: kind, to }));
  return (await lines.next()).value.trim();
}

async function expectError(errorType, promise, status) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.error_type, errorType, String(e));
    if (status !== undefined) assert.equal(e.status_code, status, String(e));
    return;
  }
  assert.fail(`expected ${errorType}`);
}

const log = (...args) => console.log("#", ...args);

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const client = new stytch.Client({
  project_id: env("PROJECT_ID"),
  secret: env("SECRET"),
  env: env("TESSERA_URL") + "/",
});
const SIWE_DOMAIN = env("SIWE_DOMAIN");
const SIWE_URI = process.env.SIWE_URI || `http://${SIWE_DOMAIN}`;
const CHALLENGE_PREFIX = "Signing in with Project: ";

// RFC 3339 UTC with whole seconds, as Stytch writes timestamps.
const rfc3339 = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const start = (w, extra = {}) =>
  client.cryptoWallets.authenticateStart({
    crypto_wallet_type: w.type,
    crypto_wallet_address: w.address,
    ...extra,
  });

const authenticate = (w, signature, extra = {}) =>
  client.cryptoWallets.authenticate({
    crypto_wallet_type: w.type,
    crypto_wallet_address: w.address,
    signature,
    ...extra,
  });

/** start → sign the challenge → authenticate with a 60-minute session. */
async function login(w, startExtra = {}, authExtra = {}) {
  const started = await start(w, startExtra);
  const signature = await w.sign(started.challenge);
  const authed = await authenticate(w, signature, { session_duration_minutes: 60, ...authExtra });
  return { started, signature, authed };
}

/** The user's wallet entry for `address`, verified. */
function walletOf(user, address, type) {
  const found = user.crypto_wallets.filter((c) => c.crypto_wallet_address === address);
  assert.equal(found.length, 1, `${address} in ${JSON.stringify(user.crypto_wallets)}`);
  assert.equal(found[0].crypto_wallet_type, type);
  assert.equal(found[0].verified, true);
  assert.ok(found[0].crypto_wallet_id.startsWith("crypto-wallet-test-"), found[0].crypto_wallet_id);
  return found[0];
}

/** The crypto factor of a session (exactly one) naming `wallet`. */
function cryptoFactor(session, wallet) {
  const fs = session.authentication_factors.filter((f) => f.type === "crypto");
  assert.equal(fs.length, 1, JSON.stringify(session.authentication_factors));
  const f = fs[0];
  assert.equal(f.delivery_method, "crypto_wallet");
  assert.ok(!Number.isNaN(Date.parse(f.last_authenticated_at)), f.last_authenticated_at);
  assert.deepEqual(f.crypto_wallet_factor, {
    crypto_wallet_id: wallet.crypto_wallet_id,
    crypto_wallet_address: wallet.crypto_wallet_address,
    crypto_wallet_type: wallet.crypto_wallet_type,
  });
  return f;
}

/** Parses a SIWE challenge with the siwe package and checks it is in canonical EIP-4361 form. */
function parseSiwe(challenge) {
  const m = new SiweMessage(challenge);
  assert.equal(m.prepareMessage(), challenge, "the challenge is canonical EIP-4361");
  assert.equal(m.version, "1");
  assert.match(m.nonce, /^[A-Za-z0-9]{8,}$/, m.nonce);
  return m;
}

(async () => {
  // ---------------------------------------------------------------------------------------------
  const eth = newEthereumWallet();
  const lower = eth.address.toLowerCase();
  const first = await start({ type: "ethereum", address: lower });
  assert.equal(first.user_created, true);
  assert.ok(first.user_id);
  assert.ok(first.challenge.startsWith(CHALLENGE_PREFIX), first.challenge);
  assert.ok(first.challenge.length > CHALLENGE_PREFIX.length + 8, first.challenge);
  const firstSig = await eth.sign(first.challenge);
  assert.match(firstSig, /^0x[0-9a-f]{130}$/);
  assert.equal(await verifyEthereum(eth.address, first.challenge, firstSig), true);
  const a = await authenticate({ type: "ethereum", address: lower }, firstSig, {
    session_duration_minutes: 60,
  });
  assert.equal(a.user_id, first.user_id);
  assert.equal(a.session_token.length, 44);
  assert.equal(a.session_jwt.split(".").length, 3);
  // The address comes back EIP-55 checksummed, however it was sent.
  assert.equal(getAddress(lower), eth.address);
  const ethWallet = walletOf(a.user, eth.address, "ethereum");
  assert.equal(a.user.crypto_wallets.length, 1);
  assert.equal(a.session.user_id, a.user_id);
  assert.equal(a.session.authentication_factors.length, 1);
  cryptoFactor(a.session, ethWallet);
  const local = await client.sessions.authenticateJwtLocal({ session_jwt: a.session_jwt });
  assert.equal(local.session_id, a.session.session_id);
  cryptoFactor(local, ethWallet);
  const viaToken = await client.sessions.authenticate({ session_token: a.session_token });
  cryptoFactor(viaToken.session, ethWallet);
  log("ethereum login creates a user, its session has the crypto factor, address checksummed");

  // ---------------------------------------------------------------------------------------------
  const again = await login(eth);
  assert.equal(again.started.user_created, false);
  assert.equal(again.started.user_id, a.user_id);
  assert.notEqual(again.started.challenge, first.challenge);
  assert.equal(again.authed.user_id, a.user_id);
  assert.notEqual(again.authed.session.session_id, a.session.session_id);
  assert.equal(again.authed.user.crypto_wallets.length, 1);
  assert.equal(walletOf(again.authed.user, eth.address, "ethereum").crypto_wallet_id, ethWallet.crypto_wallet_id);
  log("the same wallet logs in again to the same user");

  // ---------------------------------------------------------------------------------------------
  const sol = newSolanaWallet();
  assert.equal(bs58.decode(sol.address).length, 32);
  const solStart = await start(sol);
  assert.equal(solStart.user_created, true);
  assert.notEqual(solStart.user_id, a.user_id);
  assert.ok(solStart.challenge.startsWith(CHALLENGE_PREFIX), solStart.challenge);
  const solSig = await sol.sign(solStart.challenge);
  assert.equal(bs58.decode(solSig).length, 64);
  assert.equal(verifySolana(sol.address, solStart.challenge, solSig), true);
  const s = await authenticate(sol, solSig, { session_duration_minutes: 60 });
  assert.equal(s.user_id, solStart.user_id);
  const solWallet = walletOf(s.user, sol.address, "solana");
  cryptoFactor(s.session, solWallet);
  log("solana login");

  // ---------------------------------------------------------------------------------------------
  // SIWE: the server's defaults (chain 1, issued now, expires 10 minutes later) ...
  const siwe = newEthereumWallet();
  const defaults = await start(siwe, { siwe_params: { domain: SIWE_DOMAIN, uri: SIWE_URI } });
  assert.equal(defaults.user_created, true);
  const d = parseSiwe(defaults.challenge);
  assert.equal(d.domain, SIWE_DOMAIN);
  assert.equal(d.address, siwe.address);
  assert.equal(d.uri, SIWE_URI);
  assert.equal(d.chainId, 1);
  assert.ok(Math.abs(Date.parse(d.issuedAt) - Date.now()) < 60_000, d.issuedAt);
  assert.equal(Date.parse(d.expirationTime) - Date.parse(d.issuedAt), 10 * 60_000);
  // ... then every parameter given; this later challenge is the one that counts.
  const issuedAt = rfc3339(Date.now() - 30_000);
  const siweParams = {
    domain: SIWE_DOMAIN,
    uri: `${SIWE_URI}/login`,
    resources: [`${SIWE_URI}/terms`, "ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq"],
    chain_id: "137",
    statement: "Sign in to the Tessera wallet test",
    issued_at: issuedAt,
    message_request_id: "node-wallets-1",
  };
  const siweStart = await start(siwe, { siwe_params: siweParams });
  assert.equal(siweStart.user_created, false);
  assert.equal(siweStart.user_id, defaults.user_id);
  const m = parseSiwe(siweStart.challenge);
  assert.equal(m.domain, SIWE_DOMAIN);
  assert.equal(m.address, siwe.address);
  assert.equal(m.uri, siweParams.uri);
  assert.equal(m.chainId, 137);
  assert.equal(m.statement, siweParams.statement);
  assert.deepEqual(m.resources, siweParams.resources);
  assert.equal(m.requestId, siweParams.message_request_id);
  assert.equal(Date.parse(m.issuedAt), Date.parse(issuedAt));
  assert.equal(Date.parse(m.expirationTime) - Date.parse(issuedAt), 10 * 60_000);
  assert.notEqual(m.nonce, d.nonce);
  const siweSig = await siwe.sign(siweStart.challenge);
  assert.equal(await verifyEthereum(siwe.address, siweStart.challenge, siweSig), true);
  const w = await authenticate(siwe, siweSig, { session_duration_minutes: 60 });
  assert.equal(w.user_id, siweStart.user_id);
  cryptoFactor(w.session, walletOf(w.user, siwe.address, "ethereum"));
  log("SIWE (EIP-4361) login: domain, uri, chain id, nonce and expiry checked by the siwe parser");

  // ---------------------------------------------------------------------------------------------
  // Only the latest challenge counts; a signature over an older one, or by another key, fails.
  const twice = newEthereumWallet();
  const older = await start(twice);
  const newer = await start(twice);
  assert.equal(newer.user_created, false);
  assert.equal(newer.user_id, older.user_id);
  assert.notEqual(newer.challenge, older.challenge);
  await expectError(
    "unable_to_authenticate_crypto_wallet",
    authenticate(twice, await twice.sign(older.challenge), { session_duration_minutes: 60 }),
    401,
  );
  const intruder = newEthereumWallet();
  const latest = await start(twice);
  await expectError(
    "unable_to_authenticate_crypto_wallet",
    authenticate(twice, await intruder.sign(latest.challenge), { session_duration_minutes: 60 }),
    401,
  );
  const fresh = await login(twice);
  assert.equal(fresh.authed.user_id, older.user_id);
  log("a signature over an older challenge, or by another key, is refused");

  // Single use: the same signature a second time finds no pending challenge (404).
  const replay = newEthereumWallet();
  const once = await login(replay);
  await expectError(
    "crypto_wallet_not_found",
    authenticate(replay, once.signature, { session_duration_minutes: 60 }),
    404,
  );
  // Nor does an address that never started.
  const never = newEthereumWallet();
  await expectError(
    "crypto_wallet_not_found",
    authenticate(never, await never.sign(`${CHALLENGE_PREFIX}nothing`)),
    404,
  );
  log("a replayed challenge and an address with no challenge are refused");

  // SIWE time bounds: refused at start or, the message being signed, at authenticate.
  async function siweRefused(errorType, params) {
    const wallet = newEthereumWallet();
    let started;
    try {
      started = await start(wallet, { siwe_params: { domain: SIWE_DOMAIN, uri: SIWE_URI, ...params } });
    } catch (e) {
      assert.equal(e.error_type, errorType, String(e));
      assert.equal(e.status_code, 400, String(e));
      return "start";
    }
    const msg = parseSiwe(started.challenge);
    if (params.issued_at) assert.equal(Date.parse(msg.issuedAt), Date.parse(params.issued_at));
    if (params.not_before) assert.equal(Date.parse(msg.notBefore), Date.parse(params.not_before));
    await expectError(
      errorType,
      authenticate(wallet, await wallet.sign(started.challenge), { session_duration_minutes: 60 }),
      400,
    );
    return "authenticate";
  }
  const expiredAt = await siweRefused("siwe_message_expired", {
    issued_at: rfc3339(Date.now() - 60 * 60_000),
  });
  const earlyAt = await siweRefused("siwe_message_not_valid_yet", {
    not_before: rfc3339(Date.now() + 5 * 60_000),
  });
  log(`an expired SIWE message (refused at ${expiredAt}) and one not valid yet (at ${earlyAt})`);

  await expectError(
    "invalid_siwe_domain",
    start(newEthereumWallet(), { siwe_params: { domain: "evil.example.com", uri: "https://evil.example.com" } }),
    400,
  );
  await expectError(
    "crypto_wallet_type_incompatible_with_siwe",
    start(newSolanaWallet(), { siwe_params: { domain: SIWE_DOMAIN, uri: SIWE_URI } }),
    400,
  );
  log("a foreign SIWE domain and SIWE on solana are refused");

  for (const address of ["0x1234", "0x" + "zz".repeat(20), eth.address.slice(2), "not an address"]) {
    await expectError("invalid_ethereum_address", start({ type: "ethereum", address }), 400);
  }
  for (const address of [eth.address, "0OIl" + sol.address.slice(4), bs58.encode(crypto.randomBytes(20))]) {
    await expectError("invalid_solana_address", start({ type: "solana", address }), 400);
  }
  log("malformed addresses are refused");

  const sized = newEthereumWallet();
  const sizedStart = await start(sized);
  const good = await sized.sign(sizedStart.challenge);
  await expectError("signature_is_incorrect_size", authenticate(sized, good.slice(0, -2)), 400);
  await expectError("signature_is_incorrect_size", authenticate(sized, good + "00"), 400);
  await expectError("invalid_signature", authenticate(sized, "0x" + "zz".repeat(65)), 400);
  const sizedSol = newSolanaWallet();
  const sizedSolStart = await start(sizedSol);
  const goodSol = bs58.decode(await sizedSol.sign(sizedSolStart.challenge));
  await expectError("signature_is_incorrect_size", authenticate(sizedSol, bs58.encode(goodSol.slice(0, 63))), 400);
  await expectError("invalid_signature", authenticate(sizedSol, "0OIl" + bs58.encode(goodSol).slice(4)), 400);
  log("signatures of the wrong size or encoding are refused");

  // ---------------------------------------------------------------------------------------------
  // Attach: a new solana wallet started with the ethereum user's session, a new ethereum wallet
  // started with its user_id; both join that user.
  const attachSol = newSolanaWallet();
  const bySession = await login(attachSol, { session_token: a.session_token });
  assert.equal(bySession.started.user_created, false);
  assert.equal(bySession.started.user_id, a.user_id);
  assert.equal(bySession.authed.user_id, a.user_id);
  const attachEth = newEthereumWallet();
  const byUser = await login(attachEth, { user_id: a.user_id });
  assert.equal(byUser.started.user_created, false);
  assert.equal(byUser.started.user_id, a.user_id);
  let user = await client.users.get({ user_id: a.user_id });
  assert.equal(user.crypto_wallets.length, 3);
  walletOf(user, eth.address, "ethereum");
  const attachedSol = walletOf(user, attachSol.address, "solana");
  walletOf(user, attachEth.address, "ethereum");
  log("wallets attached by session token and by user id, listed by users.get");

  // A magic-link session gains the crypto factor when authenticate names it.
  const email = "node-wallets@example.com";
  await client.magicLinks.email.loginOrCreate({ email });
  const ml = await client.magicLinks.authenticate({
    token: await need("email_link", email),
    session_duration_minutes: 60,
  });
  const second = newEthereumWallet();
  const secondStart = await start(second, { session_token: ml.session_token });
  assert.equal(secondStart.user_created, false);
  assert.equal(secondStart.user_id, ml.user_id);
  const stepped = await authenticate(second, await second.sign(secondStart.challenge), {
    session_token: ml.session_token,
    session_duration_minutes: 60,
  });
  assert.equal(stepped.user_id, ml.user_id);
  assert.equal(stepped.session.session_id, ml.session.session_id, "the same session, stepped up");
  assert.equal(stepped.session_token, ml.session_token);
  assert.deepEqual(stepped.session.authentication_factors.map((f) => f.type), ["magic_link", "crypto"]);
  cryptoFactor(stepped.session, walletOf(stepped.user, second.address, "ethereum"));
  assert.equal(stepped.user.emails[0].email, email);
  const steppedLocal = await client.sessions.authenticateJwtLocal({ session_jwt: stepped.session_jwt });
  assert.deepEqual(steppedLocal.authentication_factors.map((f) => f.type), ["magic_link", "crypto"]);
  log("a magic-link session gains a second factor, crypto");

  // ---------------------------------------------------------------------------------------------
  const deleted = await client.users.deleteCryptoWallet({ crypto_wallet_id: attachedSol.crypto_wallet_id });
  assert.equal(deleted.user_id, a.user_id);
  assert.ok(!deleted.user.crypto_wallets.some((c) => c.crypto_wallet_id === attachedSol.crypto_wallet_id));
  user = await client.users.get({ user_id: a.user_id });
  assert.equal(user.crypto_wallets.length, 2);
  assert.ok(!user.crypto_wallets.some((c) => c.crypto_wallet_address === attachSol.address));
  await expectError(
    "crypto_wallet_not_found",
    client.users.deleteCryptoWallet({ crypto_wallet_id: attachedSol.crypto_wallet_id }),
    404,
  );
  const reborn = await login(attachSol);
  assert.equal(reborn.started.user_created, true);
  assert.notEqual(reborn.started.user_id, a.user_id);
  assert.equal(reborn.authed.user_id, reborn.started.user_id);
  assert.equal(reborn.authed.user.crypto_wallets.length, 1);
  cryptoFactor(reborn.authed.session, walletOf(reborn.authed.user, attachSol.address, "solana"));
  log("a deleted wallet leaves its user, and logs in next as a new user");

  console.log("PASS");
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
