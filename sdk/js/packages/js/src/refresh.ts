/** Background refresh: one timer, the 3-minute schedule counted from the last update, and the retry backoff. */
import { isUnrecoverable } from './errors';

/** Delay before retry `n` (1, 2, …): 2000·2^min(n,7) ms plus a whole jitter in [−175, 174]. */
export const backoffDelay = (n: number, random: () => number = Math.random): number =>
  2000 * 2 ** Math.min(n, 7) + Math.floor(random() * 350) - 175;

export interface RefreshDeps {
  intervalMs: number;
  /** One refresh (`POST /sessions/authenticate`); throws on failure (the engine has already cleared on unrecoverable errors). */
  run(): Promise<unknown>;
  hasSession(): boolean;
  isLeader(): boolean;
  /** Whether the state was confirmed by the server or another tab (`!fromCache`). */
  confirmed(): boolean;
  lastUpdate(): number;
}

export interface Refresher {
  /** Refresh now (startup). */
  start(): void;
  /** Re-plan after any applied update or a change of leadership. */
  plan(): void;
  stop(): void;
}

export const createRefresher = (d: RefreshDeps): Refresher => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;
  const later = (ms: number) => {
    clearTimeout(timer);
    timer = stopped ? undefined : setTimeout(run, Math.max(0, ms));
  };
  const run = async () => {
    timer = undefined;
    try {
      await d.run();
      attempt = 0;
    } catch (e) {
      // Recoverable: retry with backoff while this tab owns the schedule, or until a first answer
      // (here or from another tab) confirms the cached state.
      if (!isUnrecoverable(e) && (!d.confirmed() || (d.isLeader() && d.hasSession()))) later(backoffDelay(++attempt));
    }
  };
  return {
    start: () => void run(),
    plan() {
      // Until the first answer the startup attempt (and its retries) own the timer.
      if (!d.confirmed()) return;
      attempt = 0;
      clearTimeout(timer);
      timer = undefined;
      if (d.isLeader() && d.hasSession()) later(d.lastUpdate() + d.intervalMs - Date.now());
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
};
