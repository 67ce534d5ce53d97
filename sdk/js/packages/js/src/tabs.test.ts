// Several tabs of one origin (separate engines in one jsdom window): leader election with a fake navigator.locks, Node's BroadcastChannel, and the storage-event fallback.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFakeServer, makeSession, makeUser, ok, PT, type FakeServer } from '../test/fake-server';
import { cacheState, forgetEngines, newClient, settle } from '../test/helpers';

/** A minimal Web Locks implementation: exclusive locks granted in request order, abortable while queued. */
const fakeLocks = () => {
  const held = new Set<string>();
  const queues = new Map<string, (() => void)[]>();
  return {
    request(name: string, options: { signal?: AbortSignal }, cb: () => Promise<void>) {
      return new Promise<void>((resolve, reject) => {
        const grant = () => {
          held.add(name);
          cb().then(resolve, reject).finally(() => {
            held.delete(name);
            queues.get(name)?.shift()?.();
          });
        };
        if (!held.has(name)) return grant();
        const q = queues.get(name) ?? [];
        q.push(grant);
        queues.set(name, q);
        options.signal?.addEventListener('abort', () => {
          const i = q.indexOf(grant);
          if (i >= 0) q.splice(i, 1);
          reject(new DOMException('aborted', 'AbortError'));
        });
      });
    },
  };
};

const REFRESH = 'POST /sessions/authenticate';
let server: FakeServer;
let startedAt: number;

/** Wait for BroadcastChannel deliveries (real event-loop turns; the clock is fake). */
const delivered = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** A tab: its own engine, its own fetch (to count who refreshes). */
const openTab = (options = {}) => {
  forgetEngines();
  const fetch = vi.fn(server.fetch);
  const client = newClient(server, { fetch, ...options });
  const refreshes = () => fetch.mock.calls.filter(([url, init]) => String(url).endsWith('/sessions/authenticate') && init?.method === 'POST').length;
  return { client, refreshes };
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  startedAt = Date.now();
  server = createFakeServer().addSession('tok-1');
  cacheState({ session: makeSession(), user: makeUser() });
  document.cookie = 'stytch_session=tok-1; path=/';
});

describe('with Web Locks and BroadcastChannel', () => {
  beforeEach(() => {
    Object.defineProperty(navigator, 'locks', { value: fakeLocks(), configurable: true });
  });
  afterEach(() => {
    Reflect.deleteProperty(navigator, 'locks');
  });

  it('only the leader refreshes; followers apply its broadcasts', async () => {
    const a = openTab();
    const b = openTab();
    await settle();
    expect([a.refreshes(), b.refreshes()]).toEqual([1, 1]); // each tab's startup check
    // Hold answers, so that a second refresher could not be hidden by the leader's broadcast.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    server.on(REFRESH, async (req) => (await gate, server.builtin(req)));
    await vi.advanceTimersByTimeAsync(180_000);
    expect([a.refreshes(), b.refreshes()]).toEqual([2, 1]);
    open();
    await settle();
    await delivered();
    expect(b.client.session.getSync()!.last_accessed_at).toBe(a.client.session.getSync()!.last_accessed_at);
    expect(b.client.session.getSync()!.last_accessed_at).toBe(new Date(180_000 + startedAt).toISOString());
    for (let i = 0; i < 2; i++) {
      await vi.advanceTimersByTimeAsync(180_000);
      await delivered();
    }
    expect([a.refreshes(), b.refreshes()]).toEqual([4, 1]);
  });

  it('when the leader closes, the next tab takes over on the same schedule', async () => {
    const a = openTab();
    const b = openTab();
    await settle();
    await vi.advanceTimersByTimeAsync(100_000);
    server.sessions.get('tok-1')!.session.custom_claims = { step: 1 };
    await a.client.session.authenticate(); // a state change in the leader at t=100 s, broadcast to b
    await delivered();
    expect(b.client.session.getSync()!.custom_claims).toEqual({ step: 1 });
    await vi.advanceTimersByTimeAsync(50_000);
    a.client.destroy(); // tab closed at t=150 s: lock released
    await delivered();
    await vi.advanceTimersByTimeAsync(129_999); // b refreshes 180 s after the last update (t=280 s)
    expect(b.refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(b.refreshes()).toBe(2);
    await vi.advanceTimersByTimeAsync(180_000);
    expect(b.refreshes()).toBe(3);
  });

  it('a logout in any tab reaches the others at once', async () => {
    const a = openTab();
    const b = openTab();
    const c = openTab();
    await settle();
    await delivered();
    const bChanges: unknown[] = [];
    b.client.session.onChange((s) => bChanges.push(s));
    await c.client.session.revoke(); // a follower logs out
    await delivered();
    expect(a.client.session.getSync()).toBeNull();
    expect(b.client.session.getSync()).toBeNull();
    expect(bChanges).toEqual([null]);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(a.refreshes()).toBe(1); // the leader stopped refreshing
  });

  it('a login in a follower reaches the leader, which restarts its countdown', async () => {
    const a = openTab();
    const b = openTab();
    await settle();
    server.addSession('tok-2', makeSession('session-test-2'));
    server.on('POST /otps/authenticate', () => ok(server.authAnswer('tok-2')));
    await vi.advanceTimersByTimeAsync(60_000);
    await b.client.otps.authenticate('123456', 'phone-1', { session_duration_minutes: 30 });
    await delivered();
    expect(a.client.session.getSync()!.session_id).toBe('session-test-2');
    await vi.advanceTimersByTimeAsync(179_999);
    expect(a.refreshes()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.refreshes()).toBe(2);
    expect(server.calls(REFRESH).at(-1)!.secret).toBe('tok-2'); // the shared cookie
  });

  it('a broadcast and the storage event for the same state notify once', async () => {
    const a = openTab();
    const b = openTab();
    await settle();
    await delivered();
    const seen = vi.fn();
    b.client.onStateChange(seen);
    server.sessions.get('tok-1')!.session.custom_claims = { x: 1 };
    await a.client.session.authenticate();
    await delivered();
    window.dispatchEvent(new StorageEvent('storage', { key: `stytch_sdk_state_${PT}`, newValue: localStorage.getItem(`stytch_sdk_state_${PT}`) }));
    expect(seen).toHaveBeenCalledTimes(1);
  });
});

describe('fallbacks', () => {
  it('without Web Locks (nor BroadcastChannel) every tab runs its own schedule', async () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    const a = openTab();
    const b = openTab();
    await settle();
    await vi.advanceTimersByTimeAsync(180_000);
    expect([a.refreshes(), b.refreshes()]).toEqual([2, 2]);
    vi.unstubAllGlobals();
  });

  it('without BroadcastChannel the storage event carries a logout', async () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    const a = openTab();
    const b = openTab();
    await settle();
    await a.client.session.revoke();
    expect(b.client.session.getSync()).not.toBeNull();
    // What the browser does in the other tab when tab A writes "null".
    window.dispatchEvent(new StorageEvent('storage', { key: `stytch_sdk_state_${PT}`, newValue: 'null' }));
    expect(b.client.session.getSync()).toBeNull();
    expect(localStorage.getItem(`stytch_sdk_state_${PT}`)).toBe('null');
    vi.unstubAllGlobals();
  });
});
