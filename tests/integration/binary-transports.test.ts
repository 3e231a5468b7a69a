// Client → compiled proxy → fake middle end → back, for every transport and the plain and dd secret
// forms (client-side.md §3; backend-rpc.md §9.1): echoes from 56 B to 1 MiB − 4 KiB, a 4-byte answer,
// quick acks, RPC_PING answered by the proxy, several -S, and RPC_PROXY_REQ records byte-exact with C.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { RPC_PROXY_REQ } from "../../src/rpc/constants.ts";
import type { ServerEvent } from "../../src/transport/client-frames.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { openBinaryClient, type BinaryClient } from "../support/binary-client.ts";
import { CLIENT_SECRETS, meConfig, mtprotoPacket, reqPqPacket, startBinaryProxy, startMe, TAG_HEX, type BinaryProxy } from "../support/binary-proxy.ts";
import type { FakeMiddleEnd, RecordedRequest } from "../support/fake-middle-end.ts";
import { createTestClientCodec, type SecretMode } from "../support/test-client.ts";
import { Cleanup } from "../supervisor/process-harness.ts";

const cleanup = new Cleanup();
let me: FakeMiddleEnd;
let proxy: BinaryProxy;
const TAG = Buffer.from(TAG_HEX, "hex");
const ACK_TOKEN = 0x8abbccdd;
const QUICKACK = 0x80000000;
const RPC_PING = 0x5730a2df;
const RPC_PONG = 0x8430eaa7;

beforeAll(async () => {
  me = startMe(cleanup);
  // echo, preceded by RPC_SIMPLE_ACK when the client asked for a quick ack
  me.behaviour = (req, m) => {
    const via = m.connections[req.conn]!;
    if (req.flags & QUICKACK) m.sendSimpleAck(req.connId, ACK_TOKEN, via);
    m.sendProxyAns(req.connId, req.payload, 0, via);
  };
  proxy = await startBinaryProxy(cleanup, { config: meConfig([[2, me]], { defaultDc: 2, minConnections: 2 }), mes: [{ me, links: 2 }] });
}, 15_000);
afterAll(() => cleanup.run());

let seed = 1;
async function client(mode: SecretMode, transport: ClientTransport, secretIndex = 0, dc = 2): Promise<BinaryClient> {
  const codec = createTestClientCodec({ secret: CLIENT_SECRETS[secretIndex]!, mode, transport, dc, random: seededRandom(seed++) });
  const c = await openBinaryClient(proxy.port, codec);
  cleanup.add(() => c.close());
  return c;
}

/** This client's requests at the fake ME (the proxy reports the client's source port). */
/** c.next() with the step named in the error. */
async function next(c: BinaryClient, what: string, timeoutMs = 3000): Promise<ServerEvent> {
  try {
    return await c.next(timeoutMs);
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)} (ME saw ${requestsOf(c).length} requests from this client)`);
  }
}

function requestsOf(c: BinaryClient): RecordedRequest[] {
  return me.requests.filter((r) => r.clientPort === c.localPort);
}

/** Padded clients add 0..15 random bytes; C forwards len & ~3 of them and the echo carries up to 15 back. */
function expectEcho(e: ServerEvent, p: Uint8Array, transport: ClientTransport): void {
  expect(e.kind).toBe("packet");
  if (e.kind !== "packet") return;
  const extra = e.payload.length - p.length;
  expect(extra).toBeGreaterThanOrEqual(0);
  expect(extra).toBeLessThanOrEqual(transport === "padded" ? 15 : 0);
  expect(Buffer.from(e.payload.subarray(0, p.length)).equals(Buffer.from(p))).toBe(true);
}

function expectForwarded(r: RecordedRequest, p: Uint8Array, transport: ClientTransport): void {
  const extra = r.payload.length - p.length;
  if (transport === "padded") {
    expect(extra >= 0 && extra <= 12 && extra % 4 === 0).toBe(true);
  } else expect(extra).toBe(0);
  expect(Buffer.from(r.payload.subarray(0, p.length)).equals(Buffer.from(p))).toBe(true);
}

function flagsFor(transport: ClientTransport, extra = 0): number {
  // 0x1000 TCP magic | 0x20000 EXTMODE2 | 0x8 HAS_AD_TAG | COMPACT (abridged) or MEDIUM
  return ((transport === "abridged" ? 0x40000000 : 0x20000000) | 0x21008 | extra) >>> 0;
}

/** backend-rpc.md §9.1, built field by field: what C writes for a loopback IPv4 client with -P. */
function expectedProxyReq(r: RecordedRequest, clientPort: number): Buffer {
  const head = Buffer.alloc(60);
  head.writeUInt32LE(RPC_PROXY_REQ, 0);
  head.writeUInt32LE(r.flags, 4);
  head.writeBigInt64LE(r.connId, 8);
  Buffer.from("00000000000000000000ffff7f000001", "hex").copy(head, 16);
  head.writeInt32LE(clientPort, 32);
  Buffer.from("00000000000000000000ffff7f000001", "hex").copy(head, 36);
  head.writeInt32LE(proxy.port, 52);
  head.writeInt32LE(24, 56);
  const extra = Buffer.concat([Buffer.from("ae261edb10", "hex"), TAG, Buffer.alloc(3)]);
  return Buffer.concat([head, extra, r.payload]);
}

function rawBody(r: RecordedRequest): Buffer {
  const got = me.connections[r.conn]!.received.find((x) => x.seq === r.seq && x.type === RPC_PROXY_REQ);
  if (!got) throw new Error(`no raw frame for seq ${r.seq}`);
  return Buffer.from(got.body);
}

const CASES: { mode: SecretMode; transport: ClientTransport }[] = [
  { mode: "plain", transport: "abridged" },
  { mode: "plain", transport: "intermediate" },
  { mode: "plain", transport: "padded" },
  { mode: "dd", transport: "padded" },
];

describe("each transport × plain/dd through the binary", () => {
  for (const { mode, transport } of CASES) {
    test(`${mode}/${transport}: req_pq (+2), 56 B … 1 MiB − 4 KiB echoed, quick ack, 4-byte answer, RPC_PING; records as C sends them`, async () => {
      const c = await client(mode, transport);
      const first = reqPqPacket(seed);
      c.send([{ payload: first }]);
      expectEcho(await next(c, "req_pq echo"), first, transport);

      const top = transport === "padded" ? 1_044_464 : 1_044_480; // MAX_POST_SIZE less the padded slack
      const sizes = [56, 60, 508, 4096, 65_536, top];
      for (const [i, n] of sizes.entries()) {
        const p = mtprotoPacket(n, i);
        c.send([{ payload: p }]);
        expectEcho(await next(c, `${n}-byte echo`, 5000), p, transport);
      }

      const ackMe = mtprotoPacket(64, 99);
      c.send([{ payload: ackMe, quickAck: true }]);
      expect(await next(c, "quick ack")).toEqual({ kind: "quick-ack", token: ACK_TOKEN });
      expectEcho(await next(c, "echo after the quick ack"), ackMe, transport);

      const reqs = requestsOf(c);
      expect(reqs.length).toBe(2 + sizes.length);
      const connId = reqs[0]!.connId;
      expect(reqs[0]!.flags).toBe(flagsFor(transport, 2)); // unencrypted first packet
      expectForwarded(reqs[0]!, first, transport);
      for (const [i, n] of sizes.entries()) {
        expect(reqs[i + 1]!.flags).toBe(flagsFor(transport));
        expectForwarded(reqs[i + 1]!, mtprotoPacket(n, i), transport);
      }
      expect(reqs.at(-1)!.flags).toBe(flagsFor(transport, QUICKACK));
      for (const r of reqs) {
        expect(r.connId).toBe(connId);
        expect(r.clientAddr).toBe("127.0.0.1");
        expect(r.clientPort).toBe(c.localPort);
        expect(r.proxyAddr).toBe("127.0.0.1");
        expect(r.proxyPort).toBe(proxy.port);
        expect(r.extraSize).toBe(24);
        expect(Buffer.from(r.tag!).equals(TAG)).toBe(true);
      }
      // the whole frame body, byte for byte, for a small and the largest request
      for (const r of [reqs[0]!, reqs[2]!, reqs[sizes.length]!]) expect(rawBody(r).equals(expectedProxyReq(r, c.localPort))).toBe(true);

      // a 4-byte answer (a transport error code) is relayed as an ordinary frame
      const small = Buffer.from("6cfeffff", "hex");
      me.sendProxyAns(connId, small);
      expectEcho(await next(c, "4-byte answer"), small, transport);

      // RPC_PING of 12 bytes: the proxy answers RPC_PONG itself, the ME never sees it. Padded clients
      // add 0..15 random bytes and C keeps len & ~3, so only a ping with < 4 padding bytes is still 12
      // bytes long and answered (a longer one is eaten): retry behind an echo until one is answered.
      const ping = Buffer.alloc(12);
      ping.writeUInt32LE(RPC_PING, 0);
      ping.write("pin" + transport.slice(0, 5), 4);
      const pong = Buffer.from(ping);
      pong.writeUInt32LE(RPC_PONG, 0);
      const before = requestsOf(c).length;
      let pongs = 0;
      let barriers = 0;
      for (let attempt = 0; attempt < 64 && pongs === 0; attempt++) {
        const barrier = mtprotoPacket(56, 200 + attempt);
        c.send([{ payload: ping }, { payload: barrier }]);
        barriers++;
        const e = await next(c, "RPC_PONG or the echo behind it");
        if (e.kind === "packet" && Buffer.from(e.payload.subarray(0, 12)).equals(pong)) {
          pongs++;
          expect(e.payload.length).toBeLessThanOrEqual(transport === "padded" ? 12 + 15 : 12);
          expectEcho(await next(c, "echo behind the ping"), barrier, transport);
        } else expectEcho(e, barrier, transport);
        if (transport !== "padded") break;
      }
      expect(pongs).toBe(1);
      expect(requestsOf(c).length).toBe(before + barriers);
      const anyPing = me.connections.some((k) => k.received.some((x) => x.type === RPC_PROXY_REQ && Buffer.from(x.body).includes(ping)));
      expect(anyPing).toBe(false);

      c.close();
      await me.waitFor(() => me.closeConns.includes(connId), 3000, "RPC_CLOSE_CONN");
    }, 15_000);
  }
});

describe("several -S secrets", () => {
  test("the 2nd and 3rd secret work for plain and dd clients; ext conn ids are stable per client and distinct across clients", async () => {
    const conns: BinaryClient[] = [];
    for (const i of [1, 2]) {
      conns.push(await client("plain", "intermediate", i));
      conns.push(await client("dd", "padded", i));
    }
    for (let round = 0; round < 2; round++) {
      for (const [k, c] of conns.entries()) {
        const p = mtprotoPacket(128, k * 10 + round);
        c.send([{ payload: p }]);
        expectEcho(await c.next(), p, c.codec.transport);
      }
    }
    const ids = conns.map((c) => {
      const reqs = requestsOf(c);
      expect(reqs.length).toBe(2);
      expect(reqs[0]!.connId).toBe(reqs[1]!.connId);
      return reqs[0]!.connId;
    });
    expect(new Set(ids).size).toBe(conns.length);
    for (const c of conns) c.close();
  });
});

describe("many clients", () => {
  test("120 concurrent clients (every transport, plain and dd, all three secrets) each echo 3 packets with zero errors", async () => {
    const n = 120;
    const shapes: { mode: SecretMode; transport: ClientTransport }[] = [...CASES];
    const conns = await Promise.all(
      Array.from({ length: n }, (_, i) => {
        const s = shapes[i % shapes.length]!;
        return client(s.mode, s.transport, i % 3);
      }),
    );
    const errors: string[] = [];
    await Promise.all(
      conns.map(async (c, i) => {
        for (let k = 0; k < 3; k++) {
          const p = mtprotoPacket(64 + 4 * ((i + k) % 50), i * 3 + k);
          c.send([{ payload: p }]);
          try {
            const e = await c.next(8000);
            const ok = e.kind === "packet" && Buffer.from(e.payload.subarray(0, p.length)).equals(p);
            if (!ok) errors.push(`client ${i} packet ${k}: wrong answer`);
          } catch (error) {
            errors.push(`client ${i} packet ${k}: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }),
    );
    expect(errors).toEqual([]);
    const ids = new Set<bigint>();
    for (const c of conns) {
      const reqs = requestsOf(c);
      expect(reqs.length).toBe(3);
      expect(new Set(reqs.map((r) => r.connId)).size).toBe(1);
      ids.add(reqs[0]!.connId);
    }
    expect(ids.size).toBe(n);
    for (const c of conns) c.close();
    await me.waitFor(() => [...ids].every((id) => me.closeConns.includes(id)), 5000, "RPC_CLOSE_CONN for every client");
  }, 20_000);
});
