// One middle-end connection: coalesced writes, C's handshake failure paths (bytes after the nonce,
// a foreign peer_pid answered with RPC_HANDSHAKE_ERROR), and every socket closed on teardown.
import { afterEach, expect, test } from "bun:test";
import { RPC_HANDSHAKE_ERROR } from "../../src/rpc/constants.ts";
import type { ConnectionSettings } from "../../src/rpc/connection.ts";
import { createMiddleCounters } from "../../src/rpc/counters.ts";
import { bunConnector, type MiddleConnector } from "../../src/rpc/socket.ts";
import { FakeMiddleEnd, type FakeMiddleEndOptions } from "../support/fake-middle-end.ts";
import { clientInfo, linkSettings, mtprotoPacket, RecordingSink, SECRET, startLink, until, withWrite } from "./helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(meOpts: Partial<FakeMiddleEndOptions> = {}, afterOpen?: (settings: ConnectionSettings) => void) {
  const me = FakeMiddleEnd.start({ secret: SECRET, ...meOpts });
  cleanups.push(() => me.stop());
  const writes: number[] = [];
  // count write() calls on the real socket
  const connector: MiddleConnector = (t, ev) =>
    bunConnector(t, {
      ...ev,
      open: (s) => {
        ev.open(
          withWrite(s, (d, o, l) => {
            writes.push(l ?? d.length);
            return s.write(d, o, l);
          }),
        );
        afterOpen?.(settings);
      },
    });
  const counters = createMiddleCounters();
  const settings = linkSettings(connector, 77, counters);
  const link = startLink(me, settings, (fn) => cleanups.push(fn));
  return { me, conn: link.conn, writes, counters, isReady: link.isReady, closedWith: link.closedWith };
}

test("all packets produced in one event leave in one framed, padded, encrypted write", async () => {
  const { me, conn, writes, isReady } = setup({ behaviour: "ignore" });
  await until(isReady, 2000, "ready");
  const before = writes.length;
  const routes = [0, 1, 2, 3].map((i) => conn.bind(100 + i, clientInfo({ remotePort: 2000 + i }), new RecordingSink()));
  routes.forEach((r) => r.send(mtprotoPacket(1, 60), false)); // 4 × (12 + 56 + 60) = 512 bytes
  await me.waitFor(() => me.requests.length === 4);
  expect(writes.length - before).toBe(1);
  expect(writes.at(-1)! % 16).toBe(0);
  // seqnos are consecutive across the batch
  expect(me.requests.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
});

test("bytes right behind the ME nonce fail the handshake (−6), as tcp_rpcc_start_crypto does", async () => {
  const { counters, closedWith, isReady } = setup({ garbageAfterNonce: true });
  await until(() => closedWith() !== null, 2000, "close");
  expect(closedWith()).toContain("error -6");
  expect(counters.handshakeFailures).toBe(1);
  expect(isReady()).toBe(false);
});

test("a foreign peer_pid gets RPC_HANDSHAKE_ERROR(−4) before the close", async () => {
  // with CRC32C granted a C ME would drop the CRC32 error packet; without it the packet arrives
  const { me, closedWith } = setup({ badPeerPid: true, crc32c: false });
  await until(() => closedWith() !== null, 2000, "close");
  expect(closedWith()).toContain("error -4");
  await me.waitFor(() => me.connections[0]!.received.some((p) => p.type === RPC_HANDSHAKE_ERROR), 1000, "error packet");
  const err = me.connections[0]!.received.find((p) => p.type === RPC_HANDSHAKE_ERROR)!;
  expect(new DataView(err.body.buffer, err.body.byteOffset).getInt32(4, true)).toBe(-4);
});

test("closing the link closes every bound client and frees nothing twice", async () => {
  const { me, conn, isReady } = setup();
  await until(isReady, 2000, "ready");
  const sinks = [new RecordingSink(), new RecordingSink()];
  const routes = sinks.map((s, i) => conn.bind(i + 1, clientInfo(), s));
  conn.close("test");
  conn.close("again");
  expect(sinks.every((s) => s.closed === "test")).toBe(true);
  expect(routes.every((r) => !r.alive)).toBe(true);
  expect(routes[0]!.send(mtprotoPacket(), false)).toBe(true); // dropped, not thrown
  await me.waitFor(() => me.connections[0]!.stage === "closed", 1000, "socket closed");
});

test("a proxy secret swapped between our nonce and the ME's reply does not break that handshake", async () => {
  // pool.applySecret replaces settings.secret; the link started before must finish with the secret it
  // sent the key_select of, or both ends derive different keys and the handshake fails
  const other = Buffer.from(SECRET.map((b) => b ^ 0x5a));
  const { conn, counters, isReady, closedWith } = setup({}, (settings) => {
    settings.secret = { bytes: other, keySelect: other.readUInt32LE(0) };
  });
  await until(() => isReady() || closedWith() !== null, 2000, "handshake outcome");
  expect(closedWith()).toBeNull();
  expect(isReady()).toBe(true);
  expect(counters.handshakeFailures).toBe(0);
  conn.close("done");
});
