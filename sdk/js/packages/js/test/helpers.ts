/** Test set-up shared by the suites: fresh storage, cookies and engines; clients destroyed after each test. */
import { afterEach, vi } from 'vitest';
import { TesseraClient } from '../src/client';
import type { TesseraClientOptions, TesseraState } from '../src/types';
import { BASE, PT, type FakeServer } from './fake-server';

const made: TesseraClient[] = [];

export const newClient = (server: FakeServer, options: Partial<TesseraClientOptions> = {}, pt = PT) => {
  const c = new TesseraClient(pt, { baseUrl: BASE, fetch: server.fetch, ...options });
  made.push(c);
  return c;
};

/** Forget the shared engines so the next client starts a new one (a new tab, or a page reload). */
export const forgetEngines = () => {
  (globalThis as Record<symbol, unknown>)[Symbol.for('tessera.dataLayers')] = undefined;
};

export const clearCookies = () => {
  for (const c of document.cookie.split(/;\s*/)) {
    const name = c.split('=')[0];
    if (name) document.cookie = `${name}=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT`;
  }
};

/** Pretend a previous page load left this state in localStorage. */
export const cacheState = (state: TesseraState | null, pt = PT) =>
  localStorage.setItem(`stytch_sdk_state_${pt}`, JSON.stringify(state));

export const storedState = (pt = PT) => JSON.parse(localStorage.getItem(`stytch_sdk_state_${pt}`) ?? 'undefined');

/** Let pending promises (fake fetch answers) settle without moving the clock. */
export const settle = () => vi.advanceTimersByTimeAsync(0);

afterEach(() => {
  made.splice(0).forEach((c) => c.destroy());
  forgetEngines();
  localStorage.clear();
  clearCookies();
  vi.useRealTimers();
});
