// The pool against the fake middle-end on loopback: handshake both CRC modes, RPC_PROXY_REQ as C
// sends it, answers, acks, CLOSE_EXT, ME loss and reconnect, silent ME, unknown ids, reload.
import { afterEach, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../src/log.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import type { MiddleRoute } from "../../src/proxy/middle-contract.ts";
import { MiddlePool, type PoolLimits } from "../../src/rpc/pool.ts";
import { FakeMiddleEnd, type FakeMiddleEndOptions } from "../support/fake-middle-end.ts";
import { clientInfo, KEY_SELECT, makeConfig, mtprotoPacket, RecordingSink, SECRET, target, until } from "./helpers.ts";

const TAG = Buffer.from("00112233445566778899aabbccddeeff", "hex");
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function fakeMe(opts: Partial<FakeMiddleEndOptions> = {}): FakeMiddleEnd {
  const me = FakeMiddleEnd.start({ secret: SECRET, ...opts });
  cleanups.push(() => me.stop());
  return me;
}

function pool(config: ProxyConfig, opts: { tag?: Uint8Array | null; limits?: Partial<PoolLimits>; natLocal?: string } = {}) {
  const mem = createMemoryLogger(1);
  const p = new MiddlePool({
    config,
    secret: { bytes: SECRET, keySelect: KEY_SELECT },
    options: {
      proxyTag: opts.tag === undefined ? TAG : opts.tag,
      natInfo: opts.natLocal ? [{ local: opts.natLocal, global: "1.2.3.4" }] : [],
      pingIntervalSec: 5,
    },
    log: mem.log,
    pid: { ip: 0, port: 0xffff, pid: 123_456 & 0xffff, utime: 1_700_000_000 },
    limits: opts.limits,
  });
  cleanups.push(() => p.stop());
  p.start();
  return { pool: p, lines: mem.lines };
}

async function readyPool(me: FakeMiddleEnd, min = 2, opts: Parameters<typeof pool>[1] = {}) {
  const r = pool(makeConfig([[2, [target(me.port, min)]]], 2), opts);
  await until(() => r.pool.snapshot().connectionsReady === min, 2000, "ready connections");
  return r;
}

/** One pool on one fake ME, one client bound whose first packet has been echoed back. */
async function echoedClient() {
  const me = fakeMe();
  const { pool: p } = await readyPool(me, 1);
  const sink = new RecordingSink();
  const route = bindOrThrow(p, sink);
  route.send(mtprotoPacket(), false);
  await me.waitFor(() => me.requests.length === 1);
  await until(() => sink.packets.length === 1, 2000, "echo");
  return { me, p, sink, route };
}

function bindOrThrow(p: MiddlePool, sink: RecordingSink, over = {}): MiddleRoute {
  const r = p.bind(clientInfo(over), sink);
  if (!r) throw new Error("no route");
  return r;
}

describe("handshake", () => {
  test("completes with CRC32C when the ME grants 0x800; the proxy asked for it and its PID fits 16 bits", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me);
    expect(me.openTunnels.length).toBe(2);
    expect(me.openTunnels.every((c) => c.clientFlags === 0x800 && c.grantedFlags === 0x800)).toBe(true);
    expect(me.openTunnels[0]!.clientPid!.pid).toBe(123_456 & 0xffff);
    const sink = new RecordingSink();
    bindOrThrow(p, sink).send(mtprotoPacket(), false);
    await me.waitFor(() => me.requests.length === 1);
    expect(me.requests[0]!.crc).toBe("crc32c");
    expect(me.requests[0]!.seq).toBe(0);
  });

  test("stays on CRC32 when the ME answers flags 0", async () => {
    const me = fakeMe({ crc32c: false });
    const { pool: p } = await readyPool(me);
    const sink = new RecordingSink();
    bindOrThrow(p, sink).send(mtprotoPacket(), false);
    await me.waitFor(() => me.requests.length === 1);
    expect(me.requests[0]!.crc).toBe("crc32");
    await until(() => sink.packets.length === 1, 2000, "echo");
  });

  test("an ME clock 40 s off is refused (−6) and never becomes ready", async () => {
    const me = fakeMe({ clockSkewSec: 40 });
    const { pool: p } = pool(makeConfig([[2, [target(me.port, 1)]]], 2));
    await until(() => p.counters.handshakeFailures >= 1, 2000, "handshake failure");
    expect(p.snapshot().connectionsReady).toBe(0);
    expect(me.connections.every((c) => c.stage !== "tunnel")).toBe(true);
  });

  test("a wrong key_select echo is refused (−3)", async () => {
    const me = fakeMe({ keySelect: KEY_SELECT ^ 1 });
    const { pool: p } = pool(makeConfig([[2, [target(me.port, 1)]]], 2));
    await until(() => p.counters.handshakeFailures >= 1, 2000, "handshake failure");
    expect(p.snapshot().connectionsReady).toBe(0);
  });

  test("an ME that never answers the handshake is dropped after the handshake timeout and retried", async () => {
    const me = fakeMe({ noHandshakeReply: true });
    const { pool: p } = pool(makeConfig([[2, [target(me.port, 1)]]], 2), { limits: { handshakeTimeoutMs: 200 } });
    await until(() => p.counters.handshakeFailures >= 1, 2000, "timeout");
    await until(() => me.connections.length >= 2, 3000, "a new attempt");
    expect(p.snapshot().connectionsReady).toBe(0);
  });
});

describe("RPC_PROXY_REQ as C sends it", () => {
  test("abridged client with -P: flags 0x40021008, ::ffff: addresses, 24-byte tag block, payload untouched", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me);
    const sink = new RecordingSink();
    const payload = mtprotoPacket(3);
    bindOrThrow(p, sink).send(payload, false);
    await me.waitFor(() => me.requests.length === 1);
    const r = me.requests[0]!;
    expect(r.flags >>> 0).toBe(0x40021008);
    expect(r.clientAddr).toBe("203.0.113.77");
    expect(r.clientPort).toBe(51234);
    expect(r.proxyAddr).toBe("192.0.2.10");
    expect(r.proxyPort).toBe(443);
    expect(r.extraSize).toBe(24);
    expect(Buffer.from(r.tag!).equals(TAG)).toBe(true);
    expect(Buffer.from(r.payload).equals(Buffer.from(payload))).toBe(true);
    expect(r.connId).not.toBe(0n);
  });

  test("padded client, quick ack, unencrypted first packet; no tag block without -P; NAT applies to the proxy address", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me, 1, { tag: null, natLocal: "192.0.2.10" });
    const sink = new RecordingSink();
    const route = bindOrThrow(p, sink, { transport: "padded" });
    const reqPq = Buffer.alloc(40);
    reqPq.writeInt32LE(20, 16);
    reqPq.writeUInt32LE(0xbe7e8ef1, 20);
    route.send(reqPq, false);
    route.send(mtprotoPacket(), true);
    await me.waitFor(() => me.requests.length === 2);
    expect(me.requests[0]!.flags >>> 0).toBe(0x20021002);
    expect(me.requests[1]!.flags >>> 0).toBe(0xa0021000);
    expect(me.requests[0]!.extraSize).toBeNull();
    expect(me.requests[0]!.proxyAddr).toBe("1.2.3.4");
    expect(me.requests[0]!.clientAddr).toBe("203.0.113.77");
    // both packets of one client: same ME connection, same id
    expect(me.requests[1]!.connId).toBe(me.requests[0]!.connId);
    expect(me.requests[1]!.conn).toBe(me.requests[0]!.conn);
  });

  test("packets C would not forward are dropped and counted, the client stays bound", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me, 1);
    const sink = new RecordingSink();
    const route = bindOrThrow(p, sink);
    expect(route.send(Buffer.alloc(30, 1), false)).toBe(true);
    route.send(mtprotoPacket(), false);
    await me.waitFor(() => me.requests.length === 1);
    expect(p.counters.invalidQueries).toBe(1);
    expect(route.alive).toBe(true);
  });
});

describe("answers from the ME", () => {
  test("echo round trip, 1 MiB answer, SIMPLE_ACK", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me, 1);
    const sink = new RecordingSink();
    const route = bindOrThrow(p, sink);
    const payload = mtprotoPacket(9, 256);
    route.send(payload, false);
    await until(() => sink.packets.length === 1, 2000, "echo");
    expect(Buffer.from(sink.packets[0]!).equals(Buffer.from(payload))).toBe(true);

    const id = me.requests[0]!.connId;
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
    me.sendProxyAns(id, big);
    me.sendSimpleAck(id, 0xdeadbeef);
    await until(() => sink.packets.length === 2 && sink.acks.length === 1, 3000, "big answer and ack");
    expect(Buffer.from(sink.packets[1]!).equals(big)).toBe(true);
    expect(sink.acks[0]).toBe(0xdeadbeef);
    const s = p.snapshot();
    expect(s.forwardedQueries).toBe(1);
    expect(s.forwardedResponses).toBe(2);
    expect(s.forwardedSimpleAcks).toBe(1);
  });

  test("scripted ME: an ack then two answers per request arrive in order at the right client", async () => {
    const me = fakeMe({
      behaviour: (req, fake) => {
        const via = fake.connections[req.conn]!;
        fake.sendSimpleAck(req.connId, 0x80000000 + req.clientPort, via);
        fake.sendProxyAns(req.connId, req.payload.subarray(0, 8), 0x800, via);
        fake.sendProxyAns(req.connId, req.payload.subarray(8, 16), 0, via);
      },
    });
    const { pool: p } = await readyPool(me, 2);
    const sinks = [new RecordingSink(), new RecordingSink()];
    sinks.forEach((s, i) => bindOrThrow(p, s, { remotePort: 3000 + i }).send(mtprotoPacket(i), false));
    await until(() => sinks.every((s) => s.packets.length === 2), 2000, "answers");
    sinks.forEach((s, i) => {
      expect(s.acks).toEqual([0x80000000 + 3000 + i]);
      expect(Buffer.concat(s.packets).equals(Buffer.from(mtprotoPacket(i).subarray(0, 16)))).toBe(true);
    });
  });

  test("CLOSE_EXT closes the client sink; the route is dead", async () => {
    const { me, sink, route } = await echoedClient();
    me.sendCloseExt(me.requests[0]!.connId);
    await until(() => sink.closed !== null, 2000, "close");
    expect(sink.closed).toBe("RPC_CLOSE_EXT");
    expect(route.alive).toBe(false);
    expect(me.closeConns.length).toBe(0); // no CLOSE_CONN back for an ME-initiated close
  });

  test("answers and acks for unknown ids get RPC_CLOSE_CONN and are counted as dropped", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me, 1);
    const c = me.openTunnels[0]!;
    me.sendProxyAns(0x7777777n, Buffer.alloc(8), 0, c);
    me.sendSimpleAck(0x7777778n, 1, c);
    await me.waitFor(() => me.closeConns.length === 2);
    expect(me.closeConns).toEqual([0x7777777n, 0x7777778n]);
    expect(p.counters.droppedResponses).toBe(1);
    expect(p.counters.droppedSimpleAcks).toBe(1);
    expect(p.counters.closeConnSent).toBe(2);
  });

  test("ids beyond 2^53 or negative never reach a client whose id they share the low bits with", async () => {
    const { me, p, sink } = await echoedClient();
    const id = me.requests[0]!.connId;
    const aliases = [id + (1n << 53n), id - (1n << 63n), -1n];
    const c = me.connectionOf(id);
    for (const a of aliases) me.sendProxyAns(a, Buffer.alloc(8), 0, c);
    await me.waitFor(() => me.closeConns.length === 3);
    expect(me.closeConns).toEqual(aliases); // echoed exactly, all 64 bits
    me.sendProxyAns(id, Buffer.alloc(8, 1));
    await until(() => sink.packets.length === 2, 2000, "the real answer");
    expect(sink.packets[1]).toEqual(Buffer.alloc(8, 1));
    expect(p.counters.droppedResponses).toBe(3);
  });

  test("the ME's PING is answered with PONG carrying the same id", async () => {
    const me = fakeMe();
    await readyPool(me, 1);
    me.sendPing(me.openTunnels[0]!, 0x1122334455667788n);
    await me.waitFor(() => me.pongs.length === 1);
    expect(Buffer.from(me.pongs[0]!).readBigInt64LE(0)).toBe(0x1122334455667788n);
  });

  test("a client closing sends RPC_CLOSE_CONN with its id, once", async () => {
    const { me, p, sink, route } = await echoedClient();
    route.close();
    route.close();
    await me.waitFor(() => me.closeConns.length === 1);
    await Bun.sleep(30);
    expect(me.closeConns).toEqual([me.requests[0]!.connId]);
    // a late answer for it is now unknown: dropped and CLOSE_CONN again, as C does
    me.sendProxyAns(me.requests[0]!.connId, Buffer.alloc(8));
    await me.waitFor(() => me.closeConns.length === 2);
    expect(sink.packets.length).toBe(1);
    expect(p.counters.droppedResponses).toBe(1);
    expect(p.counters.closeConnSent).toBe(2);
  });

  test("a client bound but never forwarding costs the ME nothing at close", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me, 1);
    bindOrThrow(p, new RecordingSink()).close();
    await Bun.sleep(50);
    expect(me.closeConns.length).toBe(0);
  });
});

describe("failures", () => {
  test("ME drop closes its bound clients, and the pool reconnects to min_connections", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me, 2);
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    const routes = sinks.map((s, i) => bindOrThrow(p, s, { remotePort: 1000 + i }));
    routes.forEach((r) => r.send(mtprotoPacket(), false));
    await me.waitFor(() => me.requests.length === 3);
    const victim = me.connections[me.requests[0]!.conn]!;
    const onVictim = me.requests.filter((r) => r.conn === victim.index).map((r) => r.connId);
    const before = me.connections.length;
    me.drop(victim);
    await until(() => sinks.filter((s) => s.closed).length === onVictim.length, 2000, "clients closed");
    sinks.forEach((s, i) => {
      const onIt = onVictim.includes(me.requests.find((r) => r.clientPort === 1000 + i)!.connId);
      expect(s.closed !== null).toBe(onIt);
      expect(routes[i]!.alive).toBe(!onIt);
    });
    await until(() => me.connections.length > before && p.snapshot().connectionsReady === 2, 3000, "reconnect");
  });

  test("a silent ME is detected by our pings and its clients are closed; a live ME is kept", async () => {
    const live = fakeMe();
    const silent = fakeMe();
    const limits = { pingIntervalMs: 50, silenceTimeoutMs: 250 };
    const a = pool(makeConfig([[2, [target(live.port, 1)]]], 2), { limits });
    const b = pool(makeConfig([[2, [target(silent.port, 1)]]], 2), { limits });
    await until(() => a.pool.snapshot().connectionsReady === 1 && b.pool.snapshot().connectionsReady === 1, 2000, "ready");
    silent.behaviour = "silent";
    const sink = new RecordingSink();
    bindOrThrow(b.pool, sink).send(mtprotoPacket(), false);
    const t0 = Date.now();
    await until(() => sink.closed !== null, 2000, "silent detection");
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(b.pool.counters.silentClosed).toBe(1);
    expect(b.lines.filter((l) => l.includes("silent for")).length).toBe(1);
    await Bun.sleep(400);
    expect(a.pool.counters.silentClosed).toBe(0);
    expect(live.pings.length).toBeGreaterThan(3);
    expect(a.pool.snapshot().connectionsReady).toBe(1);
  });

  test("default limits from -T keep detection within 30 s", async () => {
    const { defaultPoolLimits } = await import("../../src/rpc/pool.ts");
    for (const t of [0.5, 5, 60, 3600]) {
      const l = defaultPoolLimits(t);
      expect(l.silenceTimeoutMs + l.pingIntervalMs).toBeLessThanOrEqual(40_000);
      expect(l.silenceTimeoutMs).toBeLessThanOrEqual(30_000);
      expect(l.silenceTimeoutMs).toBeGreaterThanOrEqual(10_000);
    }
  });
});

describe("choice and flow control", () => {
  test("exact signed DC, then the default cluster; a missing default drops with dropped_queries", async () => {
    const a = fakeMe();
    const b = fakeMe();
    const cfg = makeConfig(
      [
        [2, [target(a.port, 1)]],
        [-2, [target(b.port, 1)]],
      ],
      2,
    );
    const { pool: p } = pool(cfg);
    await until(() => p.snapshot().connectionsReady === 2, 2000, "ready");
    for (const [dc, me] of [
      [2, a],
      [-2, b],
      [7, a],
    ] as const) {
      const n = me.requests.length;
      bindOrThrow(p, new RecordingSink(), { dc }).send(mtprotoPacket(), false);
      await me.waitFor(() => me.requests.length === n + 1, 2000, `dc ${dc}`);
    }
    p.applyConfig(makeConfig([[-2, [target(b.port, 1)]]], 5));
    expect(p.bind(clientInfo({ dc: 7 }), new RecordingSink())).toBeNull();
    expect(p.counters.droppedQueries).toBe(1);
  });

  test("nothing ready: bind returns null", () => {
    const { pool: p } = pool(makeConfig([[2, [target(1, 1)]]], 2), { limits: { handshakeTimeoutMs: 100 } });
    expect(p.bind(clientInfo(), new RecordingSink())).toBeNull();
    expect(p.counters.droppedQueries).toBe(1);
  });

  test("send returns false over the high-water mark and the sink hears middleDrained later", async () => {
    const me = fakeMe({ behaviour: "ignore" });
    const { pool: p } = await readyPool(me, 1, { limits: { highWaterBytes: 1024, lowWaterBytes: 256 } });
    const sink = new RecordingSink();
    const route = bindOrThrow(p, sink);
    expect(route.send(mtprotoPacket(1, 4096), false)).toBe(false);
    await until(() => sink.drained === 1, 2000, "drain");
    expect(route.send(mtprotoPacket(1, 64), false)).toBe(true);
    await me.waitFor(() => me.requests.length === 2);
  });

  test("a client that does not read is closed with CLOSE_CONN instead of stalling the link", async () => {
    const me = fakeMe();
    const { pool: p } = await readyPool(me, 1, { limits: { maxClientPendingBytes: 1000 } });
    const slow = new RecordingSink();
    slow.growPerPacket = 600;
    const fast = new RecordingSink();
    const rs = bindOrThrow(p, slow);
    const rf = bindOrThrow(p, fast);
    rs.send(mtprotoPacket(), false);
    rs.send(mtprotoPacket(), false);
    rf.send(mtprotoPacket(), false);
    await until(() => slow.closed !== null && fast.packets.length === 1, 2000, "slow client closed");
    expect(slow.closed).toBe("client too slow");
    expect(p.counters.clientsClosedSlow).toBe(1);
    await me.waitFor(() => me.closeConns.length === 1);
    expect(rf.alive).toBe(true);
  });
});

describe("reload and back-off", () => {
  test("applyConfig keeps shared targets with their live connections and closes removed ones", async () => {
    const a = fakeMe();
    const b = fakeMe();
    const c = fakeMe();
    const { pool: p } = pool(makeConfig([[2, [target(a.port, 1), target(b.port, 1)]]], 2));
    await until(() => p.snapshot().connectionsReady === 2, 2000, "ready");
    const keepA = p.connectionsOf(`127.0.0.1:${a.port}`);
    const sinkB = new RecordingSink();
    // bind until a client lands on B
    for (let i = 0; i < 50 && !b.requests.length; i++) {
      const r = p.bind(clientInfo(), i === 0 ? sinkB : new RecordingSink());
      r?.send(mtprotoPacket(), false);
      await Bun.sleep(5);
    }
    p.applyConfig(makeConfig([[2, [target(a.port, 2), target(c.port, 1)]]], 2));
    await until(() => p.snapshot().connectionsReady === 3 && b.openTunnels.length === 0, 3000, "reloaded");
    const nowA = p.connectionsOf(`127.0.0.1:${a.port}`);
    expect(nowA.includes(keepA[0]!)).toBe(true);
    expect(nowA.length).toBe(2);
    expect(p.connectionsOf(`127.0.0.1:${b.port}`).length).toBe(0);
    expect(p.counters.unusedConnectionsClosed).toBe(1);
    expect(a.connections.length).toBe(2);
  });

  test("reconnect gaps follow compute_next_reconnect: ~1.05 s, then ×1.5 up to the 20 s cap", () => {
    let now = 0;
    let attempts: number[] = [];
    const mem = createMemoryLogger();
    const p = new MiddlePool({
      config: makeConfig([[2, [target(9, 1)]]], 2),
      secret: { bytes: SECRET, keySelect: KEY_SELECT },
      options: { proxyTag: null, natInfo: [], pingIntervalSec: 0 },
      log: mem.log,
      nowMs: () => now,
      connector: (_t, ev) => {
        attempts.push(now);
        ev.close("refused");
      },
    });
    cleanups.push(() => p.stop());
    for (; now <= 120_000; now += 10) p.maintain();
    const gaps = attempts.slice(1).map((t, i) => (t - attempts[i]!) / 1000);
    expect(gaps[0]!).toBeGreaterThanOrEqual(1.0);
    expect(gaps[0]!).toBeLessThanOrEqual(1.11);
    expect(gaps[1]!).toBeGreaterThanOrEqual(1.5);
    expect(gaps[1]!).toBeLessThanOrEqual(1.9);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]! - 0.02);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(32);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(20);
    attempts = [];
  });
});
