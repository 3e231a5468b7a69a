// When to restart a crashed worker (beyond C: check_children_status aborts the whole proxy with exit 1
// when any worker dies). Back-off 1 s doubling to 30 s, back to 1 s after a run of 60 s. Pure.

export interface RestartPolicyOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** A worker that served at least this long restarts after initialDelayMs again. */
  stableUptimeMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  stableUptimeMs: 60_000,
};

/** One per worker slot. */
export class RestartBackoff {
  #nextDelayMs: number;
  constructor(readonly opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {
    this.#nextDelayMs = opts.initialDelayMs;
  }

  /** The delay before restarting a worker that ran `uptimeMs` and then died. */
  onExit(uptimeMs: number): number {
    if (uptimeMs >= this.opts.stableUptimeMs) this.#nextDelayMs = this.opts.initialDelayMs;
    const delay = this.#nextDelayMs;
    this.#nextDelayMs = Math.min(delay * 2, this.opts.maxDelayMs);
    return delay;
  }
}
