/** `client.oauth`: a provider's start (a top-level navigation, PKCE when the project asks), authenticate and attach. */
import type { Engine } from '../engine';
import { serverCallError } from '../errors';
import { dropPKCEPair, getPKCEPair, pkceChallenge } from '../pkce';
import type {
  OAuthAttachResponse,
  OAuthAuthenticateResponse,
  OAuthGetURLOptions,
  OAuthProviders,
  SessionDurationOptions,
} from '../types';

export interface OAuthProviderClient {
  /**
   * Send the browser to `{baseUrl}/v1/public/oauth/{provider}/start?…` (or `https://{cname_domain}/…`
   * when the project has one). With the project's `pkce_required_for_oauth` a new `oauth` PKCE pair
   * is stored and its challenge sent; without it any stored pair is deleted. The provider flow ends
   * on the redirect URL with `?stytch_token_type=oauth&token=…` (see `authenticateByUrl`).
   */
  start(options?: OAuthGetURLOptions): Promise<void>;
}

const PROVIDERS = (
  'google apple microsoft github gitlab facebook discord salesforce slack amazon bitbucket linkedin coinbase twitch twitter tiktok snapchat figma yahoo'
).split(' ') as OAuthProviders[];

export const createOAuthClient = (e: Engine) => {
  const start = (provider: OAuthProviders) => async (o: OAuthGetURLOptions = {}): Promise<void> => {
    if (!e.browser) throw serverCallError();
    const b = await e.bootstrap();
    const url = new URL(`${b.cname_domain ? 'https://' + b.cname_domain : e.base}/v1/public/oauth/${provider}/start`);
    const q = url.searchParams;
    q.set('public_token', e.pt);
    if (b.pkce_required_for_oauth) q.set('code_challenge', await pkceChallenge(e.pt, 'oauth', true));
    else dropPKCEPair(e.pt, 'oauth');
    if (o.custom_scopes) q.set('custom_scopes', o.custom_scopes.join(' '));
    for (const [k, v] of Object.entries(o.provider_params ?? {})) q.set('provider_' + k, v);
    for (const k of ['login_redirect_url', 'signup_redirect_url', 'oauth_attach_token'] as const) if (o[k]) q.set(k, o[k]);
    client.navigate(url);
  };
  const client = {
    ...(Object.fromEntries(PROVIDERS.map((p) => [p, { start: start(p) }])) as Record<OAuthProviders, OAuthProviderClient>),
    /**
     * Authenticate the token of the redirect (`?stytch_token_type=oauth&token=…`). Sends the
     * stored `oauth` PKCE verifier when there is one (deleted on success, kept on failure, as
     * Stytch does). The answer has the session under both `user_session` and `session`.
     */
    async authenticate(token: string, options: SessionDurationOptions): Promise<OAuthAuthenticateResponse> {
      const r = await e.auth<OAuthAuthenticateResponse>('/oauth/authenticate', {
        token,
        code_verifier: getPKCEPair(e.pt, 'oauth')?.code_verifier,
        ...options,
      });
      dropPKCEPair(e.pt, 'oauth');
      return r;
    },
    /**
     * A single-use `oauth_attach_token` for the logged-in user: pass it to
     * `oauth.<provider>.start({oauth_attach_token})` to add that provider to this user.
     */
    attach: (provider: string) => e.request<OAuthAttachResponse>('POST', '/oauth/attach', { provider }),
    /** @internal The top-level navigation of `start` (replaced in tests, like Stytch's `navigate`). */
    navigate(url: URL): void {
      location.href = url.toString();
    },
  };
  return client;
};

export type OAuthClient = ReturnType<typeof createOAuthClient>;
