// Fake TLS (ee) through the compiled proxy with `-D localhost` (client-side.md §4): the start-up probe
// of localhost:443 fails fast, the proxy warns and uses the fallback profile, and ee clients still work
// with every -S secret. Then fronting (§4.9) to a recording origin on 127.0.0.1:443 (the port C fronts
// to): every failed hello ends at the origin with exactly the prober's bytes, the origin's reply returns.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import type { ServerEvent } from "../../src/transport/client-frames.ts";
import { openBinaryClient, type BinaryClient } from "../support/binary-client.ts";
import { CLIENT_SECRETS, meConfig, mtprotoPacket, startBinaryProxy, startMe, TAG_HEX, type BinaryProxy } from "../support/binary-proxy.ts";
import type { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { canBind, startOriginAt, type FakeOriginAt } from "../support/fake-origin.ts";
import { createTestClientCodec } from "../support/test-client.ts";
import { Cleanup } from "../supervisor/process-harness.ts";

const DOMAIN = "localhost";
const cleanup = new Cleanup();
let me: FakeMiddleEnd;
let proxy: BinaryProxy;

// decided before the proxy starts: nothing may listen on 443 during its probe (it must fall back)
const BIND_443_ERROR = canBind(443);

beforeAll(async () => {
  me = startMe(cleanup);
  me.behaviour = (req, m) => {
    const via = m.connections[req.conn]!;
    if (req.flags & 0x80000000) m.sendSimpleAck(req.connId, 0x8abbccdd, via);
    m.sendProxyAns(req.connId, req.payload, 0, via);
  };
  proxy = await startBinaryProxy(cleanup, {
    config: meConfig([[2, me]], { defaultDc: 2, minConnections: 1 }),
    mes: [{ me, links: 1 }],
    domains: [DOMAIN],
  });
}, 15_000);
afterAll(() => cleanup.run());

let seed = 500;
async function eeClient(secretIndex: number, helloLength?: number): Promise<BinaryClient> {
  const codec = createTestClientCodec({
    secret: CLIENT_SECRETS[secretIndex]!,
    mode: "ee",
    dc: 2,
    domain: DOMAIN,
    random: seededRandom(seed++),
    ...(helloLength ? { helloLength } : {}),
  });
  const c = await openBinaryClient(proxy.port, codec, { awaitHelloMs: 3000 });
  cleanup.add(() => c.close());
  return c;
}

function expectEcho(e: ServerEvent, p: Uint8Array): void {
  expect(e.kind).toBe("packet");
  if (e.kind !== "packet") return;
  expect(e.payload.length - p.length).toBeGreaterThanOrEqual(0);
  expect(e.payload.length - p.length).toBeLessThanOrEqual(15);
  expect(Buffer.from(e.payload.subarray(0, p.length)).equals(Buffer.from(p))).toBe(true);
}

describe("ee with -D localhost (nothing on 443 at start-up)", () => {
  test("the probe fails and the proxy warns that it uses the default response settings", () => {
    expect(proxy.p.lines.some((l) => l.endsWith(`Failed to update response data about ${DOMAIN}, so default response settings wiil be used`))).toBe(true);
  });

  test("ee clients with each -S secret (2019 and modern hello sizes): 56 B … 1 MiB − 4 KiB echoed, quick ack; PROXY_REQ flags 0x20021008", async () => {
    const sizes = [56, 508, 16_384, 1_044_464];
    for (const [i, helloLength] of [[0, undefined], [1, 1800], [2, 517]] as const) {
      const c = await eeClient(i, helloLength);
      expect(c.codec.serverHelloOk).toBe(true);
      for (const n of sizes) {
        const p = mtprotoPacket(n, n + i);
        c.send([{ payload: p }]);
        expectEcho(await c.next(5000), p);
      }
      const q = mtprotoPacket(64, 77);
      c.send([{ payload: q, quickAck: true }]);
      expect(await c.next()).toEqual({ kind: "quick-ack", token: 0x8abbccdd });
      expectEcho(await c.next(), q);
      const reqs = me.requests.filter((r) => r.clientPort === c.localPort);
      expect(reqs.map((r) => r.flags >>> 0)).toEqual([...sizes.map(() => 0x20021008), 0xa0021008]);
      expect(new Set(reqs.map((r) => r.connId)).size).toBe(1);
      expect(Buffer.from(reqs[0]!.tag!).toString("hex")).toBe(TAG_HEX);
      c.close();
    }
  }, 15_000);
});

describe.skipIf(BIND_443_ERROR !== null)(`fronting to a fake origin on 127.0.0.1:443${BIND_443_ERROR ? ` (skipped: cannot bind 443: ${BIND_443_ERROR})` : ""}`, () => {
  const REPLY = Buffer.from("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
  let origin: FakeOriginAt;

  beforeAll(() => {
    const o = startOriginAt(443, REPLY);
    if (typeof o === "string") throw new Error(`127.0.0.1:443 was free at load time but cannot be bound now: ${o}`);
    origin = o;
    cleanup.add(() => o.stop());
  });

  async function prober(): Promise<BinaryClient> {
    const codec = createTestClientCodec({ secret: null, mode: "plain", dc: 2 });
    const c = await openBinaryClient(proxy.port, codec, { sendOpening: false });
    cleanup.add(() => c.close());
    return c;
  }

  /** Sends `bytes` as a prober; the next origin connection must get exactly them, the prober exactly the reply. */
  async function expectFronted(bytes: Uint8Array): Promise<BinaryClient> {
    const index = origin.connections.length;
    const requestsBefore = me.requests.length;
    const c = await prober();
    c.sendRaw(bytes);
    const got = await origin.waitConnectionBytes(index, bytes.length);
    expect(got.equals(Buffer.from(bytes))).toBe(true);
    const end = Date.now() + 3000;
    while (c.received.length < REPLY.length && Date.now() < end) await Bun.sleep(5);
    expect(c.received.equals(REPLY)).toBe(true); // the origin's reply and nothing from the proxy itself
    await Bun.sleep(30);
    expect(origin.connections.length).toBe(index + 1);
    expect(origin.connections[index]!.equals(Buffer.from(bytes))).toBe(true);
    expect(me.requests.length).toBe(requestsBefore);
    return c;
  }

  const hello = (over: { secret?: Uint8Array; domain?: string; nowSec?: number } = {}): Uint8Array =>
    createTestClientCodec({
      secret: over.secret ?? CLIENT_SECRETS[0]!,
      mode: "ee",
      dc: 2,
      domain: over.domain ?? DOMAIN,
      nowSec: over.nowSec,
      random: seededRandom(seed++),
    }).opening();

  test("non-TLS bytes (a plain obfuscated2 init) with -D: fronted, and later bytes pass verbatim", async () => {
    const init = createTestClientCodec({ secret: CLIENT_SECRETS[0]!, mode: "plain", dc: 2, random: seededRandom(seed++) }).opening();
    const c = await expectFronted(init);
    c.sendRaw(Buffer.from("more bytes"));
    const all = await origin.waitConnectionBytes(origin.connections.length - 1, init.length + 10);
    expect(all.subarray(init.length).toString()).toBe("more bytes");
  });

  test("bad HMAC (a secret the proxy does not have)", async () => {
    await expectFronted(hello({ secret: Buffer.alloc(16, 0x42) }));
  });

  test("replayed ClientHello: the first is served, the replay is fronted", async () => {
    const codec = createTestClientCodec({ secret: CLIENT_SECRETS[1]!, mode: "ee", dc: 2, domain: DOMAIN, random: seededRandom(seed++) });
    const h = codec.opening();
    const first = await openBinaryClient(proxy.port, codec, { sendOpening: false });
    cleanup.add(() => first.close());
    first.sendRaw(h);
    const end = Date.now() + 3000;
    while (!codec.serverHelloOk && Date.now() < end) await Bun.sleep(5);
    expect(codec.serverHelloOk).toBe(true);
    await expectFronted(h);
  });

  test("unknown SNI", async () => {
    await expectFronted(hello({ domain: "unknown.example" }));
  });

  test("stale timestamp (now − 1000 s)", async () => {
    await expectFronted(hello({ nowSec: Math.floor(Date.now() / 1000) - 1000 }));
  });
});
