// The client data plane end to end on loopback: test clients (our codecs) → createDataPlane → a real
// MiddlePool → the fake middle end, and back; fronting to a fake origin; blackholing (client-side.md
// §0, §2.5, §3.5–3.8, §4.9, §6; backend-rpc.md §10.6–10.8).
import { afterEach, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { RPC_PING, RPC_PONG } from "../../src/proxy/forward-filter.ts";
import type { ServerEvent } from "../../src/transport/client-frames.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { connectTestClient, createTestClientCodec, type SecretMode, type TestConnection } from "../support/test-client.ts";
import { cleanupList, DOMAIN, packet, SECRETS, startOrigin, startPlane, startPool, TAG, until } from "../proxy/harness.ts";

const cleanup = cleanupList();
afterEach(() => cleanup.run());

const FLAG_EXT = 0x1000 | 0x20000;
const FLAG_COMPACT = 0x40000000;
const FLAG_MEDIUM = 0x20000000;
const FLAG_QUICKACK = 0x80000000 | 0; // compared as signed below
const FLAG_TAG = 0x8;

async function client(port: number, mode: SecretMode, transport: ClientTransport, secretIndex = 1, seed = 1): Promise<TestConnection> {
  const codec = createTestClientCodec({
    secret: SECRETS[secretIndex]!,
    mode,
    transport,
    dc: 2,
    domain: DOMAIN,
    random: seededRandom(seed),
  });
  const c = await connectTestClient("127.0.0.1", port, codec, mode === "ee" ? { awaitHelloMs: 2000 } : {});
  cleanup.add(() => c.close());
  return c;
}

/**
 * Padded: the client's 0..15 padding bytes reach the ME in whole words (C keeps len & ~3) and come
 * back in the echo, plus the proxy's own 0..3 (§3.4, §3.6).
 */
function expectEcho(e: ServerEvent, p: Uint8Array, transport: ClientTransport): void {
  expect(e.kind).toBe("packet");
  if (e.kind !== "packet") return;
  const extra = e.payload.length - p.length;
  expect(extra).toBeGreaterThanOrEqual(0);
  expect(extra).toBeLessThanOrEqual(transport === "padded" ? 15 : 0);
  expect(Buffer.from(e.payload.subarray(0, p.length)).equals(p)).toBe(true);
}

const CASES: { mode: SecretMode; transport: ClientTransport }[] = [
  { mode: "plain", transport: "abridged" },
  { mode: "plain", transport: "intermediate" },
  { mode: "plain", transport: "padded" },
  { mode: "dd", transport: "padded" },
  { mode: "ee", transport: "padded" },
];

function expectedFlags(transport: ClientTransport, extra = 0): number {
  return (FLAG_EXT | (transport === "abridged" ? FLAG_COMPACT : FLAG_MEDIUM) | FLAG_TAG | extra) >>> 0;
}

describe("middle-end mode: each transport × secret form", () => {
  for (const { mode, transport } of CASES) {
    test(`${mode}/${transport}: 56 B … 1 MiB echoed; PROXY_REQ flags, addresses, tag and payload as C sends them`, async () => {
      const { me, pool } = await startPool(cleanup);
      const { plane, port } = await startPlane(cleanup, pool, { options: mode === "ee" ? { domains: [DOMAIN] } : {} });
      const c = await client(port, mode, transport);
      // MAX_POST_SIZE bounds the frame: padded clients add up to 15 bytes, so they stay 16 below
      const sizes = [56, 60, 504, 508, 4096, 65_536, transport === "padded" ? 1_044_464 : 1_044_480];
      for (const [i, n] of sizes.entries()) {
        const p = packet(n, i);
        c.send([{ payload: p }]);
        expectEcho(await c.next(5000), p, transport);
      }
      expect(me.requests.length).toBe(sizes.length);
      const connId = me.requests[0]!.connId;
      for (const [i, r] of me.requests.entries()) {
        expect(r.flags).toBe(expectedFlags(transport));
        expect(r.connId).toBe(connId); // one binding for the client's life (§10.6)
        expect(r.clientAddr).toBe("127.0.0.1");
        expect(r.proxyAddr).toBe("127.0.0.1");
        expect(r.proxyPort).toBe(port);
        expect(r.clientPort).toBeGreaterThan(0);
        expect(Buffer.from(r.tag!).equals(TAG)).toBe(true);
        expect(Buffer.from(r.payload.subarray(0, sizes[i]!)).equals(packet(sizes[i]!, i))).toBe(true);
      }
      // a 4-byte answer (a transport error such as -404) is relayed as an ordinary frame
      me.sendProxyAns(connId, Buffer.from("6cfeffff", "hex"));
      expectEcho(await c.next(2000), Buffer.from("6cfeffff", "hex"), transport === "padded" ? "padded" : transport);
      expect(plane.counters.handshakesOk[transport]).toBe(1);
      expect(plane.counters.handshakesBySecret[1]).toBe(1);
      expect(plane.counters.tlsHandshakes).toBe(mode === "ee" ? 1 : 0);
      expect(plane.counters.forwardedPackets).toBe(sizes.length);
      c.close();
      await me.waitFor(() => me.closeConns.includes(connId), 2000, "RPC_CLOSE_CONN");
      await until(() => plane.activeClients === 0, 2000, "client gone");
    }, 20_000);
  }

  test("several -S: each secret index is matched and counted", async () => {
    const { pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool);
    for (const i of [0, 1, 2]) {
      const c = await client(port, "dd", "padded", i, 10 + i);
      c.send([{ payload: packet(64, i) }]);
      expectEcho(await c.next(2000), packet(64, i), "padded");
    }
    expect(plane.counters.handshakesBySecret).toEqual([1, 1, 1]);
  });
});

describe("middle-end mode: quick acks, RPC_PING, unencrypted packets", () => {
  for (const transport of ["abridged", "intermediate", "padded"] as const) {
    test(`${transport}: the quick-ack bit reaches the ME (0x80000000) and RPC_SIMPLE_ACK comes back as a quick ack`, async () => {
      const { me, pool } = await startPool(cleanup);
      me.behaviour = (req, m) => m.sendSimpleAck(req.connId, 0x8abbccdd);
      const { port } = await startPlane(cleanup, pool);
      const c = await client(port, "plain", transport);
      c.send([{ payload: packet(64), quickAck: true }]);
      const e = await c.next(2000);
      expect(e).toEqual({ kind: "quick-ack", token: 0x8abbccdd });
      expect(me.requests[0]!.flags).toBe(expectedFlags(transport, FLAG_QUICKACK));
    });
  }

  test("RPC_PING of 12 bytes is answered by the proxy with RPC_PONG; other sizes are eaten; nothing reaches the ME", async () => {
    const { me, pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool);
    const c = await client(port, "plain", "intermediate");
    const ping = Buffer.alloc(12);
    ping.writeUInt32LE(RPC_PING, 0);
    ping.write("pingpong", 4);
    const longPing = Buffer.alloc(16);
    longPing.writeUInt32LE(RPC_PING, 0);
    c.send([{ payload: longPing }, { payload: ping }]);
    const e = await c.next(2000);
    const pong = Buffer.from(ping);
    pong.writeUInt32LE(RPC_PONG, 0);
    expect(e.kind === "packet" && Buffer.from(e.payload).equals(pong)).toBe(true);
    c.send([{ payload: packet(64) }]);
    await c.next(2000);
    expect(me.requests.length).toBe(1);
    expect(plane.counters.pongs).toBe(1);
    expect(plane.counters.droppedPackets.ping).toBe(1);
  });

  test("req_pq with auth_key_id 0 is forwarded with flag 2; short and non-handshake plaintext is dropped", async () => {
    const { me, pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool);
    const c = await client(port, "plain", "abridged");
    const reqPq = Buffer.alloc(40);
    reqPq.writeUInt32LE(20, 16);
    reqPq.writeUInt32LE(0x60469778, 20);
    const notHandshake = Buffer.from(reqPq);
    notHandshake.writeUInt32LE(0x12345678, 20);
    c.send([{ payload: Buffer.alloc(24, 1) }, { payload: notHandshake }, { payload: reqPq }]);
    await c.next(2000);
    expect(me.requests.length).toBe(1);
    expect(me.requests[0]!.flags).toBe(expectedFlags("abridged", 2));
    expect(plane.counters.droppedPackets.short).toBe(1);
    expect(plane.counters.droppedPackets["not-handshake"]).toBe(1);
  });
});

describe("middle-end mode: many clients and middle-end loss", () => {
  test("120 concurrent clients are each echoed on their own binding, and each close sends RPC_CLOSE_CONN", async () => {
    const { me, pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool);
    const n = 120;
    const conns = await Promise.all(Array.from({ length: n }, (_, i) => client(port, "plain", i % 2 ? "intermediate" : "abridged", i % 3, 100 + i)));
    expect(plane.activeClients).toBe(n);
    for (const [i, c] of conns.entries()) c.send([{ payload: packet(128, i) }]);
    const events = await Promise.all(conns.map((c) => c.next(5000)));
    for (const [i, e] of events.entries()) expectEcho(e, packet(128, i), "intermediate");
    expect(new Set(me.requests.map((r) => r.connId)).size).toBe(n);
    for (const c of conns) c.close();
    await until(() => plane.activeClients === 0, 3000, "all clients gone");
    await me.waitFor(() => me.closeConns.length === n, 3000, "RPC_CLOSE_CONN for each");
  }, 20_000);

  test("a middle-end connection dying closes its bound clients; after the reconnect new clients are served", async () => {
    const { me, pool } = await startPool(cleanup, { min: 1 });
    const { plane, port } = await startPlane(cleanup, pool);
    const c = await client(port, "plain", "intermediate");
    c.send([{ payload: packet(64) }]);
    await c.next(2000);
    for (const t of me.openTunnels) me.drop(t);
    await c.closed;
    expect(plane.counters.closes.middle).toBe(1);
    await me.waitFor(() => pool.snapshot().connectionsReady === 1, 5000, "reconnect");
    const d = await client(port, "plain", "intermediate", 0, 99);
    d.send([{ payload: packet(64, 5) }]);
    expectEcho(await d.next(2000), packet(64, 5), "intermediate");
  }, 10_000);
});

describe("fronting (-D): every §4.9 failure ends at the origin with exactly the prober's bytes", () => {
  const REPLY = Buffer.from("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");

  async function frontedPlane(limits = {}) {
    const { pool } = await startPool(cleanup);
    const origin = startOrigin(REPLY);
    cleanup.add(() => origin.stop());
    const r = await startPlane(cleanup, pool, {
      options: { domains: [DOMAIN, "second.example"] },
      frontingTarget: () => ({ host: "127.0.0.1", port: origin.port }),
      limits,
    });
    return { ...r, origin };
  }

  async function rawClient(port: number): Promise<TestConnection> {
    const codec = createTestClientCodec({ secret: null, mode: "plain", dc: 2 });
    const c = await connectTestClient("127.0.0.1", port, codec, { sendOpening: false });
    cleanup.add(() => c.close());
    return c;
  }

  async function expectFronted(
    port: number,
    origin: ReturnType<typeof startOrigin>,
    bytes: Uint8Array,
    counters: () => number,
  ): Promise<TestConnection> {
    const c = await rawClient(port);
    c.sendRaw(bytes);
    const got = await origin.waitBytes(bytes.length);
    expect(got.equals(Buffer.from(bytes))).toBe(true);
    await until(() => c.received.length >= REPLY.length, 2000, "origin reply at the client");
    expect(c.received.equals(REPLY)).toBe(true); // nothing from the proxy itself
    expect(counters()).toBe(1);
    return c;
  }

  const hello = (over: { secret?: Uint8Array; domain?: string; nowSec?: number } = {}): Uint8Array =>
    createTestClientCodec({
      secret: over.secret ?? SECRETS[0]!,
      mode: "ee",
      dc: 2,
      domain: over.domain ?? DOMAIN,
      nowSec: over.nowSec,
      random: seededRandom(Math.floor(Math.random() * 1e9)),
    }).opening();

  test("bad HMAC (a secret the proxy does not have)", async () => {
    const { plane, port, origin } = await frontedPlane();
    await expectFronted(port, origin, hello({ secret: Buffer.alloc(16, 0x42) }), () => plane.counters.fronted["bad-hmac"]);
  });

  test("replayed ClientHello: the first is served, the replay is fronted", async () => {
    const { plane, port, origin } = await frontedPlane();
    const codec = createTestClientCodec({ secret: SECRETS[0]!, mode: "ee", dc: 2, domain: DOMAIN, random: seededRandom(3) });
    const h = codec.opening();
    const first = await connectTestClient("127.0.0.1", port, codec, { sendOpening: false });
    cleanup.add(() => first.close());
    first.sendRaw(h);
    await until(() => codec.serverHelloOk, 2000, "ServerHello");
    await expectFronted(port, origin, h, () => plane.counters.replays);
    expect(plane.counters.fronted["replayed-random"]).toBe(1);
  });

  test("stale timestamp (−1000 s) and future timestamp (+100 s)", async () => {
    const { plane, port, origin } = await frontedPlane();
    const now = Math.floor(Date.now() / 1000);
    await expectFronted(port, origin, hello({ nowSec: now - 1000 }), () => plane.counters.badTimestamps);
    origin.connections.length = 0;
    const c = await rawClient(port);
    const future = hello({ nowSec: now + 100 });
    c.sendRaw(future);
    expect((await origin.waitBytes(future.length)).equals(Buffer.from(future))).toBe(true);
    expect(plane.counters.badTimestamps).toBe(2);
  });

  test("unknown SNI", async () => {
    const { plane, port, origin } = await frontedPlane();
    await expectFronted(port, origin, hello({ domain: "unknown.example" }), () => plane.counters.unknownSni);
  });

  test("non-TLS bytes (a plain obfuscated2 init) with -D", async () => {
    const { plane, port, origin } = await frontedPlane();
    const init = createTestClientCodec({ secret: SECRETS[0]!, mode: "plain", dc: 2 }).opening();
    const c = await expectFronted(port, origin, init, () => plane.counters.fronted["not-tls-hello"]);
    // from now on bytes pass verbatim both ways
    c.sendRaw(Buffer.from("more bytes"));
    expect((await origin.waitBytes(init.length + 10)).subarray(init.length).toString()).toBe("more bytes");
  });

  test("silence past the alarm: the few bytes sent are fronted to the default domain", async () => {
    const { plane, port, origin } = await frontedPlane({ alarmMs: 200 });
    const c = await rawClient(port);
    c.sendRaw(Buffer.from("GET /")); // fewer than the 9 bytes C waits for
    await Bun.sleep(50);
    expect(origin.connections.length).toBe(0);
    expect((await origin.waitBytes(5)).toString()).toBe("GET /");
    expect(plane.counters.fronted.alarm).toBe(1);
  });

  test("the origin closing closes the client, and the client closing closes the origin", async () => {
    const { plane, port, origin } = await frontedPlane();
    const c = await expectFronted(port, origin, hello({ domain: "nope.example" }), () => plane.counters.unknownSni);
    c.close();
    await until(() => origin.closed === 1, 2000, "origin side closed");
    await until(() => plane.activeClients === 0 && plane.counters.frontingActive === 0, 2000, "session gone");
    origin.connections.length = 0;
    const d = await expectFronted(port, origin, hello({ domain: "nope.example" }), () => plane.counters.unknownSni - 1);
    origin.stop();
    await d.closed;
    await until(() => plane.activeClients === 0, 2000, "session gone");
  });
});

describe("fronting: bulk and bounds", () => {
  test("8 MiB each way through a fronted connection arrive intact (backpressure on both sides)", async () => {
    const origin = startOrigin(null, { echo: true });
    cleanup.add(() => origin.stop());
    const { plane, port } = await startPlane(cleanup, null, {
      options: { domains: [DOMAIN] },
      frontingTarget: () => ({ host: "127.0.0.1", port: origin.port }),
    });
    const codec = createTestClientCodec({ secret: null, mode: "plain", dc: 2 });
    const c = await connectTestClient("127.0.0.1", port, codec, { sendOpening: false });
    cleanup.add(() => c.close());
    const total = 8 << 20;
    const data = Buffer.alloc(total);
    for (let i = 0; i < total; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    for (let off = 0; off < total; off += 1 << 20) c.sendRaw(data.subarray(off, off + (1 << 20)));
    await until(() => c.received.length >= total, 15_000, "echo of 8 MiB");
    expect(c.received.equals(data)).toBe(true);
    expect(plane.counters.bytesToOrigins).toBe(total);
    expect(plane.counters.bytesFromOrigins).toBe(total);
  }, 20_000);

  test("beyond C: a fronted connection idle past the bound is closed on both sides", async () => {
    const origin = startOrigin();
    cleanup.add(() => origin.stop());
    const { plane, port } = await startPlane(cleanup, null, {
      options: { domains: [DOMAIN] },
      frontingTarget: () => ({ host: "127.0.0.1", port: origin.port }),
      limits: { fronting: { idleMs: 100, lifetimeMs: 60_000, highWater: 1 << 16, lowWater: 1 << 14, maxPendingBytes: 1 << 20 } },
    });
    const codec = createTestClientCodec({ secret: null, mode: "plain", dc: 2 });
    const c = await connectTestClient("127.0.0.1", port, codec, { sendOpening: false });
    cleanup.add(() => c.close());
    c.sendRaw(Buffer.from("GET / HTTP/1.1\r\n"));
    await origin.waitBytes(16);
    await c.closed;
    await until(() => origin.closed === 1, 2000, "origin side closed");
    expect(plane.counters.closes.fronting).toBe(1);
  });

  test("a domain without an address: the client is closed with C's log line, nothing is sent", async () => {
    const { plane, port, lines } = await startPlane(cleanup, null, { options: { domains: [DOMAIN] }, frontingTarget: () => null });
    const codec = createTestClientCodec({ secret: null, mode: "plain", dc: 2 });
    const c = await connectTestClient("127.0.0.1", port, codec);
    cleanup.add(() => c.close());
    await c.closed;
    expect(c.received.length).toBe(0);
    expect(plane.counters.closes["no-fronting-target"]).toBe(1);
    expect(lines.join("")).toContain(`failed to proxy request to ${DOMAIN}`);
  });
});

describe("blackhole and give-up without -D", () => {
  test("a wrong secret is blackholed: no byte back, the connection stays open until the client closes", async () => {
    const { me, pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool);
    const codec = createTestClientCodec({ secret: Buffer.alloc(16, 9), mode: "dd", dc: 2, random: seededRandom(5) });
    const c = await connectTestClient("127.0.0.1", port, codec);
    cleanup.add(() => c.close());
    c.send([{ payload: packet(64) }]);
    c.sendRaw(Buffer.alloc(4096, 0x33));
    await Bun.sleep(300);
    expect(c.received.length).toBe(0);
    expect(c.isClosed).toBe(false);
    expect(plane.counters.blackholed).toBe(1);
    expect(me.requests.length).toBe(0);
    c.close();
    await until(() => plane.activeClients === 0, 2000, "session gone");
    expect(plane.counters.closes.client).toBe(1);
  });

  test("beyond C: a handshake that never completes is closed silently after the give-up bound", async () => {
    const { pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool, { limits: { giveUpMs: 200 } });
    const codec = createTestClientCodec({ secret: null, mode: "plain", dc: 2 });
    const c = await connectTestClient("127.0.0.1", port, codec, { sendOpening: false });
    cleanup.add(() => c.close());
    c.sendRaw(Buffer.alloc(20, 1));
    await c.closed;
    expect(c.received.length).toBe(0);
    expect(plane.counters.closes["handshake-timeout"]).toBe(1);
  });
});
