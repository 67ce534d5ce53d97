/** Links that land on the app: `?token=…&stytch_token_type=…` parsing and clean-up. */

/** Token types `authenticateByUrl` recognises (`TesseraCoreClient` authenticates only `magic_links`; `TesseraClient` all three). */
export const HANDLED_TOKEN_TYPES = ['magic_links', 'oauth', 'impersonation'];

export type ParsedAuthenticateUrl =
  | { handled: true; token: string; tokenType: string }
  | { handled: false; token: string; tokenType: string };

/** Read `token` and `stytch_token_type` from `href` (default: the current URL); `null` when either is missing. */
export const parseAuthenticateUrl = (href?: string): ParsedAuthenticateUrl | null => {
  if (href === undefined) {
    if (typeof location === 'undefined') return null;
    href = location.href;
  }
  const q = new URL(href).searchParams;
  const token = q.get('token');
  const tokenType = q.get('stytch_token_type');
  return token && tokenType ? { handled: HANDLED_TOKEN_TYPES.includes(tokenType), token, tokenType } : null;
};

/** Remove `token` and `stytch_token_type` from the address bar (no navigation). */
export const clearTokenParams = (): void => {
  const url = new URL(location.href);
  url.searchParams.delete('token');
  url.searchParams.delete('stytch_token_type');
  history.replaceState(history.state, document.title, url);
};
