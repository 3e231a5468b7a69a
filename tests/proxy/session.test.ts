// One ClientSession driven by a fake socket and a fake middle end: flow control both ways, C's
// DROPPED rule, closeFromMiddle flushing first, one write per event, and a close that releases
// everything exactly once.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { createMemoryLogger } from "../../src/log.ts";
import type { ClientSocket } from "../../src/proxy/client-socket.ts";
import { createSessionCounters } from "../../src/proxy/counters.ts";
import type { ClientInfo, ClientSink, MiddleEnd, MiddleRoute } from "../../src/proxy/middle-contract.ts";
import { ClientSession, SESSION_DEFAULTS, type SessionEnv, type SessionLimits } from "../../src/proxy/session.ts";
import { ReplayCache } from "../../src/transport/replay-cache.ts";
import { createTestClientCodec } from "../support/test-client.ts";
import { packet, SECRETS } from "./harness.ts";

class FakeSocket implements ClientSocket {
  remoteAddress = "198.51.100.7";
  remotePort = 40000;
  localAddress = "192.0.2.1";
  localPort = 443;
  writes: Buffer[] = [];
  /** Bytes the "kernel" takes per write; Infinity = all. */
  accept = Infinity;
  paused = 0;
  resumed = 0;
  ended = false;
  terminated = false;
  session: ClientSession | null = null;
  write(data: Uint8Array, off = 0, len = data.length - off): number {
    if (this.ended || this.terminated) return -1;
    const n = Math.min(len, this.accept);
    if (n > 0) this.writes.push(Buffer.from(data.subarray(off, off + n)));
    return n;
  }
  end(): void {
    this.ended = true;
    this.session?.onSocketClosed(); // Bun may run the close handler synchronously
  }
  terminate(): void {
    this.terminated = true;
    this.session?.onSocketClosed();
  }
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.resumed++;
  }
}

class FakeRoute implements MiddleRoute {
  sent: { packet: Uint8Array; quickAck: boolean }[] = [];
  closes = 0;
  room = true;
  alive = true;
  send(packet: Uint8Array, quickAck: boolean, start = 0, end = packet.length): boolean {
    this.sent.push({ packet: Buffer.from(packet.subarray(start, end)), quickAck }); // the session reuses its chunk
    return this.room;
  }
  close(): void {
    this.closes++;
  }
}

class FakeMiddle implements MiddleEnd {
  routes: FakeRoute[] = [];
  available = true;
  sink: ClientSink | null = null;
  info: ClientInfo | null = null;
  bind(client: ClientInfo, sink: ClientSink): MiddleRoute | null {
    if (!this.available) return null;
    this.sink = sink;
    this.info = client;
    const r = new FakeRoute();
    this.routes.push(r);
    return r;
  }
}

function setup(limits: Partial<SessionLimits> = {}, middle: FakeMiddle | null = new FakeMiddle()) {
  const counters = createSessionCounters();
  let gone = 0;
  const env: SessionEnv = {
    handshake: { secrets: SECRETS, tls: null },
    replay: new ReplayCache(),
    random: seededRandom(1),
    nowSec: () => Math.floor(Date.now() / 1000),
    keyShare: () => new Uint8Array(32),
    middle,
    direct: null,
    counters,
    log: createMemoryLogger().log,
    frontingTarget: () => null,
    connect: () => {
      throw new Error("no fronting in these tests");
    },
    limits: { ...SESSION_DEFAULTS, ...limits },
    onGone: () => gone++,
  };
  const socket = new FakeSocket();
  const session = new ClientSession(socket, env);
  socket.session = session;
  const codec = createTestClientCodec({ secret: SECRETS[0]!, mode: "plain", transport: "intermediate", dc: -2, random: seededRandom(9) });
  session.onData(codec.opening());
  return { counters, socket, session, codec, middle, gone: () => gone };
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe("client session (middle-end mode)", () => {
  test("binds at the first forwarded packet with the client's addresses, DC and transport", () => {
    const { session, codec, middle, counters } = setup();
    expect(session.state).toBe("established");
    expect(middle!.routes.length).toBe(0); // nothing is bound before a packet is forwarded
    session.onData(codec.send([{ payload: packet(64), quickAck: true }]));
    expect(middle!.info).toEqual({
      remoteAddress: "198.51.100.7",
      remotePort: 40000,
      localAddress: "192.0.2.1",
      localPort: 443,
      dc: -2,
      transport: "intermediate",
      secretIndex: 0,
    });
    expect(middle!.routes[0]!.sent[0]!.quickAck).toBe(true);
    expect(counters.handshakesOk.intermediate).toBe(1);
    session.close("shutdown");
  });

  test("route.send false pauses the client once; the middle end's middleDrained resumes it", () => {
    const { session, codec, middle, socket } = setup();
    session.onData(codec.send([{ payload: packet(64) }]));
    middle!.routes[0]!.room = false;
    session.onData(codec.send([{ payload: packet(64, 2) }, { payload: packet(64, 3) }]));
    expect(socket.paused).toBe(1);
    middle!.sink!.middleDrained();
    expect(socket.resumed).toBe(1);
    middle!.sink!.middleDrained(); // a second drain does not resume twice
    expect(socket.resumed).toBe(1);
    session.close("shutdown");
  });

  test("C's DROPPED rule: a packet with no middle end is dropped, the next one that finds one closes the client", () => {
    const { session, codec, middle, counters, socket } = setup();
    middle!.available = false;
    session.onData(codec.send([{ payload: packet(64) }]));
    expect(counters.droppedPackets["no-middle-end"]).toBe(1);
    expect(socket.ended).toBe(false);
    middle!.available = true;
    session.onData(codec.send([{ payload: packet(64, 2) }]));
    expect(middle!.routes[0]!.sent.length).toBe(0);
    expect(middle!.routes[0]!.closes).toBe(1);
    expect(counters.closes.dropped).toBe(1);
    expect(socket.ended).toBe(true);
  });

  test("answers of one event leave in one write; pendingBytes counts what is not yet written", async () => {
    const { session, codec, middle, socket } = setup();
    session.onData(codec.send([{ payload: packet(64) }]));
    const sink = middle!.sink!;
    for (let i = 0; i < 10; i++) sink.sendPacket(packet(64, i));
    sink.sendQuickAck(0x81020304);
    expect(sink.pendingBytes).toBeGreaterThanOrEqual(10 * 64);
    expect(socket.writes.length).toBe(0);
    await tick();
    expect(socket.writes.length).toBe(1);
    const events = codec.receive(socket.writes[0]!).events;
    expect(events.length).toBe(11);
    expect(events[10]).toEqual({ kind: "quick-ack", token: 0x81020304 });
    expect(sink.pendingBytes).toBe(0);
    socket.accept = 0; // the kernel stops taking bytes
    sink.sendPacket(packet(256));
    await tick();
    expect(sink.pendingBytes).toBe(256 + 4);
    session.close("shutdown");
  });

  test("closeFromMiddle flushes what is queued, then closes; the route is not closed again", async () => {
    const { session, codec, middle, socket, counters, gone } = setup();
    session.onData(codec.send([{ payload: packet(64) }]));
    const sink = middle!.sink!;
    sink.sendPacket(packet(128, 7));
    sink.closeFromMiddle("RPC_CLOSE_EXT");
    expect(socket.writes.length).toBe(1);
    expect(socket.ended).toBe(true);
    const ev = codec.receive(socket.writes[0]!).events;
    expect(ev.length).toBe(1);
    expect(middle!.routes[0]!.closes).toBe(0);
    expect(counters.closes.middle).toBe(1);
    expect(counters.active).toBe(0);
    expect(gone()).toBe(1);
    await tick();
    expect(socket.writes.length).toBe(1); // the pending microtask found nothing to do
  });

  test("a graceful close the peer does not drain is cut after the grace period", async () => {
    const { session, codec, middle, socket, gone } = setup({ closeGraceMs: 30 });
    session.onData(codec.send([{ payload: packet(64) }]));
    socket.accept = 0;
    middle!.sink!.sendPacket(packet(64));
    middle!.sink!.closeFromMiddle("x");
    expect(socket.ended).toBe(false);
    await Bun.sleep(60);
    expect(socket.terminated).toBe(true);
    expect(gone()).toBe(1);
  });

  test("the client closing releases the binding exactly once, whatever calls follow", () => {
    const { session, codec, middle, counters, gone } = setup();
    session.onData(codec.send([{ payload: packet(64) }]));
    session.onSocketClosed();
    session.onSocketClosed();
    session.close("protocol");
    middle!.sink!.sendPacket(packet(64)); // late answer: ignored
    expect(middle!.routes[0]!.closes).toBe(1);
    expect(counters.closes.client).toBe(1);
    expect(counters.closes.protocol).toBe(0);
    expect(counters.active).toBe(0);
    expect(gone()).toBe(1);
  });

  test("over the write queue's hard cap the client is closed", async () => {
    const { session, codec, middle, socket, counters } = setup({ writeMaxPending: 4096, writeHighWater: 2048, writeLowWater: 1024 });
    session.onData(codec.send([{ payload: packet(64) }]));
    socket.accept = 0;
    middle!.sink!.sendPacket(packet(8192));
    await tick();
    expect(counters.closes["write-overflow"]).toBe(1);
    expect(socket.ended).toBe(true);
  });

  test("a framing error closes the connection after executing the packets before it", () => {
    const { session, codec, middle, counters, socket } = setup();
    const good = codec.send([{ payload: packet(64) }]);
    // a frame over MAX_POST_SIZE is a protocol error (encrypted by the same client stream)
    const bad = codec.send([{ payload: Buffer.alloc(1_100_000) }]);
    session.onData(Buffer.concat([good, bad]));
    expect(middle!.routes[0]!.sent.length).toBe(1);
    expect(counters.closes.protocol).toBe(1);
    expect(socket.ended).toBe(true);
  });

  test("without -D a client stuck in the handshake is closed after the give-up bound; the timer dies with the session", async () => {
    const counters = createSessionCounters();
    const socket = new FakeSocket();
    const b = setup({ giveUpMs: 30 }); // established: its timer was cancelled
    const stuck = new ClientSession(socket, {
      handshake: { secrets: SECRETS, tls: null },
      replay: new ReplayCache(),
      random: seededRandom(2),
      nowSec: () => 0,
      keyShare: () => new Uint8Array(32),
      middle: null,
      direct: null,
      counters,
      log: createMemoryLogger().log,
      frontingTarget: () => null,
      connect: () => {},
      limits: { ...SESSION_DEFAULTS, giveUpMs: 30 },
      onGone: () => {},
    });
    socket.session = stuck;
    stuck.onData(Buffer.alloc(10, 1));
    await Bun.sleep(80);
    expect(socket.ended).toBe(true);
    expect(counters.closes["handshake-timeout"]).toBe(1);
    expect(b.session.state).toBe("established");
    expect(b.counters.closes["handshake-timeout"]).toBe(0);
    b.session.close("shutdown");
  });
});
