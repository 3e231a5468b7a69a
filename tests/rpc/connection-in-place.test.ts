// The middle-end link encrypts its batch in place: a batch still queued (the socket took only part
// of it) must never be overwritten by the next one, and closing the link releases both CBC contexts.
import { afterEach, expect, test } from "bun:test";
import { liveNativeAesContexts, nativeAesActive } from "../../src/crypto/aes.ts";
import { systemRandom } from "../../src/crypto/random.ts";
import { createMemoryLogger } from "../../src/log.ts";
import { createNatTable } from "../../src/rpc/address.ts";
import { MiddleConnection, type ConnectionSettings } from "../../src/rpc/connection.ts";
import { createMiddleCounters } from "../../src/rpc/counters.ts";
import { bunConnector, type MiddleConnector } from "../../src/rpc/socket.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { clientInfo, KEY_SELECT, mtprotoPacket, RecordingSink, SECRET, until } from "./helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A link whose socket takes at most `maxWrite` bytes per write(), then reports drain a tick later. */
function setup(maxWrite: number) {
  const me = FakeMiddleEnd.start({ secret: SECRET, behaviour: "ignore" });
  cleanups.push(() => me.stop());
  let partialWrites = 0;
  const connector: MiddleConnector = (t, ev) =>
    bunConnector(t, {
      ...ev,
      open: (s) => {
        ev.open({
          get localAddress() {
            return s.localAddress;
          },
          get localPort() {
            return s.localPort;
          },
          get remoteAddress() {
            return s.remoteAddress;
          },
          get remotePort() {
            return s.remotePort;
          },
          write: (d, o = 0, l = d.length - o) => {
            if (l <= maxWrite) return s.write(d, o, l);
            partialWrites++;
            const n = s.write(d, o, maxWrite);
            setTimeout(() => ev.drain(), 1);
            return n;
          },
          end: () => s.end(),
          terminate: () => s.terminate(),
        });
      },
    });
  const settings: ConnectionSettings = {
    secret: { bytes: SECRET, keySelect: KEY_SELECT },
    nat: createNatTable([]),
    proxyTag: null,
    pid: { ip: 0, port: 0xffff, pid: 78, utime: 1 },
    connector,
    log: createMemoryLogger().log,
    counters: createMiddleCounters(),
    random: systemRandom,
    nowMs: () => performance.now(),
    unixSec: () => Math.floor(Date.now() / 1000),
    pingIntervalMs: 0,
    silenceTimeoutMs: 0,
    highWaterBytes: 1 << 20,
    lowWaterBytes: 1 << 18,
    maxClientPendingBytes: 1 << 24,
    maxQueuedBytes: 1 << 25,
  };
  let ready = false;
  let closed: string | null = null;
  const conn = new MiddleConnection({ host: me.host, port: me.port }, settings, {
    ready: () => (ready = true),
    closed: (_c, r) => (closed = r),
  });
  cleanups.push(() => conn.close("test over"));
  conn.start();
  return { me, conn, isReady: () => ready, closed: () => closed, partialWrites: () => partialWrites };
}

test("batches queued behind a partial write arrive intact (the reused frame buffer is not overwritten)", async () => {
  const { me, conn, isReady, closed, partialWrites } = setup(700);
  await until(isReady, 3000, "ready");
  const route = conn.bind(900n, clientInfo(), new RecordingSink(), () => {});
  const sent: string[] = [];
  for (let turn = 0; turn < 12; turn++) {
    for (let i = 0; i < 3; i++) {
      const p = mtprotoPacket(turn * 3 + i + 1, 400 + 64 * i);
      sent.push(Buffer.from(p).toString("hex"));
      route.send(p, false);
    }
    await new Promise((r) => setImmediate(r)); // one flush per event-loop turn
  }
  await me.waitFor(() => me.requests.length === sent.length, 5000, "all requests");
  expect(partialWrites()).toBeGreaterThan(0);
  expect(closed()).toBeNull();
  expect(me.requests.map((r) => Buffer.from(r.payload).toString("hex"))).toEqual(sent);
}, 10000);

test("closing the link releases both of its cipher contexts", async () => {
  const before = liveNativeAesContexts();
  const { conn, isReady } = setup(1 << 20);
  await until(isReady, 3000, "ready");
  if (nativeAesActive()) expect(liveNativeAesContexts()).toBeGreaterThanOrEqual(before + 2);
  const during = liveNativeAesContexts();
  conn.close("test");
  expect(liveNativeAesContexts()).toBe(during - (nativeAesActive() ? 2 : 0));
});
