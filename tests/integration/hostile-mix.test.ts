// Fast slice of `make stability`'s hostile scenario: hostile connections (random bytes, truncated
// inits, queries abandoned by a close or a reset, broken frames) beside good clients. Every good
// answer reaches its own client (conn ids never confused) and every hostile session is released.
import { afterEach, expect, test } from "bun:test";
import { openMany } from "../../stability/clients.ts";
import { HOSTILE_KINDS, hostileConnection } from "../../stability/phase-hostile.ts";
import { cleanupList, SECRETS, startPlane, startPool, until } from "../proxy/harness.ts";

const cleanup = cleanupList();
afterEach(() => cleanup.run());

test("300 hostile connections beside 5 good clients: no good answer lost or misrouted, no session leaked", async () => {
  const { me, pool } = await startPool(cleanup, { tag: null });
  const { plane, port } = await startPlane(cleanup, pool);
  const target = { host: "127.0.0.1", port, secret: SECRETS[0]! };
  const good = await openMany(target, 5, 5, async (c) => void (await c.echo()));
  cleanup.add(() => good.clients.forEach((c) => c.terminate()));
  let running = true;
  let answers = 0;
  const failures: string[] = [];
  const loops = good.clients.map(async (c) => {
    while (running) {
      try {
        await c.echo(3000);
        answers++;
      } catch (error) {
        failures.push(String(error));
        return;
      }
    }
  });
  let next = 0;
  await Promise.all(
    Array.from({ length: 30 }, async () => {
      while (next < 300) await hostileConnection(target, HOSTILE_KINDS[next++ % HOSTILE_KINDS.length]!);
    }),
  );
  running = false;
  await Promise.all(loops);
  expect(failures).toEqual([]);
  expect(answers).toBeGreaterThan(50);
  expect(good.clients.reduce((a, c) => a + c.mismatches, 0)).toBe(0);
  // every hostile connection closed itself: only the good clients remain, bound or not
  await until(() => plane.activeClients === 5, 3000, "hostile sessions released");
  // abandoned queries were announced closed to the middle end (RPC_CLOSE_CONN), none left bound
  await until(() => pool.snapshot().boundClients === 5, 3000, "bindings released");
  expect(me.closeConns.length).toBeGreaterThan(0);
  expect(plane.counters.badHandshakes).toBeGreaterThan(0);
}, 30_000);
