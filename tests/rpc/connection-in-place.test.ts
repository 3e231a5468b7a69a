// The middle-end link encrypts its batch in place: a batch still queued (the socket took only part
// of it) must never be overwritten by the next one, and closing the link releases its cipher contexts.
import { afterEach, expect, test } from "bun:test";
import { liveNativeAesContexts, nativeAesActive, useOpenSslStreams } from "../../src/crypto/aes.ts";
import { bunConnector, type MiddleConnector } from "../../src/rpc/socket.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { clientInfo, linkSettings, mtprotoPacket, RecordingSink, SECRET, startLink, until, withWrite } from "./helpers.ts";

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
        ev.open(
          withWrite(s, (d, o = 0, l = d.length - o) => {
            if (l <= maxWrite) return s.write(d, o, l);
            partialWrites++;
            const n = s.write(d, o, maxWrite);
            setTimeout(() => ev.drain(), 1);
            return n;
          }),
        );
      },
    });
  const link = startLink(me, linkSettings(connector, 78), (fn) => cleanups.push(fn));
  return { me, conn: link.conn, isReady: link.isReady, closed: link.closedWith, partialWrites: () => partialWrites };
}

test("batches queued behind a partial write arrive intact (the reused frame buffer is not overwritten)", async () => {
  const { me, conn, isReady, closed, partialWrites } = setup(700);
  await until(isReady, 3000, "ready");
  const route = conn.bind(900, clientInfo(), new RecordingSink());
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

test("closing the link releases its cipher contexts", async () => {
  // OpenSSL contexts (the VAES and multi-lane streams keep their state in JS memory and hold none)
  const perLink = nativeAesActive() ? 2 : 0;
  const before = liveNativeAesContexts();
  useOpenSslStreams(true);
  const { conn, isReady } = setup(1 << 20);
  try {
    await until(isReady, 3000, "ready");
  } finally {
    useOpenSslStreams(false);
  }
  expect(liveNativeAesContexts()).toBeGreaterThanOrEqual(before + perLink);
  const during = liveNativeAesContexts();
  conn.close("test");
  expect(liveNativeAesContexts()).toBe(during - perLink);
});
