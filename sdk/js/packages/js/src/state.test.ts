// The data layer's rules: deep-equal ignoring last_accessed_at at any depth, notify on first update or deep change, session generations.
import { describe, expect, it, vi } from 'vitest';
import { createDataLayer, deepEqual } from './state';
import { makeSession, makeUser } from '../test/fake-server';

describe('deepEqual', () => {
  it('ignores the named key at any depth, and undefined-valued keys', () => {
    const a = { s: { last_accessed_at: '1', f: [{ last_accessed_at: 'x', k: 1 }] } };
    const b = { s: { last_accessed_at: '2', f: [{ last_accessed_at: 'y', k: 1 }] }, u: undefined };
    expect(deepEqual(a, b, 'last_accessed_at')).toBe(true);
    expect(deepEqual(a, b)).toBe(false);
    expect(deepEqual({ k: [1, 2] }, { k: [2, 1] })).toBe(false);
    expect(deepEqual({ k: [] }, { k: {} })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
  });
});

describe('data layer', () => {
  it('notifies on the first update even when equal, then only on deep change', () => {
    const s = makeSession();
    const layer = createDataLayer({ session: s }, true);
    const l = vi.fn();
    layer.subscribe(l);
    expect(layer.update({ session: { ...s } })).toBe(true);
    expect(layer.fromCache).toBe(false);
    expect(layer.update({ session: { ...s, last_accessed_at: 'later' } })).toBe(false);
    expect(layer.state!.session!.last_accessed_at).toBe('later');
    expect(layer.update({ user: makeUser() })).toBe(true);
    expect(layer.update(null)).toBe(true);
    expect(layer.update(null)).toBe(false);
    expect(l).toHaveBeenCalledTimes(3);
    expect(l).toHaveBeenLastCalledWith(null);
  });

  it('bumps the generation only when the session identity changes', () => {
    const layer = createDataLayer(null, false);
    layer.update({ session: makeSession('a') });
    const g = layer.gen;
    layer.update({ session: makeSession('a', { custom_claims: { x: 1 } }) });
    expect(layer.gen).toBe(g);
    layer.update({ session: makeSession('b') });
    expect(layer.gen).toBe(g + 1);
    layer.update(null);
    expect(layer.gen).toBe(g + 2);
  });
});
