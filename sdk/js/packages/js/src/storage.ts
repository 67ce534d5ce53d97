/** Safe `localStorage` access under the `stytch_sdk_state_{public_token}` prefix (errors swallowed, as Stytch does). */

export const stateKey = (publicToken: string): string => `stytch_sdk_state_${publicToken}`;

export const lsGet = (key: string): string | null => {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
};

export const lsSet = (key: string, value: string | null): void => {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* private mode or quota: ignore */
  }
};

/** Parse JSON, `null` for anything unparsable. */
export const parseJSON = <T>(text: string | null): T | null => {
  try {
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
};
