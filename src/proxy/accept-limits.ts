// Accept-time limits: -C (per-process client cap) and --max-accept-rate (token bucket, capacity R,
// refill R/s, starts full). Mirrors net-connections.c: net_accept_new_connections / alloc_new_connection.
// C stops accepting at the cap (the listener leaves epoll, clients wait in the backlog); Bun cannot
// pause a listener, so over the cap we accept and close at once, like C does over the rate.

export type AcceptVerdict = "ok" | "cap" | "rate";

export class AcceptLimiter {
  readonly #maxActive: number;
  readonly #rate: number;
  #tokens: number;
  #lastMs: number | null = null;

  /** maxActive 0 = no cap; ratePerSec 0 = unlimited. */
  constructor(maxActive: number, ratePerSec: number) {
    this.#maxActive = maxActive;
    this.#rate = ratePerSec;
    this.#tokens = ratePerSec;
  }

  /** Tokens left in the --max-accept-rate bucket after the last decision (C: cur_accept_rate_remaining). */
  get remaining(): number {
    return this.#tokens;
  }

  /** One accepted socket with `active` clients already open: keep it, or why to close it. */
  admit(active: number, nowMs: number): AcceptVerdict {
    if (this.#rate > 0) {
      // C refills before deciding and draws a token only for sockets it keeps (the cap comes later in C,
      // in alloc_new_connection, after the token was spent; we check it first: no token for a refusal).
      if (this.#lastMs !== null) this.#tokens = Math.min(this.#rate, this.#tokens + ((nowMs - this.#lastMs) / 1000) * this.#rate);
      this.#lastMs = nowMs;
      if (this.#tokens < 1) return "rate";
    }
    if (this.#maxActive > 0 && active >= this.#maxActive) return "cap";
    if (this.#rate > 0) this.#tokens -= 1;
    return "ok";
  }
}
