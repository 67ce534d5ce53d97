// Crypto wallets against the fake server: start primary or secondary by local state, the SIWE
// parameters (asked for, or required by bootstrap; Ethereum only), and the authenticate call
// applying the session.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiError, createFakeServer, makeSession, makeUser, ok, PT, type FakeServer } from '../test/fake-server';
import { cacheState, newClient, settle } from '../test/helpers';

let server: FakeServer;
const BOOT = `GET /projects/bootstrap/${PT}`;
const ETH = '0x71C7656EC7ab88b098defB751B7401B5f6d8976F';
const SOL = '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV';
const START = (which: string) => `POST /crypto_wallets/authenticate/start/${which}`;
const bootstrap = (siwe: boolean) => () => ok({ request_id: 'r', status_code: 200, siwe_required_for_crypto_wallets: siwe });

beforeEach(() => {
  vi.useFakeTimers();
  server = createFakeServer().addSession('tok-1');
  for (const which of ['primary', 'secondary']) {
    server.on(START(which), (req) => ok({ request_id: 'r', status_code: 200, challenge: `challenge for ${req.body!.crypto_wallet_address}` }));
  }
  server.on('POST /crypto_wallets/authenticate', () => ok(server.authAnswer('tok-1')));
  server.on(BOOT, bootstrap(false));
});

const loggedIn = () => {
  cacheState({ session: makeSession(), user: makeUser() });
  document.cookie = 'stytch_session=tok-1; path=/';
};

describe('cryptoWallets.authenticateStart', () => {
  it('logged out: start/primary with the address and type only', async () => {
    const c = newClient(server);
    await settle();
    const r = await c.cryptoWallets.authenticateStart({ crypto_wallet_address: ETH, crypto_wallet_type: 'ethereum' });
    expect(r.challenge).toBe(`challenge for ${ETH}`);
    expect(server.calls(START('primary'))[0].body).toEqual({ crypto_wallet_address: ETH, crypto_wallet_type: 'ethereum' });
    expect(server.calls(START('secondary'))).toHaveLength(0);
  });

  it('logged in: start/secondary with the session token as the secret', async () => {
    loggedIn();
    const c = newClient(server);
    await settle();
    await c.cryptoWallets.authenticateStart({ crypto_wallet_address: SOL, crypto_wallet_type: 'solana' });
    const [req] = server.calls(START('secondary'));
    expect(req.body).toEqual({ crypto_wallet_address: SOL, crypto_wallet_type: 'solana' });
    expect(req.secret).toBe('tok-1');
    expect(server.calls(START('primary'))).toHaveLength(0);
    expect(server.calls(BOOT)).toHaveLength(0); // Solana never asks for SIWE
  });

  it('SIWE parameters given for Ethereum are sent, the URI defaulting to the page origin; Solana drops them', async () => {
    const c = newClient(server);
    await c.cryptoWallets.authenticateStart({
      crypto_wallet_address: ETH,
      crypto_wallet_type: 'ethereum',
      siwe_params: { statement: 'Sign in', chain_id: '10', resources: ['https://example.com/terms'] },
    });
    await c.cryptoWallets.authenticateStart({
      crypto_wallet_address: ETH,
      crypto_wallet_type: 'ethereum',
      siwe_params: { uri: 'http://localhost:3000/login' },
    });
    await c.cryptoWallets.authenticateStart({ crypto_wallet_address: SOL, crypto_wallet_type: 'solana', siwe_params: { statement: 'x' } });
    expect(server.calls(START('primary')).map((r) => r.body)).toEqual([
      {
        crypto_wallet_address: ETH,
        crypto_wallet_type: 'ethereum',
        siwe_params: { statement: 'Sign in', chain_id: '10', resources: ['https://example.com/terms'], uri: location.origin },
      },
      { crypto_wallet_address: ETH, crypto_wallet_type: 'ethereum', siwe_params: { uri: 'http://localhost:3000/login' } },
      { crypto_wallet_address: SOL, crypto_wallet_type: 'solana' },
    ]);
  });

  it("the project's siwe_required_for_crypto_wallets makes every Ethereum start SIWE (bootstrap read once)", async () => {
    server.on(BOOT, bootstrap(true));
    const c = newClient(server);
    await c.cryptoWallets.authenticateStart({ crypto_wallet_address: ETH, crypto_wallet_type: 'ethereum' });
    await c.cryptoWallets.authenticateStart({ crypto_wallet_address: ETH, crypto_wallet_type: 'ethereum' });
    await c.cryptoWallets.authenticateStart({ crypto_wallet_address: SOL, crypto_wallet_type: 'solana' });
    expect(server.calls(START('primary')).map((r) => r.body!.siwe_params)).toEqual([{ uri: location.origin }, { uri: location.origin }, undefined]);
    expect(server.calls(BOOT)).toHaveLength(1);
  });
});

describe('cryptoWallets.authenticate', () => {
  it('sends the signature and applies the session', async () => {
    const c = newClient(server);
    await settle();
    const r = await c.cryptoWallets.authenticate({
      crypto_wallet_address: ETH,
      crypto_wallet_type: 'ethereum',
      signature: '0xabc',
      session_duration_minutes: 60,
    });
    expect(server.calls('POST /crypto_wallets/authenticate')[0].body).toEqual({
      crypto_wallet_address: ETH,
      crypto_wallet_type: 'ethereum',
      signature: '0xabc',
      session_duration_minutes: 60,
    });
    expect(r).not.toHaveProperty('__user');
    expect(c.session.getSync()?.session_id).toBe('session-test-1');
    expect(c.user.getSync()?.user_id).toBe('user-test-1');
    expect(c.session.getTokens()?.session_token).toBe('tok-1');
  });

  it('a wrong signature rejects and leaves the state alone', async () => {
    server.on('POST /crypto_wallets/authenticate', () => apiError(401, 'unable_to_authenticate_crypto_wallet'));
    const c = newClient(server);
    await settle();
    await expect(
      c.cryptoWallets.authenticate({ crypto_wallet_address: ETH, crypto_wallet_type: 'ethereum', signature: '0x00', session_duration_minutes: 5 }),
    ).rejects.toMatchObject({ error_type: 'unable_to_authenticate_crypto_wallet' });
    expect(c.session.getSync()).toBeNull();
  });
});
