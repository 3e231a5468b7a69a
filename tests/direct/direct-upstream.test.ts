// DirectUpstream with a fake ClientPipe: the session's plaintext reaches the (fake) DC in the
// client's framing and comes back, bytes sent before the DC is up are kept, backpressure both
// ways, either side closing closes the other, and the counters say what happened.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { bunDcConnect, type DcConnect, type DcSocket, type DcSocketEvents } from "../../src/direct/dc-connector.ts";
import type { DcAddress } from "../../src/direct/dc-table.ts";
import { createDirectUpstream, type DirectUpstreamDeps } from "../../src/direct/direct-upstream.ts";
import type { ClientPipe } from "../../src/proxy/direct-contract.ts";
import type { ClientInfo, ClientTransport } from "../../src/proxy/middle-contract.ts";
import { createServerFrameDecoder, encodeClientFrame } from "../../src/transport/client-frames.ts";
import { startFakeDc, type FakeDc } from "../support/fake-dc.ts";

class FakePipe implements ClientPipe {
  chunks: Uint8Array[] = [];
  bytes = 0;
  closed: string | null = null;
  accept = true;
  pendingBytes = 0;
  write(plain: Uint8Array): boolean {
    this.chunks.push(plain);
    this.bytes += plain.length;
    return this.accept;
  }
  close(reason: string): void {
    this.closed ??= reason;
  }
}

const client = (dc: number, transport: ClientTransport): ClientInfo => ({
  remoteAddress: "127.0.0.1",
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 443,
  dc,
  transport,
});

const overridesTo = (dc: FakeDc, ...idx: number[]) => new Map<number, DcAddress>(idx.map((i) => [i, { host: dc.host, port: dc.port }]));
const deps = (directDcs: Map<number, DcAddress>, extra: Partial<DirectUpstreamDeps> = {}): DirectUpstreamDeps => ({
  options: { directDcs, ipv6: false },
  random: seededRandom(5),
  ...extra,
});

const frames = (t: ClientTransport, payloads: Uint8Array[]): Buffer => {
  const parts: Uint8Array[] = [];
  for (const p of payloads) encodeClientFrame(t, p, false, seededRandom(p.length), parts);
  return Buffer.concat(parts);
};

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(2);
  }
};

async function refusedPort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

describe("DirectUpstream over the fake DC", () => {
  for (const t of ["abridged", "intermediate", "padded"] as const) {
    test(`${t}: frames sent before and after the DC opens come back in order; counters`, async () => {
      using dc = startFakeDc();
      const up = createDirectUpstream(deps(overridesTo(dc, 4)));
      const pipe = new FakePipe();
      const link = up.open(client(-4, t), pipe, () => {});
      const payloads = [4, 8, 1000, 65536, 200_000].map((n, i) => new Uint8Array(n).fill(i + 1));
      const wire1 = frames(t, payloads.slice(0, 2));
      const wire2 = frames(t, payloads.slice(2));
      expect(link.send(wire1)).toBe(true); // queued: the DC is not up yet
      expect(up.counters.activeLinks).toBe(1);
      await dc.waitForConnections(1);
      await until(() => dc.connections[0]!.frames >= 2);
      link.send(wire2);
      const dec = createServerFrameDecoder(t);
      const got: Uint8Array[] = [];
      await until(() => {
        for (const c of pipe.chunks.splice(0)) for (const e of dec.push(c).events) if (e.kind === "packet") got.push(e.payload);
        return got.length === payloads.length;
      });
      // Padded: the DC keeps the client's padding rounded down to words (0..12 bytes) after the payload.
      const slack = t === "padded" ? 12 : 0;
      got.forEach((g, i) => {
        expect(g.length - payloads[i]!.length).toBeWithin(0, slack + 1);
        expect(Buffer.from(g.subarray(0, payloads[i]!.length)).equals(payloads[i]!)).toBe(true);
      });
      expect([dc.connections[0]!.transport, dc.connections[0]!.dc]).toEqual([t, -4]);
      expect(up.counters.dcConnectsOk).toEqual({ [-4]: 1 });
      expect(up.counters.bytesClientToDc).toBe(wire1.length + wire2.length);
      expect(up.counters.bytesDcToClient).toBe(pipe.bytes);
      expect(up.counters.fallbacksToDefault).toEqual({});
      link.close();
      expect(up.counters.activeLinks).toBe(0);
      await until(() => dc.connections[0]!.closed);
      expect(pipe.closed).toBeNull(); // our own close does not call back into the client
    });
  }

  test("an unknown DC goes to DC 2 (here its override) and is counted as a fallback", async () => {
    using dc = startFakeDc();
    const up = createDirectUpstream(deps(overridesTo(dc, 2)));
    const link = up.open(client(10005, "intermediate"), new FakePipe(), () => {});
    await dc.waitForConnections(1);
    await until(() => dc.connections[0]!.dc !== null || dc.connections[0]!.bytesIn >= 64);
    link.send(frames("intermediate", [new Uint8Array(4)]));
    await until(() => dc.connections[0]!.frames === 1);
    expect(dc.connections[0]!.dc).toBe(10005); // the client's own index travels in the init
    expect(up.counters.fallbacksToDefault).toEqual({ 10005: 1 });
    link.close();
  });

  test("DC refused: the client is closed and the failure counted per DC", async () => {
    const port = await refusedPort();
    const up = createDirectUpstream(deps(new Map([[3, { host: "127.0.0.1", port }]])));
    const pipe = new FakePipe();
    const link = up.open(client(3, "abridged"), pipe, () => {});
    expect(link.send(new Uint8Array(10))).toBe(true);
    await until(() => pipe.closed !== null);
    expect(pipe.closed).toContain("DC 3 unreachable");
    expect(up.counters.dcConnectsFailed).toEqual({ 3: 1 });
    expect(up.counters.activeLinks).toBe(0);
    expect(link.send(new Uint8Array(10))).toBe(false);
  });

  test("client close flushes what was sent to the DC, then closes the DC side", async () => {
    using dc = startFakeDc({ silent: true });
    const up = createDirectUpstream(deps(overridesTo(dc, 1)));
    const link = up.open(client(1, "intermediate"), new FakePipe(), () => {});
    await dc.waitForConnections(1);
    await Bun.sleep(10);
    link.send(frames("intermediate", Array.from({ length: 20 }, () => new Uint8Array(40_000))));
    link.close();
    link.close(); // idempotent
    await until(() => dc.connections[0]!.closed);
    expect(dc.connections[0]!.frames).toBe(20);
  });

  test("the DC closing closes the client after delivering its last bytes", async () => {
    using dc = startFakeDc({ closeAfterFrames: 1 });
    const up = createDirectUpstream(deps(overridesTo(dc, 5)));
    const pipe = new FakePipe();
    const link = up.open(client(5, "abridged"), pipe, () => {});
    link.send(frames("abridged", [new Uint8Array(12).fill(9), new Uint8Array(8)]));
    await until(() => pipe.closed !== null);
    const ev = createServerFrameDecoder("abridged").push(Buffer.concat(pipe.chunks)).events;
    expect(ev.map((e) => (e.kind === "packet" ? e.payload.length : -1))).toEqual([12]);
    expect(up.counters.activeLinks).toBe(0);
  });

  test("DC→client backpressure: a full client queue pauses the DC socket until onClientDrain", async () => {
    using dc = startFakeDc();
    const calls: string[] = [];
    const spy: DcConnect = (target, events) =>
      bunDcConnect(target, {
        ...events,
        open(s) {
          const wrapped: DcSocket = {
            write: (d, o, l) => s.write(d, o, l),
            end: () => s.end(),
            terminate: () => s.terminate(),
            pause: () => (calls.push("pause"), s.pause()),
            resume: () => (calls.push("resume"), s.resume()),
          };
          events.open(wrapped);
        },
      });
    const up = createDirectUpstream(deps(overridesTo(dc, 2), { connect: spy }));
    const pipe = new FakePipe();
    pipe.accept = false;
    const link = up.open(client(2, "intermediate"), pipe, () => {});
    link.send(frames("intermediate", [new Uint8Array(64)]));
    await until(() => pipe.chunks.length > 0);
    expect(calls).toEqual(["pause"]);
    link.send(frames("intermediate", [new Uint8Array(64)]));
    await until(() => dc.connections[0]!.frames === 2);
    pipe.accept = true;
    link.onClientDrain();
    link.onClientDrain(); // once resumed, a second drain is a no-op
    expect(calls).toEqual(["pause", "resume"]);
    await until(() => pipe.bytes >= 2 * 68);
    link.close();
  });
});

describe("DirectUpstream with a scripted DC socket", () => {
  // A DC socket that takes `room` bytes and then nothing until the test drains it.
  function scripted() {
    const st = { room: 0, written: 0, ended: false, terminated: false, events: null as DcSocketEvents | null, socket: null as DcSocket | null };
    const connect: DcConnect = (_t, events) => {
      st.events = events;
      st.socket = {
        write(d, o = 0, l = d.length - o) {
          const n = Math.min(l, st.room);
          st.room -= n;
          st.written += n;
          return n;
        },
        end: () => void (st.ended = true),
        terminate: () => void (st.terminated = true),
        pause() {},
        resume() {},
      };
    };
    return { st, connect };
  }

  test("client→DC backpressure: send() turns false above the high-water mark, onDcDrain after the DC drains", async () => {
    const { st, connect } = scripted();
    const up = createDirectUpstream({
      ...deps(new Map()),
      connect,
      writeQueue: { highWaterMark: 4096, lowWaterMark: 1024, maxPendingBytes: 1 << 20, flushMode: "immediate" },
    });
    let drains = 0;
    const link = up.open(client(2, "abridged"), new FakePipe(), () => drains++);
    await until(() => st.events !== null);
    st.room = 64;
    st.events!.open(st.socket!);
    expect(st.written).toBe(64); // the init went out first
    expect(link.send(new Uint8Array(3000))).toBe(true);
    expect(link.send(new Uint8Array(3000))).toBe(false);
    expect(drains).toBe(0);
    st.room = 1 << 20;
    st.events!.drain();
    expect(drains).toBe(1);
    expect(st.written).toBe(64 + 6000);
    expect(link.send(new Uint8Array(10))).toBe(true);
    link.close();
    expect(st.ended).toBe(true);
  });

  test("bytes before the DC is up: paused above the connecting high mark, resumed once written; over the cap the client is closed", async () => {
    const { st, connect } = scripted();
    const up = createDirectUpstream({
      ...deps(new Map()),
      connect,
      connectingHighWaterBytes: 1000,
      connectingMaxBytes: 5000,
      writeQueue: { flushMode: "immediate" },
    });
    let drains = 0;
    const pipe = new FakePipe();
    const link = up.open(client(2, "padded"), pipe, () => drains++);
    expect(link.send(new Uint8Array(800))).toBe(true);
    expect(link.send(new Uint8Array(800))).toBe(false);
    await until(() => st.events !== null);
    st.room = 1 << 20;
    st.events!.open(st.socket!);
    expect(st.written).toBe(64 + 1600);
    expect(drains).toBe(1);
    link.close();

    const b = scripted();
    const up2 = createDirectUpstream({ ...deps(new Map()), connect: b.connect, connectingHighWaterBytes: 1000, connectingMaxBytes: 5000 });
    const pipe2 = new FakePipe();
    const link2 = up2.open(client(2, "padded"), pipe2, () => {});
    await until(() => b.st.events !== null); // dialling
    link2.send(new Uint8Array(4000));
    expect(link2.send(new Uint8Array(2000))).toBe(false);
    expect(pipe2.closed).toContain("before the DC connection opened");
    expect([up2.counters.overflowCloses, up2.counters.activeLinks]).toEqual([1, 0]);
    b.st.events!.open(b.st.socket!); // opens after the client is gone: terminated at once
    expect(b.st.terminated).toBe(true);
  });
});
