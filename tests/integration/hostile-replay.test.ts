// Beyond C: a replayed obfuscated2 init of a plain/dd client (an active probe re-sending a captured
// connection) is treated like a wrong secret — blackholed, nothing reaches the middle end — and
// counted as a replay; refused handshakes are counted with their reason.
import { afterEach, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import type { SecretMode } from "../support/test-client.ts";
import { connectTestClient, createTestClientCodec } from "../support/test-client.ts";
import { cleanupList, DOMAIN, packet, SECRETS, startOrigin, startPlane, startPool, until } from "../proxy/harness.ts";

const cleanup = cleanupList();
afterEach(() => cleanup.run());

/** The exact bytes one client sends: its init and one packet (deterministic per seed). */
function capture(mode: SecretMode, seed: number): { bytes: Buffer; payload: Buffer } {
  const codec = createTestClientCodec({ secret: SECRETS[0]!, mode, transport: "intermediate", dc: 2, random: seededRandom(seed) });
  const payload = packet(64, seed);
  return { bytes: Buffer.concat([codec.opening(), codec.send([{ payload }])]), payload };
}

async function rawConnect(port: number, mode: SecretMode, seed: number) {
  const codec = createTestClientCodec({ secret: SECRETS[0]!, mode, transport: "intermediate", dc: 2, random: seededRandom(seed) });
  const c = await connectTestClient("127.0.0.1", port, codec, { sendOpening: false });
  cleanup.add(() => c.close());
  return c;
}

describe("obfuscated2 init replay (plain and dd)", () => {
  for (const mode of ["plain", "dd"] as const) {
    test(`${mode}: the first connection is served, a byte-exact replay is blackholed and counted`, async () => {
      const { me, pool } = await startPool(cleanup);
      const { plane, port } = await startPlane(cleanup, pool);
      const seed = mode === "plain" ? 101 : 202;
      const { bytes, payload } = capture(mode, seed);

      const first = await rawConnect(port, mode, seed);
      // the same bytes as `bytes`, produced by the connection's own codec so it can go on talking
      first.sendRaw(first.codec.opening());
      first.send([{ payload }]);
      const e = await first.next(2000);
      expect(e.kind).toBe("packet");
      if (e.kind === "packet") expect(Buffer.from(e.payload).subarray(0, 64).equals(payload)).toBe(true);
      expect(me.requests.length).toBe(1);

      const replay = await rawConnect(port, mode, seed);
      replay.sendRaw(bytes);
      await until(() => plane.counters.replayedInits === 1, 2000, "replay counted");
      await Bun.sleep(150);
      expect(replay.received.length).toBe(0); // never a byte back, like a wrong secret
      expect(replay.isClosed).toBe(false); // held silently (no -D)
      expect(me.requests.length).toBe(1); // the replayed query never reached the middle end
      expect(plane.counters.replays).toBe(1);
      expect(plane.counters.blackholed).toBe(1);
      expect(plane.counters.badHandshakes).toBe(0);

      // a fresh client is still served, and the first one keeps working
      const other = capture(mode, seed + 1);
      const fresh = await rawConnect(port, mode, seed + 1);
      fresh.sendRaw(other.bytes);
      expect((await fresh.next(2000)).kind).toBe("packet");
      first.send([{ payload: packet(64, 9) }]);
      expect((await first.next(2000)).kind).toBe("packet");
      expect(plane.counters.replays).toBe(1);
    });
  }

  test("the replay cache can be turned off (initReplay: null): the same bytes are served twice", async () => {
    const { pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool, { initReplay: null });
    const { bytes } = capture("plain", 303);
    for (let i = 0; i < 2; i++) {
      const c = await rawConnect(port, "plain", 303);
      c.sendRaw(bytes);
      expect((await c.next(2000)).kind).toBe("packet");
    }
    expect(plane.counters.replays).toBe(0);
  });
});

describe("refused handshakes are counted with their reason", () => {
  test("no -D: random bytes match no secret → blackholed, counted as a bad handshake", async () => {
    const { pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool);
    const c = await rawConnect(port, "plain", 1);
    c.sendRaw(seededRandom(5).bytes(64));
    await until(() => plane.counters.badHandshakes === 1, 2000, "bad handshake counted");
    expect(plane.counters.blackholed).toBe(1);
    expect(plane.counters.replays).toBe(0);
  });

  test("-D: an HTTP probe and a plain init are fronted and counted as bad handshakes; unknown SNI on its own counter", async () => {
    const { pool } = await startPool(cleanup);
    const origin = startOrigin(Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"));
    cleanup.add(() => origin.stop());
    const { plane, port } = await startPlane(cleanup, pool, {
      options: { domains: [DOMAIN] },
      frontingTarget: () => ({ host: "127.0.0.1", port: origin.port }),
    });
    const probe = await rawConnect(port, "plain", 2);
    probe.sendRaw(Buffer.from("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"));
    const plain = await rawConnect(port, "plain", 3);
    plain.sendRaw(capture("plain", 3).bytes);
    await until(() => plane.counters.badHandshakes === 2, 2000, "two bad handshakes");
    const sni = createTestClientCodec({ secret: SECRETS[0]!, mode: "ee", dc: 2, domain: "unknown.example", random: seededRandom(4) });
    const c = await connectTestClient("127.0.0.1", port, sni, { sendOpening: false });
    cleanup.add(() => c.close());
    c.sendRaw(sni.opening());
    await until(() => plane.counters.unknownSni === 1, 2000, "unknown SNI counted");
    expect(plane.counters.fronted["not-tls-hello"]).toBe(2);
    expect(plane.counters.badHandshakes).toBe(2);
    expect(plane.counters.replays).toBe(0);
  });
});
