// -M 2 in middle-end mode through the compiled binary (config-and-cli.md §D.3): each worker holds its
// own link to the fake middle end, concurrent clients spread over both workers and all echo, and the
// supervisor's /stats sums what the workers forwarded.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { openBinaryClient, type BinaryClient } from "../support/binary-client.ts";
import { CLIENT_SECRETS, meConfig, mtprotoPacket, startBinaryProxy, startMe, type BinaryProxy } from "../support/binary-proxy.ts";
import type { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { createTestClientCodec } from "../support/test-client.ts";
import { childPids, Cleanup, getStats } from "../supervisor/process-harness.ts";

const cleanup = new Cleanup();
let me: FakeMiddleEnd;
let proxy: BinaryProxy;

beforeAll(async () => {
  me = startMe(cleanup);
  // min_connections 1: one link per worker, so a request's link tells which worker carried it
  proxy = await startBinaryProxy(cleanup, { config: meConfig([[2, me]], { defaultDc: 2, minConnections: 1 }), mes: [{ me, links: 2 }], workers: 2 });
}, 15_000);
afterAll(() => cleanup.run());

test("-M 2: 60 concurrent clients spread over both workers' links, every one echoes; /stats sums the workers", async () => {
  const workers = childPids(proxy.p.pid);
  expect(workers.length).toBe(2);
  const links = me.openTunnels;
  expect(links.length).toBe(2);
  // the handshake's sender pid (16 bits) names the worker behind each link
  expect(new Set(links.map((l) => l.clientPid!.pid)).size).toBe(2);
  expect(links.map((l) => l.clientPid!.pid).sort()).toEqual(workers.map((w) => w & 0xffff).sort());

  const n = 60;
  const transports: ClientTransport[] = ["abridged", "intermediate", "padded"];
  const conns: BinaryClient[] = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const codec = createTestClientCodec({ secret: CLIENT_SECRETS[i % 3]!, mode: "plain", transport: transports[i % 3]!, dc: 2, random: seededRandom(3000 + i) });
      const c = await openBinaryClient(proxy.port, codec);
      cleanup.add(() => c.close());
      return c;
    }),
  );
  const errors: string[] = [];
  await Promise.all(
    conns.map(async (c, i) => {
      const p = mtprotoPacket(256, i);
      c.send([{ payload: p }]);
      try {
        const e = await c.next(5000);
        if (!(e.kind === "packet" && Buffer.from(e.payload.subarray(0, p.length)).equals(p))) errors.push(`client ${i}: wrong answer`);
      } catch (error) {
        errors.push(`client ${i}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  expect(errors).toEqual([]);
  expect(me.requests.length).toBe(n);
  const perLink = links.map((l) => me.requests.filter((r) => r.conn === l.index).length);
  console.log(`-M 2 spread of ${n} clients over the workers' links: ${perLink.join(" / ")}`);
  for (const k of perLink) expect(k).toBeGreaterThan(0);
  expect(perLink.reduce((a, b) => a + b, 0)).toBe(n);

  // workers report once a second; the supervisor's page adds them up
  const end = performance.now() + 4000;
  let forwarded = 0;
  while (performance.now() < end) {
    forwarded = Number((await getStats(proxy.statsPort)).get("tot_forwarded_queries") ?? -1);
    if (forwarded === n) break;
    await Bun.sleep(100);
  }
  expect(forwarded).toBe(n);
  for (const c of conns) c.close();
}, 20_000);
