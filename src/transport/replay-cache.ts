// Fake-TLS client-random replay cache and timestamp rule. Mirrors net-tcp-rpc-ext-server.c:
// have_client_random / add_client_random / delete_old_client_randoms / is_allowed_timestamp (§4.5),
// plus a size bound the C lacks (evict oldest) so a flood of hellos cannot exhaust memory.

/** MAX_CLIENT_RANDOM_CACHE_TIME: entries older than 2 days are purged. */
export const REPLAY_MAX_AGE_SEC = 2 * 86_400;
/**
 * Beyond C: evicting the oldest entries is safe because the timestamp rule follows the oldest
 * entry left, so a replay of an evicted hello is refused unless it is under 10 minutes old and
 * 10 minutes of hellos must fit: 262,144 entries is ~440 hellos/s (~30 MB).
 */
export const REPLAY_DEFAULT_MAX_ENTRIES = 262_144;
/** MAX_ALLOWED_TIMESTAMP_ERROR (10 min) and the 3 s of clock skew into the future. */
export const TIMESTAMP_MAX_PAST_SEC = 600;
export const TIMESTAMP_MAX_FUTURE_SEC = 3;

export const REPLAY_KEY_LEN = 16;

/**
 * Beyond C: the cache of recent obfuscated2 inits of plain/dd clients (keyed by W[8..24), the
 * clear key material, as mtprotoproxy keys by W[8..56)). Active probes replay a captured init
 * within seconds; 65,536 entries is ~6 MB and hours of handshakes at a typical rate.
 */
export const INIT_REPLAY_DEFAULT_MAX_ENTRIES = 65_536;
export const INIT_REPLAY_KEY_OFFSET = 8;

export class ReplayCache {
  // A Map iterates in insertion order, which is also time order: the first entry is the oldest.
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #maxAgeSec: number;

  constructor(opts: { maxEntries?: number; maxAgeSec?: number } = {}) {
    this.#maxEntries = Math.max(1, opts.maxEntries ?? REPLAY_DEFAULT_MAX_ENTRIES);
    this.#maxAgeSec = opts.maxAgeSec ?? REPLAY_MAX_AGE_SEC;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** `clientRandom` may be the full 32 bytes: only the first 16 are the key (as in C). */
  has(clientRandom: Uint8Array): boolean {
    return this.#entries.has(keyOf(clientRandom));
  }

  /** Inserts, then purges like C (entries >= 2 days old, never the newest) and enforces the bound. */
  add(clientRandom: Uint8Array, nowSec: number): void {
    const key = keyOf(clientRandom);
    this.#entries.delete(key);
    this.#entries.set(key, nowSec);
    for (const [k, t] of this.#entries) {
      if (this.#entries.size <= 1) break;
      if (t > nowSec - this.#maxAgeSec && this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(k);
    }
  }

  /** Insertion time of the oldest entry, or null when empty. */
  oldestTime(): number | null {
    for (const t of this.#entries.values()) return t;
    return null;
  }
}

function keyOf(clientRandom: Uint8Array): string {
  if (clientRandom.length < REPLAY_KEY_LEN) throw new RangeError("client random shorter than 16 bytes");
  return Buffer.from(clientRandom.buffer, clientRandom.byteOffset, REPLAY_KEY_LEN).toString("latin1");
}

/** is_allowed_timestamp: `oldestSec` is the oldest cache entry (the current hello is already in). */
export function isAllowedTimestamp(ts: number, nowSec: number, oldestSec: number | null): boolean {
  if (ts > nowSec + TIMESTAMP_MAX_FUTURE_SEC) return false;
  if (oldestSec !== null && ts > oldestSec + TIMESTAMP_MAX_FUTURE_SEC) return true;
  return ts > nowSec - TIMESTAMP_MAX_PAST_SEC;
}
