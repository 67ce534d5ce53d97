/** `TesseraCoreClient`: the headless core (session, user, magic links, passcodes) and the URL and state helpers. */
import { getEngine, type Engine } from './engine';
import { serverCallError } from './errors';
import { createMagicLinksClient } from './factors/magic-links';
import { createOTPsClient } from './factors/otps';
import { createSessionClient } from './session';
import type { AuthenticateResponse, SessionDurationOptions, TesseraClientOptions, TesseraState } from './types';
import { clearTokenParams, parseAuthenticateUrl } from './url';
import { createUserClient } from './user';

export class TesseraCoreClient {
  /** @internal The engine shared by every client of this public token in this window. */
  protected readonly _engine: Engine;
  readonly session: ReturnType<typeof createSessionClient>;
  readonly user: ReturnType<typeof createUserClient>;
  readonly magicLinks: ReturnType<typeof createMagicLinksClient>;
  readonly otps: ReturnType<typeof createOTPsClient>;

  /**
   * @param publicToken the project's public token (`public-token-test-…` / `public-token-live-…`)
   * @param options `baseUrl` (required, used verbatim), storage and refresh options
   */
  constructor(publicToken: string, options: TesseraClientOptions) {
    const e = (this._engine = getEngine(publicToken, options));
    this.session = createSessionClient(e);
    this.user = createUserClient(e);
    this.magicLinks = createMagicLinksClient(e);
    this.otps = createOTPsClient(e);
  }

  /** Run `cb` on every state notification (`{}` when logged out); returns the unsubscribe. */
  onStateChange(cb: (state: TesseraState) => void): () => void {
    return this._engine.layer.subscribe((s) => cb(s ?? {}));
  }

  /** Read `token` / `stytch_token_type` from `href` (default: the current URL). */
  parseAuthenticateUrl(href?: string) {
    return parseAuthenticateUrl(href);
  }

  /**
   * The authenticate call for a link's token type (`magic_links` here; `TesseraClient` adds
   * `oauth` and `impersonation`), or undefined when this client has none.
   * @internal
   */
  protected _urlHandler(tokenType: string): ((token: string, options: SessionDurationOptions) => Promise<AuthenticateResponse>) | undefined {
    if (tokenType === 'magic_links') return this.magicLinks.authenticate;
  }

  /**
   * Authenticate the token in the URL: magic links here; OAuth and impersonation with
   * `TesseraClient` (this core client throws for them). The parameters are removed from the
   * address bar first unless `clearParams` is false (default: removed when `href` is the current URL).
   */
  async authenticateByUrl(
    { clearParams, ...options }: SessionDurationOptions & { clearParams?: boolean },
    href?: string,
  ): Promise<
    | { handled: true; tokenType: string; data: AuthenticateResponse }
    | { handled: false; tokenType: string; token: string }
    | null
  > {
    if (!this._engine.browser) throw serverCallError();
    href ??= location.href;
    const parsed = parseAuthenticateUrl(href);
    if (!parsed?.handled) return parsed;
    const handler = this._urlHandler(parsed.tokenType);
    if (!handler) throw new Error(`TesseraCoreClient: ${parsed.tokenType} links need TesseraClient`);
    if (clearParams ?? href === location.href) clearTokenParams();
    return { handled: true, tokenType: parsed.tokenType, data: await handler(parsed.token, options) };
  }

  /** Tessera extension: stop timers, give up refresh leadership, close the channel and listeners. */
  destroy(): void {
    this._engine.release();
  }
}
