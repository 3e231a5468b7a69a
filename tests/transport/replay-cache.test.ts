import { describe, expect, test } from "bun:test";
import { isAllowedTimestamp, ReplayCache, REPLAY_MAX_AGE_SEC } from "../../src/transport/replay-cache.ts";

const key = (n: number): Uint8Array => {
  const b = Buffer.alloc(32, 0xaa);
  b.writeUInt32BE(n, 0);
  return b;
};

describe("replay cache (client-side.md §4.5)", () => {
  test("keyed by the first 16 bytes only", () => {
    const c = new ReplayCache();
    c.add(key(1), 100);
    const sameHead = Buffer.from(key(1));
    sameHead[20] = 0;
    expect(c.has(sameHead)).toBe(true);
    expect(c.has(key(2))).toBe(false);
  });
  test("purges entries 2 days old but never the newest", () => {
    const c = new ReplayCache();
    c.add(key(1), 1000);
    c.add(key(2), 2000);
    expect(c.oldestTime()).toBe(1000);
    c.add(key(3), 1000 + REPLAY_MAX_AGE_SEC);
    expect([c.has(key(1)), c.has(key(2)), c.size]).toEqual([false, true, 2]);
    const lone = new ReplayCache();
    lone.add(key(9), 0);
    lone.add(key(9), 10 * REPLAY_MAX_AGE_SEC);
    expect(lone.size).toBe(1);
  });
  test("bounded: evicts the oldest, and the timestamp rule follows the new oldest", () => {
    const c = new ReplayCache({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) c.add(key(i), 1000 + i);
    expect([c.size, c.has(key(6)), c.has(key(7)), c.oldestTime()]).toEqual([3, false, true, 1007]);
    expect(isAllowedTimestamp(1009, 5000, c.oldestTime())).toBe(false);
    expect(isAllowedTimestamp(1011, 5000, c.oldestTime())).toBe(true);
  });
});
