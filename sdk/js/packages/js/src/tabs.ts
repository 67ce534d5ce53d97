/** Cross-tab plumbing: leader election (Web Locks), state broadcast (BroadcastChannel) and the `storage` event; each a no-op where missing. */

/** Ask to lead; `onLeader` runs once the lock is held. Returns a function that gives it up (or withdraws the request). */
export const requestLeadership = (name: string, onLeader: () => void): (() => void) => {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) {
    // No Web Locks: every tab refreshes (Stytch's behaviour).
    onLeader();
    return () => {};
  }
  const abort = new AbortController();
  let release: (() => void) | undefined;
  locks
    .request(name, { signal: abort.signal }, () => new Promise<void>((resolve) => ((release = resolve), onLeader())))
    .catch(() => {});
  return () => {
    abort.abort();
    release?.();
  };
};

export interface Channel {
  post(message: unknown): void;
  close(): void;
}

/** A BroadcastChannel, or `undefined` where there is none. */
export const openChannel = (name: string, onMessage: (message: unknown) => void): Channel | undefined => {
  if (typeof BroadcastChannel === 'undefined') return undefined;
  const c = new BroadcastChannel(name);
  c.onmessage = (e: MessageEvent) => onMessage(e.data);
  return { post: (m) => c.postMessage(m), close: () => c.close() };
};

/** Call `cb` when another tab changes localStorage `key`; returns the unsubscribe. */
export const onStorage = (key: string, cb: () => void): (() => void) => {
  const h = (e: StorageEvent) => e.key === key && cb();
  addEventListener('storage', h);
  return () => removeEventListener('storage', h);
};
