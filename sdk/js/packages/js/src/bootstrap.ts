/** Project flags from `GET /projects/bootstrap/{public_token}`: fetched lazily, once, cached in memory and localStorage. */
import type { Request } from './network';
import { lsGet, lsSet, parseJSON, stateKey } from './storage';
import type { Bootstrap } from './types';

/** Used when the server cannot be asked and nothing is cached: Tessera always wants PKCE on magic links. */
const DEFAULTS: Bootstrap = { pkce_required_for_email_magic_links: true, pkce_required_for_password_resets: false };

export const createBootstrap = (pt: string, request: Request): (() => Promise<Bootstrap>) => {
  const key = stateKey(pt) + '::bootstrap';
  let pending: Promise<Bootstrap> | undefined;
  return () =>
    (pending ??= request<Bootstrap>('GET', `/projects/bootstrap/${encodeURIComponent(pt)}`).then(
      (b) => (lsSet(key, JSON.stringify(b)), b),
      () => ((pending = undefined), parseJSON<Bootstrap>(lsGet(key)) ?? DEFAULTS),
    ));
};
