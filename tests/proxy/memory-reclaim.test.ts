// The reclaimer collects only after RSS grew by the threshold since the last collection.
import { expect, test } from "bun:test";
import { MemoryReclaimer } from "../../src/proxy/memory-reclaim.ts";

test("collects when RSS grows past the post-collection figure by the threshold, then re-bases", () => {
  let rss = 100;
  let collected = 0;
  const r = new MemoryReclaimer({ rssBytes: () => rss, collect: () => void (collected++, (rss -= 50)), growthBytes: 64 });
  r.tick(); // first figure: the floor
  rss = 160;
  r.tick();
  expect(collected).toBe(0);
  rss = 170;
  r.tick();
  expect(collected).toBe(1);
  expect(r.collections).toBe(1);
  // floor is now 120: growing to 180 does not collect, 190 does
  rss = 180;
  r.tick();
  expect(collected).toBe(1);
  rss = 190;
  r.tick();
  expect(collected).toBe(2);
  // RSS falling lowers the floor
  rss = 50;
  r.tick();
  rss = 120;
  r.tick();
  expect(collected).toBe(3);
});

test("waits while traffic flows (JSC collects then); collects at the first quiet tick", () => {
  let rss = 100;
  let moved = 0;
  let collected = 0;
  const r = new MemoryReclaimer({ rssBytes: () => rss, collect: () => void (collected++, (rss = 100)), growthBytes: 64, activity: () => moved, quietActivity: 1000 });
  r.tick();
  rss = 300;
  for (let i = 0; i < 5; i++) {
    moved += 50_000; // a busy interval
    r.tick();
  }
  expect(collected).toBe(0);
  moved += 10; // the flood is over
  r.tick();
  expect(collected).toBe(1);
  expect(rss).toBe(100);
});
