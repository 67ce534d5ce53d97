// The retry backoff: 2000·2^min(n,7) ms ± jitter in [−175, 174], first retry ≈ 4 s, capped at ≈ 256 s.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './refresh';

describe('backoffDelay', () => {
  it('doubles from 4 s to 256 s and stays there', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffDelay(n, () => 0.5))).toEqual([
      4000, 8000, 16000, 32000, 64000, 128000, 256000, 256000, 256000,
    ]);
  });

  it('adds a whole jitter in [-175, 174]', () => {
    expect(backoffDelay(1, () => 0)).toBe(3825);
    expect(backoffDelay(1, () => 0.9999999)).toBe(4174);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3);
      expect(Number.isInteger(d) && d >= 16000 - 175 && d <= 16000 + 174).toBe(true);
    }
  });
});
