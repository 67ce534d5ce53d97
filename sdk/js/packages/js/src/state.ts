/** The data layer: state, `fromCache`, subscribers, the notify rule and the deep-equal it uses. */
import type { TesseraState } from './types';

export type State = TesseraState | null;
export type Listener = (state: State) => void;

/**
 * Structural equality of JSON-like values. Keys named `ignore` are skipped at any depth, and a key
 * whose value is `undefined` counts as absent.
 */
export const deepEqual = (a: unknown, b: unknown, ignore?: string): boolean => {
  if (a === b) return true;
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = (o: object) => Object.keys(o).filter((k) => k !== ignore && (o as Record<string, unknown>)[k] !== undefined);
  const ka = keys(a);
  return (
    ka.length === keys(b).length &&
    ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], ignore))
  );
};

export interface DataLayer {
  state: State;
  /** True until the first update is applied: the state came from localStorage, unconfirmed. */
  fromCache: boolean;
  /** Bumped whenever the session changes identity (or its tokens are replaced): older answers are stale. */
  gen: number;
  /** `Date.now()` of the last applied update (local or from another tab). */
  updatedAt: number;
  subscribe(listener: Listener): () => void;
  /** Shallow-merge `patch` into the state (`null` clears it); returns whether subscribers were notified. */
  update(patch: State): boolean;
}

export const createDataLayer = (initial: State, fromCache: boolean): DataLayer => {
  const listeners = new Set<Listener>();
  const layer: DataLayer = {
    state: initial,
    fromCache,
    gen: 0,
    updatedAt: Date.now(),
    subscribe(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    update(patch) {
      const old = layer.state;
      const next = patch && { ...old, ...patch };
      const notify = layer.fromCache || !deepEqual(old, next, 'last_accessed_at');
      if (old?.session?.session_id !== next?.session?.session_id) layer.gen++;
      layer.state = next;
      layer.fromCache = false;
      layer.updatedAt = Date.now();
      if (notify) [...listeners].forEach((l) => l(next));
      return notify;
    },
  };
  return layer;
};

/** Subscribe to one slice of the state: `cb` runs when that slice's reference changes. */
export const watch = <T>(layer: DataLayer, pick: (s: State) => T | null | undefined, cb: (v: T | null) => void) => {
  let last = pick(layer.state) ?? null;
  return layer.subscribe((s) => {
    const v = pick(s) ?? null;
    if (v !== last) cb((last = v));
  });
};
