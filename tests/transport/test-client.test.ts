// The test client (tests/support/test-client.ts) against our own server-side codecs: in memory
// for every secret mode, and once over a loopback socket with a tiny echo server built from the
// handshake state machine.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { createClientHandshake, type HandshakeConfig, type HandshakeOutcome } from "../../src/transport/client-handshake.ts";
import type { ClientStack } from "../../src/transport/client-stack.ts";
import { ReplayCache } from "../../src/transport/replay-cache.ts";
import { connectTestClient, createTestClientCodec, type TestClientOptions } from "../support/test-client.ts";
import { SECRET } from "./helpers.ts";

const NOW = 1_700_000_000;
const PROFILE = { reversedOrder: true, encryptedSize: 1300, randomised: true };
const config = (tls: boolean, strict = false): HandshakeConfig => ({
  secrets: [seededRandom(3).bytes(16), SECRET],
  tls: tls
    ? { secrets: [seededRandom(3).bytes(16), SECRET], domains: new Map([["example.com", PROFILE]]), defaultDomain: "example.com", strictHello: strict }
    : null,
});
const env = () => ({ localPort: 443, nowSec: () => NOW, replay: new ReplayCache(), random: seededRandom(8), keyShare: () => seededRandom(9).bytes(32) });

function converse(opts: TestClientOptions, cfg: HandshakeConfig) {
  const client = createTestClientCodec(opts);
  const hs = createClientHandshake(cfg, env());
  const first = [{ payload: Buffer.alloc(40, 1), quickAck: true }];
  if (opts.mode !== "ee") {
    // A real client sends the init and its first frame in one write.
    return { client, r: hs.push(Buffer.concat([client.opening(), client.send(first)])) };
  }
  const r: HandshakeOutcome = hs.push(client.opening());
  if (r.kind !== "need-more" || !r.send) throw new Error(`hello not accepted: ${r.kind}`);
  expect(client.receive(r.send)).toEqual({ events: [], error: null });
  expect(client.serverHelloOk).toBe(true);
  return { client, r: hs.push(client.send(first)) };
}

describe("test client against the server codecs (in memory)", () => {
  const cases: [string, TestClientOptions, HandshakeConfig][] = [
    ["plain abridged", { secret: SECRET, mode: "plain", transport: "abridged", dc: 2 }, config(false)],
    ["plain intermediate", { secret: SECRET, mode: "plain", dc: -4 }, config(false)],
    ["dd", { secret: SECRET, mode: "dd", dc: 5 }, config(false)],
    ["ee 517-byte hello, strict", { secret: SECRET, mode: "ee", domain: "example.com", dc: 1, nowSec: NOW }, config(true, true)],
    ["ee 1800-byte hello, relaxed", { secret: SECRET, mode: "ee", domain: "example.com", dc: 3, nowSec: NOW, helloLength: 1800 }, config(true)],
  ];
  for (const [name, opts, cfg] of cases) {
    test(`${name}: packets both ways, quick ack, dc`, () => {
      const { client, r } = converse(opts, cfg);
      expect(r.kind).toBe("established");
      if (r.kind !== "established") return;
      expect([r.dc, r.transport, r.secretIndex, r.tls]).toEqual([opts.dc, client.transport, 1, opts.mode === "ee"]);
      expect(r.first.packets.map((p) => [Buffer.from(p.payload.subarray(0, 40)).toString("hex"), p.quickAck])).toEqual([[Buffer.alloc(40, 1).toString("hex"), true]]);
      const more = r.stack.decode(client.send([{ payload: Buffer.alloc(100, 2) }, { payload: Buffer.alloc(8, 3) }]));
      expect(more.packets.map((p) => p.payload[0])).toEqual([2, 3]);
      r.stack.queuePacket(Buffer.alloc(84, 9));
      r.stack.queueQuickAck(0x8abcdef0);
      const back = client.receive(r.stack.flush()!);
      expect(back.error).toBeNull();
      expect(back.events.map((e) => (e.kind === "packet" ? e.payload.length : e.token))).toEqual([84, 0x8abcdef0]);
    });
  }
  test("ee with a 1800-byte hello is fronted under the strict rule", () => {
    const client = createTestClientCodec({ secret: SECRET, mode: "ee", domain: "example.com", dc: 1, nowSec: NOW, helloLength: 1800 });
    const r = createClientHandshake(config(true, true), env()).push(client.opening());
    expect(r.kind === "front" && r.reason).toBe("not-tls-hello");
  });
});

describe("test client over a loopback socket", () => {
  test("echo server built from the handshake: packets and quick acks round-trip, close is seen", async () => {
    type State = { hs: ReturnType<typeof createClientHandshake>; stack: ClientStack | null };
    using server = Bun.listen<State>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.data = { hs: createClientHandshake(config(true), env()), stack: null };
        },
        data(s, chunk) {
          const st = s.data;
          let packets;
          if (!st.stack) {
            const r = st.hs.push(chunk);
            if (r.kind === "need-more") {
              if (r.send) s.write(r.send);
              return;
            }
            if (r.kind !== "established") return void s.end();
            st.stack = r.stack;
            packets = r.first.packets;
          } else {
            const r = st.stack.decode(chunk);
            if (r.kind === "error") return void s.end();
            packets = r.packets;
          }
          for (const p of packets) {
            if (p.payload[0] === 0xff) return void s.end();
            if (p.quickAck) st.stack.queueQuickAck(0x80000000 | p.payload.length);
            st.stack.queuePacket(p.payload.subarray(0, p.payload.length & ~3));
          }
          const out = st.stack.flush();
          if (out) s.write(out);
        },
      },
    });
    const codec = createTestClientCodec({ secret: SECRET, mode: "ee", domain: "example.com", dc: 2, nowSec: NOW });
    const conn = await connectTestClient("127.0.0.1", server.port, codec, { awaitHelloMs: 2000 });
    try {
      conn.send([{ payload: Buffer.alloc(40, 7), quickAck: true }]);
      const first = await conn.next();
      expect(first.kind).toBe("quick-ack");
      const echoed = await conn.next();
      expect(echoed.kind === "packet" && Buffer.from(echoed.payload.subarray(0, 40)).equals(Buffer.alloc(40, 7))).toBe(true);
      conn.send([{ payload: Buffer.alloc(3000, 0xff) }]);
      await conn.closed;
      expect(conn.isClosed).toBe(true);
      await expect(conn.next(100)).rejects.toThrow("closed");
    } finally {
      conn.close();
    }
  });
});
