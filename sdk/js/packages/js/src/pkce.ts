/** PKCE pairs (S256) for magic links, password resets and OAuth, kept in localStorage until the flow completes. */
import { lsGet, lsSet, parseJSON, stateKey } from './storage';

export interface PKCEPair {
  code_challenge: string;
  code_verifier: string;
}

export type PKCENamespace = 'magic_links' | 'passwords' | 'oauth';

const key = (pt: string, ns: PKCENamespace) => `${stateKey(pt)}::PKCE_VERIFIER:${ns}`;

/** base64url without padding. */
export const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A fresh pair: 16 random 32-bit values in hex (128 characters), challenge = base64url(SHA-256(verifier)). */
export const createPKCEPair = async (): Promise<PKCEPair> => {
  const code_verifier = Array.from(crypto.getRandomValues(new Uint32Array(16)), (n) => n.toString(16).padStart(8, '0')).join('');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(code_verifier));
  return { code_challenge: base64url(new Uint8Array(digest)), code_verifier };
};

export const getPKCEPair = (pt: string, ns: PKCENamespace): PKCEPair | null => parseJSON<PKCEPair>(lsGet(key(pt, ns)));

export const dropPKCEPair = (pt: string, ns: PKCENamespace): void => lsSet(key(pt, ns), null);

/**
 * The challenge of the pair in progress for `ns`, creating and storing one when there is none
 * (or always with `fresh`: OAuth starts a new pair on every start, as Stytch does).
 */
export const pkceChallenge = async (pt: string, ns: PKCENamespace, fresh?: boolean): Promise<string> => {
  let pair = fresh ? null : getPKCEPair(pt, ns);
  if (!pair) lsSet(key(pt, ns), JSON.stringify((pair = await createPKCEPair())));
  return pair.code_challenge;
};
