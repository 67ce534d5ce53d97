/** `client.magicLinks`: email magic links with PKCE (the challenge on send, the verifier on authenticate). */
import type { Engine } from '../engine';
import { dropPKCEPair, getPKCEPair, pkceChallenge, type PKCENamespace } from '../pkce';
import type { FactorAuthenticateResponse, MagicLinksSendOptions, ResponseCommon, SessionDurationOptions } from '../types';

export const createMagicLinksClient = (e: Engine) => {
  const send = async (path: string, email: string, options?: MagicLinksSendOptions): Promise<ResponseCommon> => {
    const code_challenge = (await e.bootstrap()).pkce_required_for_email_magic_links
      ? await pkceChallenge(e.pt, 'magic_links')
      : undefined;
    return e.request('POST', path, { ...options, email, code_challenge });
  };
  return {
    email: {
      /** Email a login link, creating the user if needed. */
      loginOrCreate: (email: string, options?: MagicLinksSendOptions) =>
        send('/magic_links/email/login_or_create', email, options),
      /** Email a link to an existing user (attached to the current session when one is held). */
      send: (email: string, options?: MagicLinksSendOptions) =>
        send(`/magic_links/email/send/${e.layer.state?.session ? 'secondary' : 'primary'}`, email, options),
    },
    /**
     * Authenticate a link's token. Sends the verifier of a password-reset pair first (the reset
     * email may carry a login link), then the magic-link pair; the pair used is deleted on success.
     */
    async authenticate(token: string, options: SessionDurationOptions): Promise<FactorAuthenticateResponse> {
      const tries = (['passwords', 'magic_links'] as PKCENamespace[]).filter((ns) => getPKCEPair(e.pt, ns));
      for (let i = 0; ; i++) {
        const ns = tries[i];
        try {
          const r = await e.auth<FactorAuthenticateResponse>('/magic_links/authenticate', {
            ...options,
            token,
            code_verifier: ns && getPKCEPair(e.pt, ns)?.code_verifier,
          });
          if (ns) dropPKCEPair(e.pt, ns);
          return r;
        } catch (err) {
          if (i + 1 >= tries.length || !/pkce/i.test((err as Error).message)) throw err;
        }
      }
    },
  };
};

export type MagicLinksClient = ReturnType<typeof createMagicLinksClient>;
