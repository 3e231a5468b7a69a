// Fast slice of `make stability`'s slow-reader scenario: clients that ask for big answers and never
// read are shed by the process-wide output budget (what C defines as check_all_conn_buffers and
// never calls), while a client beside them keeps getting prompt answers.
import { afterEach, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/log.ts";
import { MiddlePool } from "../../src/rpc/pool.ts";
import { openClient, type LoadClient } from "../../stability/clients.ts";
import { CMD_BIG, makeRequest, requestFields } from "../../stability/wire.ts";
import { cleanupList, SECRETS, startPlane } from "../proxy/harness.ts";
import { KEY_SELECT, makeConfig, SECRET, target } from "../rpc/helpers.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";

const cleanup = cleanupList();
afterEach(() => cleanup.run());

const MiB = 1 << 20;
const ANSWER = 512 << 10;
const SLOW_ANSWERS = 24;

async function setup(msgBuffersSize: number) {
  const big = Buffer.alloc(ANSWER, 0x5a);
  const me = FakeMiddleEnd.start({
    secret: SECRET,
    behaviour: (req, fake) => {
      const f = requestFields(req.payload);
      fake.sendProxyAns(req.connId, f?.cmd === CMD_BIG ? big : req.payload, 0, fake.connections[req.conn]);
      fake.requests.length = 0;
    },
  });
  cleanup.add(() => me.stop());
  const pool = new MiddlePool({
    config: makeConfig([[2, [target(me.port, 2)]]], 2),
    secret: { bytes: SECRET, keySelect: KEY_SELECT },
    options: { proxyTag: null, natInfo: [], pingIntervalSec: 0 },
    log: createMemoryLogger(0).log,
  });
  pool.start();
  cleanup.add(() => pool.stop());
  await me.waitFor(() => pool.snapshot().connectionsReady === 2, 3000, "pool ready");
  const { plane, port } = await startPlane(cleanup, pool, { options: { msgBuffersSize } });
  const open = async (): Promise<LoadClient> => {
    const c = await openClient({ host: "127.0.0.1", port, secret: SECRETS[0]! });
    cleanup.add(() => c.terminate());
    return c;
  };
  return { plane, pool, open };
}

test("slow readers are cut by the output budget; the total held stays near the limit; a good client is served", async () => {
  const { plane, open } = await setup(16 * MiB); // budget: 4 MiB
  const limit = plane.budget.limitBytes;
  expect(limit).toBe(4 * MiB);
  const good = await open();
  await good.echo(2000);

  let maxHeld = 0;
  const sampler = setInterval(() => (maxHeld = Math.max(maxHeld, plane.budget.totalBytes)), 2);
  const slow: LoadClient[] = [];
  for (let i = 0; i < 4; i++) {
    const c = await open();
    c.pause();
    // 24 × 512 KiB = 12 MiB each. The kernel takes up to ~4 MiB of that per socket (tcp_wmem's
    // 4 MiB cap plus the receiver's window), so each slow client ends up holding over 7 MiB by
    // itself, more than the whole budget: every one of them is shed, however the kernel's buffers
    // happen to grow. (With 6 MiB each the count depended on that growth: 2 or 3.)
    c.sendPackets(Array.from({ length: SLOW_ANSWERS }, () => makeRequest(c.id, c.nextSeq(), CMD_BIG, ANSWER)));
    slow.push(c);
  }
  const lat: number[] = [];
  const deadline = performance.now() + 4000;
  while (plane.counters.closes.memory < 4 && performance.now() < deadline) lat.push(await good.echo(2000));
  for (let i = 0; i < 10; i++) lat.push(await good.echo(2000));
  clearInterval(sampler);

  expect(plane.counters.closes.memory).toBe(4);
  expect(plane.budget.shedCount).toBe(4);
  // the budget is checked after each answer is queued: at most one answer (plus framing) over
  expect(maxHeld).toBeLessThanOrEqual(limit + ANSWER + 64);
  expect(plane.budget.totalBytes).toBeLessThanOrEqual((limit * 3) / 4 + ANSWER + 64);
  // the shed sessions released their sockets (a paused client does not even notice)
  await Bun.sleep(100);
  expect(plane.activeClients).toBe(1);
  expect(good.isClosed).toBe(false);
  expect(good.mismatches).toBe(0);
  expect(Math.max(...lat)).toBeLessThan(1000);
}, 15_000);
