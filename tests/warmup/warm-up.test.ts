// The start-up warm-up (src/warmup/): the message path run over loopback before the ports open,
// on its own data plane, pool and echo middle end, leaving nothing behind and counting nothing.
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import type { MiddleEnd } from "../../src/proxy/middle-contract.ts";
import { DEFAULT_WARMUP_MS, WARMUP_ENV, warmUpMessagePath, warmUpMs } from "../../src/warmup/warm-up.ts";
import { CLIENT_SECRETS, meConfig, mtprotoPacket, startBinaryProxy, startMe } from "../support/binary-proxy.ts";
import { connectTestClient, createTestClientCodec } from "../support/test-client.ts";
import { Cleanup, getStats } from "../supervisor/process-harness.ts";

describe("warmUpMs", () => {
  test("on by default, off with 0, a whole number of ms otherwise", () => {
    expect(warmUpMs({})).toBe(DEFAULT_WARMUP_MS);
    expect(warmUpMs({ [WARMUP_ENV]: "" })).toBe(DEFAULT_WARMUP_MS);
    expect(warmUpMs({ [WARMUP_ENV]: "0" })).toBe(0);
    expect(warmUpMs({ [WARMUP_ENV]: "750" })).toBe(750);
  });

  test("nonsense keeps the default; a huge value is capped at 10 s", () => {
    for (const v of ["-5", "1.5", "abc", "0x10"]) expect(warmUpMs({ [WARMUP_ENV]: v })).toBe(DEFAULT_WARMUP_MS);
    expect(warmUpMs({ [WARMUP_ENV]: "3600000" })).toBe(10_000);
  });
});

const openFds = (): number => readdirSync("/proc/self/fd").length;

async function settledFds(want: number): Promise<number> {
  for (let i = 0; i < 100 && openFds() > want; i++) await Bun.sleep(20);
  return openFds();
}

describe("warmUpMessagePath", () => {
  test("clients of every transport connect again and again and get their packets echoed through the process's own kind of middle end", async () => {
    let binds = 0;
    const r = await warmUpMessagePath({
      durationMs: 150,
      proxyTag: new Uint8Array(16).fill(7),
      middleOf: (pool): MiddleEnd => ({
        bind: (client, sink) => {
          binds++;
          return pool.bind(client, sink);
        },
      }),
    });
    expect(r.connections).toBeGreaterThanOrEqual(12 * 2); // 12 clients, each reconnecting
    expect(r.broken).toBe(0); // every answer and quick ack decoded, no connection cut
    expect(r.roundTrips).toBeGreaterThan(r.connections);
    expect(r.answered).toBeGreaterThan(r.roundTrips); // bursts carry 1–3 packets
    expect(binds).toBeGreaterThanOrEqual(r.connections - 12); // the last connections may end unbound
    expect(r.elapsedMs).toBeLessThan(150 + 2_000);
  });

  test("leaves no socket open behind it", async () => {
    await warmUpMessagePath({ durationMs: 50, proxyTag: null }); // the runtime opens what it keeps on first use
    await Bun.sleep(100);
    const before = openFds();
    const r = await warmUpMessagePath({ durationMs: 100, proxyTag: null });
    expect(r.roundTrips).toBeGreaterThan(0);
    expect(await settledFds(before)).toBe(before);
  });
});

describe.skipIf(!process.env.MTPROXY_BIN)("the compiled binary", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test("warms up before it serves; the real middle end, /stats and clients see none of it", async () => {
    const me = startMe(cleanup);
    const px = await startBinaryProxy(cleanup, { config: meConfig([[2, me]]), mes: [{ me, links: 4 }], extra: ["-v"] });
    const lines = px.p.lines;
    const warmed = lines.findIndex((l) => /message path warmed up: \d+ connections \(0 broken\), \d+ round trips in \d+ ms/.test(l));
    expect(warmed).toBeGreaterThanOrEqual(0);
    expect(warmed).toBeLessThan(lines.findIndex((l) => l.includes("main loop")));
    const before = await getStats(px.statsPort);
    for (const key of ["tot_forwarded_queries", "tot_forwarded_responses", "ext_connections_created"]) {
      expect([key, before.get(key)]).toEqual([key, "0"]);
    }
    expect(me.requests).toHaveLength(0);

    const c = await connectTestClient("127.0.0.1", px.port, createTestClientCodec({ secret: CLIENT_SECRETS[0]!, mode: "plain", dc: 2 }));
    cleanup.add(() => c.close());
    c.send([{ payload: mtprotoPacket(64) }]);
    expect(await c.next(5_000)).toEqual({ kind: "packet", payload: mtprotoPacket(64) });
    expect(me.requests).toHaveLength(1);
    expect((await getStats(px.statsPort)).get("tot_forwarded_queries")).toBe("1");
  });

  test(`${WARMUP_ENV}=0 starts without it`, async () => {
    const me = startMe(cleanup);
    const px = await startBinaryProxy(cleanup, { config: meConfig([[2, me]]), mes: [{ me, links: 4 }], extra: ["-v"], env: { [WARMUP_ENV]: "0" } });
    expect(px.p.lines.some((l) => l.includes("warmed up"))).toBe(false);
  });
});
