// Fast slices of `make stability`'s fault scenarios with short timers: the middle end dropped and
// restarted on its port, a middle end that goes silent after the handshake (C holds such clients
// forever), stalled handshakes (half-open) and clients that reset after a query.
import { afterEach, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/log.ts";
import { MiddlePool, type PoolLimits } from "../../src/rpc/pool.ts";
import { openClient, openMany, type LoadClient } from "../../stability/clients.ts";
import { makeRequest } from "../../stability/wire.ts";
import { cleanupList, SECRETS, startPlane, until } from "../proxy/harness.ts";
import { KEY_SELECT, makeConfig, SECRET, target } from "../rpc/helpers.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";

const cleanup = cleanupList();
afterEach(() => cleanup.run());

async function setup(limits: Partial<PoolLimits> = {}, planeLimits = {}) {
  let me = FakeMiddleEnd.start({ secret: SECRET });
  const mePort = me.port;
  cleanup.add(() => me.stop());
  const pool = new MiddlePool({
    config: makeConfig([[2, [target(mePort, 2)]]], 2),
    secret: { bytes: SECRET, keySelect: KEY_SELECT },
    options: { proxyTag: null, natInfo: [], pingIntervalSec: 0 },
    log: createMemoryLogger(0).log,
    limits: { tickMs: 100, ...limits },
  });
  pool.start();
  cleanup.add(() => pool.stop());
  await until(() => pool.snapshot().connectionsReady === 2, 3000, "pool ready");
  const { plane, port } = await startPlane(cleanup, pool, { limits: planeLimits });
  const t = { host: "127.0.0.1", port, secret: SECRETS[0]! };
  const restart = (): FakeMiddleEnd => {
    me = FakeMiddleEnd.start({ secret: SECRET, port: mePort });
    return me;
  };
  return { me: () => me, restart, pool, plane, t };
}

/** A fresh client's echo, retried every 100 ms; ms until the first success. */
async function servedWithin(t: { host: string; port: number; secret: Uint8Array }, ms: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < ms) {
    let c: LoadClient | null = null;
    try {
      c = await openClient(t);
      await c.echo(300);
      return performance.now() - start;
    } catch {
      await Bun.sleep(100);
    } finally {
      c?.terminate();
    }
  }
  throw new Error(`no client served within ${ms} ms`);
}

test("middle end dropped: bound clients closed at once; restarted on its port: served after the back-off", async () => {
  const s = await setup();
  const { clients } = await openMany(s.t, 10, 10, async (c) => void (await c.echo()));
  const at = performance.now();
  s.me().stop(); // every link cut, the port closed
  await Promise.all(clients.map((c) => c.closed));
  expect(Math.max(...clients.map((c) => c.closedAt - at))).toBeLessThan(1000);
  expect(s.plane.counters.closes.middle).toBe(10);
  s.restart();
  // the first reconnect comes after ~1-1.1 s, then ×1.5 per failure: a few seconds at most
  expect(await servedWithin(s.t, 6000)).toBeLessThan(6000);
}, 15_000);

test("silent middle end: pings go unanswered, bound clients closed within the silence bound; served again once it answers", async () => {
  const s = await setup({ pingIntervalMs: 100, silenceTimeoutMs: 500 });
  const { clients } = await openMany(s.t, 10, 10, async (c) => void (await c.echo()));
  s.me().behaviour = "silent";
  const at = performance.now();
  for (const c of clients) void c.echo(10_000).catch(() => undefined);
  await Promise.all(clients.map((c) => c.closed));
  const closedMs = Math.max(...clients.map((c) => c.closedAt - at));
  expect(closedMs).toBeGreaterThanOrEqual(400);
  expect(closedMs).toBeLessThan(1500);
  expect(s.pool.snapshot().silentClosed).toBeGreaterThanOrEqual(1);
  s.me().behaviour = "echo";
  expect(await servedWithin(s.t, 4000)).toBeLessThan(4000);
}, 15_000);

test("half-open: a stalled handshake is closed at the give-up bound; a reset after a query releases its binding", async () => {
  const s = await setup({}, { giveUpMs: 300 });
  const stalled = await openClient(s.t, { sendOpening: false });
  stalled.sendRaw(stalled.codec.opening().subarray(0, 30));
  const silent = await openClient(s.t, { sendOpening: false });
  const at = performance.now();
  await Promise.all([stalled.closed, silent.closed]);
  expect(performance.now() - at).toBeLessThan(1500);
  expect(s.plane.counters.closes["handshake-timeout"]).toBe(2);

  const reset = await openClient(s.t);
  await reset.echo();
  reset.pause();
  reset.sendPackets([makeRequest(reset.id, reset.nextSeq())]);
  await until(() => s.me().requests.length >= 2, 2000, "second query at the ME");
  await Bun.sleep(50); // its answer sits unread in the client's kernel buffer: the close is a reset
  reset.terminate();
  await until(() => s.plane.activeClients === 0, 2000, "reset session released");
  await until(() => s.me().closeConns.length === 1, 2000, "RPC_CLOSE_CONN for the reset client");
  expect(s.pool.snapshot().boundClients).toBe(0);
}, 15_000);
