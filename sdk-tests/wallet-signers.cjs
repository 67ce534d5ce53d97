// Crypto wallets for the SDK tests, signing with libraries independent of the server's:
// viem (EIP-191 personal_sign, secp256k1) for Ethereum and tweetnacl (ed25519) + bs58 for
// Solana. Shared by sdk-tests/node/wallets.js and sdk-tests/browser/run.js (which signs on the
// Node side and hands the signature to the page).
//
//   const { newEthereumWallet, newSolanaWallet } = require('../wallet-signers.cjs');
//   const w = newEthereumWallet();   // { type: 'ethereum', address: '0x…' (EIP-55), sign }
//   const sig = await w.sign(challenge);   // 0x-hex, 65 bytes r‖s‖v
//   const s = newSolanaWallet();     // { type: 'solana', address: base58 of the public key, sign }
//   const sig2 = await s.sign(challenge);  // base58 of the 64-byte ed25519 signature
//
// The libraries live in the caller's node_modules (sdk-tests/node or sdk-tests/browser, each
// pins them in its package.json), not next to this file, so they are resolved from the running
// script's directory first, then from either of those two.
'use strict';

const path = require('node:path');

const bases = [
  require.main && require.main.filename ? path.dirname(require.main.filename) : null,
  path.join(__dirname, 'node'),
  path.join(__dirname, 'browser'),
].filter(Boolean);

function load(name) {
  return require(require.resolve(name, { paths: bases }));
}

const lib = {
  get accounts() { return load('viem/accounts'); },
  get viem() { return load('viem'); },
  get nacl() { return load('tweetnacl'); },
  get bs58() {
    const m = load('bs58'); // bs58 6 is an ES module; its CommonJS build exports { default }
    return m.default || m;
  },
};

/** A new random Ethereum account: `sign(message)` is EIP-191 personal_sign over the UTF-8 text. */
function newEthereumWallet() {
  const { generatePrivateKey, privateKeyToAccount } = lib.accounts;
  const privateKey = generatePrivateKey();
  const account = privateKeyToAccount(privateKey);
  return {
    type: 'ethereum',
    address: account.address, // EIP-55 checksummed
    privateKey,
    sign: (message) => account.signMessage({ message }),
  };
}

/** A new random Solana keypair: `sign(message)` is ed25519 over the UTF-8 bytes, base58. */
function newSolanaWallet() {
  const nacl = lib.nacl;
  const bs58 = lib.bs58;
  const keys = nacl.sign.keyPair();
  return {
    type: 'solana',
    address: bs58.encode(keys.publicKey),
    publicKey: keys.publicKey,
    sign: async (message) =>
      bs58.encode(nacl.sign.detached(new TextEncoder().encode(message), keys.secretKey)),
  };
}

/** Independent checks of a signature, for asserting on what the signers produce. */
async function verifyEthereum(address, message, signature) {
  return lib.viem.verifyMessage({ address, message, signature });
}

function verifySolana(address, message, signature) {
  const bs58 = lib.bs58;
  return lib.nacl.sign.detached.verify(
    new TextEncoder().encode(message),
    bs58.decode(signature),
    bs58.decode(address),
  );
}

module.exports = { newEthereumWallet, newSolanaWallet, verifyEthereum, verifySolana, load };
