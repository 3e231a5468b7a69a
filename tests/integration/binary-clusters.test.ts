// Several DCs on different fake middle ends through the compiled proxy (config-and-cli.md §A;
// backend-rpc.md §10.1): exact signed cluster ids, the `default` fallback, RPC_PROXY_REQ without -P;
// then a middle end killed mid-stream and restarted on the same port (C's back-off, bound clients closed).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { RPC_PROXY_REQ } from "../../src/rpc/constants.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { openBinaryClient, type BinaryClient } from "../support/binary-client.ts";
import { AES_PWD, CLIENT_SECRETS, meConfig, mtprotoPacket, startBinaryProxy, startMe, type BinaryProxy } from "../support/binary-proxy.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { createTestClientCodec } from "../support/test-client.ts";
import { Cleanup, getStats } from "../supervisor/process-harness.ts";

const cleanup = new Cleanup();
let me1: FakeMiddleEnd;
let me2: FakeMiddleEnd;
let meMinus2: FakeMiddleEnd;
let proxy: BinaryProxy;

beforeAll(async () => {
  me1 = startMe(cleanup);
  me2 = startMe(cleanup);
  meMinus2 = startMe(cleanup);
  proxy = await startBinaryProxy(cleanup, {
    config: meConfig([[1, me1], [2, me2], [-2, meMinus2]], { defaultDc: 2, minConnections: 1 }),
    mes: [me1, me2, meMinus2].map((me) => ({ me, links: 1 })),
    tag: null,
  });
}, 15_000);
afterAll(() => cleanup.run());

let seed = 900;
async function client(dc: number, transport: ClientTransport = "intermediate"): Promise<BinaryClient> {
  const codec = createTestClientCodec({ secret: CLIENT_SECRETS[0]!, mode: "plain", transport, dc, random: seededRandom(seed++) });
  const c = await openBinaryClient(proxy.port, codec);
  cleanup.add(() => c.close());
  return c;
}

async function echo(c: BinaryClient, n = 64): Promise<void> {
  const p = mtprotoPacket(n, seed++);
  c.send([{ payload: p }]);
  const e = await c.next(3000);
  expect(e.kind === "packet" && Buffer.from(e.payload).equals(p)).toBe(true);
}

const of = (me: FakeMiddleEnd, c: BinaryClient) => me.requests.filter((r) => r.clientPort === c.localPort);

describe("clusters by exact signed DC id", () => {
  test("dc 1 → ME 1, dc −2 → ME −2, dc 2 / 7 / −1 → the default cluster (2); without -P no tag flag and no extra block", async () => {
    const cases: [number, FakeMiddleEnd, ClientTransport][] = [
      [1, me1, "abridged"],
      [-2, meMinus2, "intermediate"],
      [2, me2, "intermediate"],
      [7, me2, "abridged"],
      [-1, me2, "intermediate"], // −1 is not 1: ids are exact keys
    ];
    for (const [dc, target, transport] of cases) {
      const c = await client(dc, transport);
      await echo(c);
      const mes = [me1, me2, meMinus2];
      for (const me of mes) expect(of(me, c).length).toBe(me === target ? 1 : 0);
      const r = of(target, c)[0]!;
      expect(r.flags >>> 0).toBe(transport === "abridged" ? 0x40021000 : 0x20021000);
      expect(r.tag).toBeNull();
      expect(r.extraSize).toBeNull();
      // no extra_size field at all: the payload starts at offset 56
      const raw = target.connections[r.conn]!.received.find((x) => x.seq === r.seq && x.type === RPC_PROXY_REQ)!;
      expect(raw.body.length).toBe(56 + r.payload.length);
      expect(Buffer.from(raw.body.subarray(56)).equals(Buffer.from(r.payload))).toBe(true);
      c.close();
    }
  });
});

describe("a middle end dies mid-stream and comes back on the same port", () => {
  test("its bound clients are closed within 3 s, others keep working, a query dropped meanwhile closes its client at the next one (C); after the back-off new clients are served", async () => {
    const bound = await Promise.all([client(1), client(1, "abridged"), client(1, "padded")]);
    for (const c of bound) {
      const p = mtprotoPacket(64, seed++);
      c.send([{ payload: p }]);
      const e = await c.next(3000);
      expect(e.kind).toBe("packet");
    }
    const other = await client(2);
    await echo(other);
    const port1 = me1.port;

    const killedAt = performance.now();
    me1.stop();
    const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 3000));
    const results = await Promise.all(bound.map((c) => Promise.race([c.closed.then(() => "closed" as const), deadline])));
    const closed = results.filter((r) => r === "closed").length;
    console.log(`middle end killed: ${closed}/${bound.length} bound clients closed in ${(performance.now() - killedAt).toFixed(0)} ms`);
    expect(closed).toBe(bound.length);
    await echo(other); // a client on another middle end is untouched

    // while DC 1 has no link, a query is dropped and counted; the client stays open (C: forward_tcp_query)
    const late = await client(1);
    late.send([{ payload: mtprotoPacket(64, 1) }]);
    const end0 = performance.now() + 2000;
    while (Number((await getStats(proxy.statsPort)).get("dropped_queries")) < 1) {
      if (performance.now() > end0) throw new Error("dropped_queries never counted the query sent during the outage");
      await Bun.sleep(20);
    }
    expect(late.isClosed).toBe(false);

    const back = FakeMiddleEnd.start({ secret: AES_PWD, port: port1 });
    cleanup.add(() => back.stop());
    const restartedAt = performance.now();
    await back.waitFor(() => back.openTunnels.length >= 1, 8000, "the proxy reconnects after its back-off");
    const end = performance.now() + 3000;
    while (Number((await getStats(proxy.statsPort)).get("ready_outbound_connections")) < 3) {
      if (performance.now() > end) throw new Error("the reconnected link never became ready");
      await Bun.sleep(20);
    }
    console.log(`middle end back: relinked ${(performance.now() - restartedAt).toFixed(0)} ms after the restart`);
    const fresh = await client(1);
    await echo(fresh, 4096);
    expect(of(back, fresh).length).toBe(1);
    // the client whose query was dropped is closed at its next query instead of being bound (C's -35)
    late.send([{ payload: mtprotoPacket(64, 3) }]);
    expect(await Promise.race([late.closed.then(() => "closed"), Bun.sleep(3000).then(() => "open")])).toBe("closed");
    expect(of(back, late).length).toBe(0);
  }, 20_000);
});
