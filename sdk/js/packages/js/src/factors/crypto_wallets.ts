/** `client.cryptoWallets`: log in (or step up) with an Ethereum or Solana wallet's signature of a challenge. */
import type { Engine } from '../engine';
import type {
  CryptoWalletAuthenticateOptions,
  CryptoWalletAuthenticateResponse,
  CryptoWalletAuthenticateStartOptions,
  CryptoWalletAuthenticateStartResponse,
} from '../types';

export const createCryptoWalletsClient = (e: Engine) => ({
  /**
   * The challenge for the wallet to sign: `POST /crypto_wallets/authenticate/start/primary`
   * (logged out: a login, creating the user for a new wallet) or `/secondary` (logged in: the
   * wallet joins the session's user once it signs). An Ethereum wallet gets a Sign-In with
   * Ethereum message when `siwe_params` are given or the project's bootstrap asks for SIWE;
   * `siwe_params.uri` defaults to the page's origin.
   */
  async authenticateStart({ siwe_params, ...o }: CryptoWalletAuthenticateStartOptions): Promise<CryptoWalletAuthenticateStartResponse> {
    const path = `/crypto_wallets/authenticate/start/${e.layer.state?.session ? 'secondary' : 'primary'}`;
    const siwe =
      o.crypto_wallet_type === 'ethereum' && (siwe_params || (await e.bootstrap()).siwe_required_for_crypto_wallets);
    return e.request('POST', path, {
      crypto_wallet_address: o.crypto_wallet_address,
      crypto_wallet_type: o.crypto_wallet_type,
      siwe_params: siwe ? { ...siwe_params, uri: siwe_params?.uri || location.origin } : undefined,
    });
  },
  /** Send the wallet's signature of the challenge: logs in, or steps the session up. */
  authenticate: (o: CryptoWalletAuthenticateOptions) =>
    e.auth<CryptoWalletAuthenticateResponse>('/crypto_wallets/authenticate', o),
});

export type CryptoWalletsClient = ReturnType<typeof createCryptoWalletsClient>;
