// Direct mode end to end, in process: test client → data plane (--direct) → fake DC → back.
// Every test reaches the fake DC through --direct-dc overrides, as an operator would point a DC elsewhere.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import type { DcAddress } from "../../src/direct/dc-table.ts";
import { createDirectUpstream, type CountedDirectUpstream } from "../../src/direct/direct-upstream.ts";
import { createMemoryLogger } from "../../src/log.ts";
import { createDataPlane, type DataPlane } from "../../src/proxy/data-plane.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { MAX_PACKET_LEN } from "../../src/transport/codec.ts";
import { startFakeDc, type FakeDc } from "../support/fake-dc.ts";
import { connectTestClient, createTestClientCodec, type SecretMode, type TestConnection } from "../support/test-client.ts";

const SECRET = Buffer.from("0123456789abcdeffedcba9876543210", "hex");
const DOMAIN = "example.com";

interface Plane {
  plane: DataPlane;
  upstream: CountedDirectUpstream;
  port: number;
}

async function startPlane(directDcs: Map<number, DcAddress>, tls: boolean): Promise<Plane> {
  const log = createMemoryLogger();
  const upstream = createDirectUpstream({ options: { directDcs, ipv6: false }, log: log.log });
  const plane = createDataPlane({
    options: {
      httpPorts: [0],
      ipv6: false,
      address: "127.0.0.1",
      secrets: [SECRET],
      domains: tls ? [DOMAIN] : [],
      tlsStrict: false,
      maxSpecialConnections: 0,
      maxAcceptRate: 0,
      windowClamp: 0,
      direct: true,
      workers: 0,
    },
    log: log.log,
    middle: null,
    direct: upstream,
    reusePort: false,
    domainProbe: { resolve: async () => null, timeoutMs: 200 },
  });
  await plane.start();
  return { plane, upstream, port: plane.listeningPorts[0]! };
}

// every connection gets fresh randomness, as real clients do: the proxy blackholes a replayed init
let nextSeed = 1;

async function client(p: Plane, mode: SecretMode, dc: number, transport?: ClientTransport, seed = 10_000 + nextSeed++): Promise<TestConnection> {
  const codec = createTestClientCodec({ secret: SECRET, mode, dc, transport, domain: DOMAIN, random: seededRandom(seed) });
  return connectTestClient("127.0.0.1", p.port, codec, mode === "ee" ? { awaitHelloMs: 2000 } : {});
}

/** One packet there and back; padded transports may bring back up to 12 bytes of the client's padding. */
async function echo(c: TestConnection, payload: Uint8Array, timeoutMs = 5000): Promise<void> {
  c.send([{ payload }]);
  const ev = await c.next(timeoutMs);
  if (ev.kind !== "packet") throw new Error(`expected a packet, got ${ev.kind}`);
  const slack = c.codec.transport === "padded" ? 12 : 0;
  expect(ev.payload.length - payload.length).toBeWithin(0, slack + 1);
  expect(Buffer.from(ev.payload.subarray(0, payload.length)).equals(payload)).toBe(true);
}

const payload = (n: number, seed: number): Buffer => Buffer.from(seededRandom(seed).bytes(n));
// Up to 1 MiB less 4 KiB, the largest packet the test client's decoder accepts; padded leaves room
// for the client's padding, which the DC echoes back.
const sizes = (t: ClientTransport): number[] => [4, 1024, 65536, t === "padded" ? MAX_PACKET_LEN - 16 : MAX_PACKET_LEN];

async function refusedPort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

describe("direct mode: client → data plane → fake DC → client", () => {
  let dc: FakeDc;
  let plain: Plane;
  let tls: Plane;
  beforeAll(async () => {
    dc = startFakeDc();
    const to = { host: dc.host, port: dc.port };
    plain = await startPlane(new Map([[2, to], [4, to]]), false);
    tls = await startPlane(new Map([[2, to]]), true);
  });
  afterAll(async () => {
    await plain?.plane.stop();
    await tls?.plane.stop();
    dc?.stop();
  });

  const cases: [SecretMode, ClientTransport][] = [
    ["plain", "abridged"],
    ["plain", "intermediate"],
    ["plain", "padded"],
    ["dd", "padded"],
    ["ee", "padded"],
  ];
  for (const [mode, transport] of cases) {
    test(`${mode} ${transport}: payloads of 4 B to ~1 MiB come back intact`, async () => {
      const p = mode === "ee" ? tls : plain;
      const before = dc.connections.length;
      const c = await client(p, mode, 2, transport);
      try {
        for (const [i, n] of sizes(transport).entries()) await echo(c, payload(n, i + 10));
        const rec = dc.connections[before]!;
        expect([rec.transport, rec.dc]).toEqual([transport, 2]);
      } finally {
        c.close();
      }
      await c.closed;
    }, 20_000);
  }

  test("50 concurrent clients, mixed transports and DCs, each gets its own stream back", async () => {
    const conns = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const t = (["abridged", "intermediate", "padded"] as const)[i % 3];
        return client(plain, i % 5 === 0 ? "dd" : "plain", i % 2 === 0 ? 2 : -4, t, 100 + i);
      }),
    );
    try {
      await Promise.all(
        conns.map(async (c, i) => {
          for (let k = 0; k < 4; k++) await echo(c, payload(4 * (1 + ((i * 37 + k * 101) % 4000)), i * 10 + k));
        }),
      );
      expect(plain.upstream.counters.dcConnectsOk[-4]).toBeGreaterThanOrEqual(25);
    } finally {
      for (const c of conns) c.close();
    }
    await Promise.all(conns.map((c) => c.closed));
  }, 20_000);

  test("the client closing closes its DC connection", async () => {
    const before = dc.connections.length;
    const c = await client(plain, "plain", 4, "intermediate");
    await echo(c, payload(100 * 4, 3));
    c.close();
    await c.closed;
    const end = Date.now() + 2000;
    while (!dc.connections[before]!.closed && Date.now() < end) await Bun.sleep(5);
    expect(dc.connections[before]!.closed).toBe(true);
  });
});

describe("direct mode routing and failures", () => {
  test("--direct-dc picks the DC per index: exact, media (|dc|) and unknown (→ DC 2)", async () => {
    using four = startFakeDc();
    using two = startFakeDc();
    const p = await startPlane(
      new Map([
        [4, { host: four.host, port: four.port }],
        [2, { host: two.host, port: two.port }],
      ]),
      false,
    );
    try {
      for (const dcIndex of [4, -4, 9, 10003]) {
        const c = await client(p, "plain", dcIndex, "abridged", dcIndex + 50);
        await echo(c, payload(16, 1));
        c.close();
      }
      expect(four.connections.map((r) => r.dc)).toEqual([4, -4]);
      expect(two.connections.length).toBe(2);
      expect(two.connections[0]!.dc).toBe(9);
      expect(p.upstream.counters.fallbacksToDefault).toEqual({ 9: 1, 10003: 1 });
    } finally {
      await p.plane.stop();
    }
  });

  test("a quick ack from the DC reaches the client before the answer (frames pass through unparsed)", async () => {
    using dc = startFakeDc({ quickAck: true });
    const p = await startPlane(new Map([[2, { host: dc.host, port: dc.port }]]), false);
    try {
      for (const t of ["abridged", "intermediate", "padded"] as const) {
        const c = await client(p, "plain", 2, t);
        c.send([{ payload: payload(40, 6), quickAck: true }]);
        expect((await c.next()).kind).toBe("quick-ack");
        expect((await c.next()).kind).toBe("packet");
        c.close();
      }
    } finally {
      await p.plane.stop();
    }
  });

  test("DC refused → the client is closed and the failure counted", async () => {
    const p = await startPlane(new Map([[2, { host: "127.0.0.1", port: await refusedPort() }]]), false);
    try {
      const c = await client(p, "plain", 2, "intermediate");
      c.send([{ payload: payload(40, 2) }]);
      await Promise.race([c.closed, Bun.sleep(3000).then(() => Promise.reject(new Error("client not closed")))]);
      expect(p.upstream.counters.dcConnectsFailed).toEqual({ 2: 1 });
      expect(c.received.length).toBe(0);
    } finally {
      await p.plane.stop();
    }
  });

  test("the DC closing closes the client after its last answer", async () => {
    using dc = startFakeDc({ closeAfterFrames: 1 });
    const p = await startPlane(new Map([[2, { host: dc.host, port: dc.port }]]), false);
    try {
      const c = await client(p, "plain", 2, "intermediate");
      await echo(c, payload(64, 5));
      await Promise.race([c.closed, Bun.sleep(3000).then(() => Promise.reject(new Error("client not closed")))]);
      expect(p.upstream.counters.activeLinks).toBe(0);
    } finally {
      await p.plane.stop();
    }
  });
});
