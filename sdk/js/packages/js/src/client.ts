/** `TesseraClient`: the core client plus passwords, TOTP, OAuth, impersonation, WebAuthn and crypto wallets. */
import { TesseraCoreClient } from './core-client';
import { createCryptoWalletsClient } from './factors/crypto_wallets';
import { createImpersonationClient } from './factors/impersonation';
import { createOAuthClient } from './factors/oauth';
import { createPasswordsClient } from './factors/passwords';
import { createTOTPsClient } from './factors/totps';
import { createWebAuthnClient } from './factors/webauthn';

export class TesseraClient extends TesseraCoreClient {
  readonly passwords = createPasswordsClient(this._engine);
  readonly totps = createTOTPsClient(this._engine);
  readonly oauth = createOAuthClient(this._engine);
  readonly impersonation = createImpersonationClient(this._engine);
  readonly webauthn = createWebAuthnClient(this._engine);
  readonly cryptoWallets = createCryptoWalletsClient(this._engine);

  /** @internal `authenticateByUrl` also handles `oauth` and `impersonation` links (impersonation ignores the duration). */
  protected override _urlHandler(tokenType: string) {
    return tokenType === 'oauth'
      ? this.oauth.authenticate
      : tokenType === 'impersonation'
        ? (token: string) => this.impersonation.authenticate({ impersonation_token: token })
        : super._urlHandler(tokenType);
  }
}
