/** HTTP to `{baseUrl}/sdk/v1`: Basic credentials, headers, the `{"data": …}` envelope and error mapping. */
import { TesseraAPIError, TesseraAPIUnreachableError } from './errors';

export type Request = <T>(method: string, path: string, body?: object) => Promise<T>;

export interface NetworkOptions {
  publicToken: string;
  baseUrl: string;
  fetch?: typeof fetch;
  /** The session token to send as the Basic secret, or null for the public token. */
  secret: () => string | null | undefined;
}

/** Build the request function every namespace uses. */
export const createRequest = (o: NetworkOptions): Request => {
  const base = o.baseUrl.replace(/\/+$/, '') + '/sdk/v1';
  return async <T>(method: string, path: string, body?: object): Promise<T> => {
    const auth = btoa(`${o.publicToken}:${o.secret() || o.publicToken}`);
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(base + path, {
        method,
        headers: {
          Authorization: `Basic ${auth}`,
          'Content-Type': 'application/json',
          'X-SDK-Parent-Host': location.origin,
        },
        body: body && JSON.stringify(body),
        credentials: 'include',
      });
    } catch (e) {
      throw new TesseraAPIUnreachableError('Unable to contact the Tessera server.', e);
    }
    const json = await res.json().catch(() => undefined);
    if (res.status < 300) {
      if (json === undefined) throw new TesseraAPIUnreachableError('Invalid JSON response from the Tessera server.');
      return (json as { data: T }).data;
    }
    if (json && typeof json.error_type === 'string' && (res.headers.get('content-type') || '').includes('json')) {
      throw new TesseraAPIError({ status_code: res.status, ...json });
    }
    throw new TesseraAPIUnreachableError(`Invalid response from the Tessera server (HTTP ${res.status}).`);
  };
};
