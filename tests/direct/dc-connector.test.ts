// The proxy's own obfuscated2 connection to a DC: the init a real DC (here the fake one) decodes
// with the client's tag and DC, candidates tried in order, per-attempt and overall time bounds.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { dialDc, type DcConnect, type DcConnected, type DcSocket } from "../../src/direct/dc-connector.ts";
import type { DcAddress } from "../../src/direct/dc-table.ts";
import type { ClientTransport } from "../../src/proxy/middle-contract.ts";
import { isAllowedClientHeaderStart, TAG_ABRIDGED, TAG_INTERMEDIATE, TAG_PADDED } from "../../src/transport/obfuscated2.ts";
import { startFakeDc } from "../support/fake-dc.ts";

interface Outcome {
  conn: DcConnected | null;
  failed: string | null;
  closed: string | null;
  data: Uint8Array[];
}

function dial(candidates: DcAddress[], transport: ClientTransport, dc: number, extra: { connect?: DcConnect; attemptTimeoutMs?: number; totalTimeoutMs?: number } = {}) {
  const out: Outcome = { conn: null, failed: null, closed: null, data: [] };
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  const handle = dialDc(
    { candidates, transport, dc, random: seededRandom(dc + 100), ...extra },
    {
      ready(c) {
        out.conn = c;
        settle();
      },
      data: (chunk) => out.data.push(chunk),
      drain() {},
      close: (reason) => (out.closed = reason),
      failed(reason) {
        out.failed = reason;
        settle();
      },
    },
  );
  return { out, settled, handle };
}

async function refusedPort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

const until = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
};

describe("dialDc", () => {
  const cases: [ClientTransport, number, number][] = [
    ["abridged", 2, TAG_ABRIDGED],
    ["intermediate", -4, TAG_INTERMEDIATE],
    ["padded", 203, TAG_PADDED],
    ["intermediate", 0, TAG_INTERMEDIATE],
  ];
  for (const [transport, dcIndex, tag] of cases) {
    test(`${transport} dc ${dcIndex}: the fake DC decodes the init without a secret, then our stream`, async () => {
      using dc = startFakeDc();
      const { out, settled } = dial([{ host: dc.host, port: dc.port }], transport, dcIndex);
      await settled;
      const c = out.conn!;
      try {
        expect(c.init.length).toBe(64);
        expect(isAllowedClientHeaderStart(c.init)).toBe(true);
        expect(c.failedAttempts).toBe(0);
        // One 8-byte frame in the client's framing, encrypted with our output stream.
        const frame =
          transport === "abridged" ? Uint8Array.of(2, 1, 2, 3, 4, 5, 6, 7, 8) : Uint8Array.of(8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8);
        c.socket.write(Buffer.concat([c.init, c.encrypt.update(frame)]));
        await until(() => dc.connections[0]?.frames === 1);
        const rec = dc.connections[0]!;
        expect([rec.tag, rec.transport]).toEqual([tag, transport]);
        // tdlib leaves bytes 60..61 random for DC 0.
        if (dcIndex !== 0) expect(rec.dc).toBe(dcIndex);
        await until(() => out.data.length > 0);
        const back = Buffer.from(c.decrypt.update(Buffer.concat(out.data)));
        // The echoed frame (padded adds 0..3 pad bytes after the payload).
        expect(back.indexOf(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]))).toBe(transport === "abridged" ? 1 : 4);
      } finally {
        c.socket.terminate();
      }
    });
  }

  test("a refused candidate is skipped: the next one is used and the attempt count says so", async () => {
    using dc = startFakeDc();
    const { out, settled } = dial([{ host: "127.0.0.1", port: await refusedPort() }, { host: dc.host, port: dc.port }], "padded", 2);
    await settled;
    try {
      expect(out.failed).toBeNull();
      expect(out.conn!.failedAttempts).toBe(1);
      expect(out.conn!.address.port).toBe(dc.port);
    } finally {
      out.conn?.socket.terminate();
    }
  });

  test("all candidates refused → failed once, naming the last error", async () => {
    const { out, settled } = dial([{ host: "127.0.0.1", port: await refusedPort() }, { host: "127.0.0.1", port: await refusedPort() }], "abridged", 1);
    await settled;
    expect(out.conn).toBeNull();
    expect(out.failed).toContain("127.0.0.1:");
  });

  test("a silent candidate times out per attempt and the next one is tried; a late open is terminated", async () => {
    using dc = startFakeDc();
    let lateOpen: (() => void) | null = null;
    let terminated = 0;
    const hanging: DcConnect = (target, events) => {
      if (target.host !== "hang") return realConnect(target, events);
      const s = { write: () => 0, end() {}, pause() {}, resume() {}, terminate: () => void terminated++ } satisfies DcSocket;
      lateOpen = () => events.open(s);
    };
    const { bunDcConnect: realConnect } = await import("../../src/direct/dc-connector.ts");
    const t0 = performance.now();
    const { out, settled } = dial([{ host: "hang", port: 1 }, { host: dc.host, port: dc.port }], "intermediate", 3, {
      connect: hanging,
      attemptTimeoutMs: 100,
    });
    await settled;
    try {
      expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
      expect(out.conn!.failedAttempts).toBe(1);
      (lateOpen as (() => void) | null)?.();
      expect(terminated).toBe(1);
    } finally {
      out.conn?.socket.terminate();
    }
  });

  test("the whole dial is bounded even when each attempt is within its own timeout", async () => {
    const never: DcConnect = () => {};
    const t0 = performance.now();
    const { out, settled } = dial([1, 2, 3, 4].map((i) => ({ host: `h${i}`, port: 1 })), "abridged", 2, {
      connect: never,
      attemptTimeoutMs: 100,
      totalTimeoutMs: 250,
    });
    await settled;
    const ms = performance.now() - t0;
    expect(out.failed).toContain("within 250 ms");
    expect(ms).toBeGreaterThanOrEqual(245);
    expect(ms).toBeLessThan(350);
  });

  test("cancel before the socket opens: nothing is reported and the socket is terminated", async () => {
    let open: (() => void) | null = null;
    let terminated = false;
    const slow: DcConnect = (_t, events) => {
      open = () => events.open({ write: () => 0, end() {}, pause() {}, resume() {}, terminate: () => void (terminated = true) });
    };
    const { out, handle } = dial([{ host: "x", port: 1 }], "abridged", 2, { connect: slow });
    await Bun.sleep(5);
    handle.cancel();
    (open as (() => void) | null)?.();
    await Bun.sleep(5);
    expect([out.conn, out.failed, terminated]).toEqual([null, null, true]);
  });
});
