// The per-DC / per-secret taps between sessions and their upstream: a client counted once however often
// it rebinds, connections released exactly once from either side, unknown DCs counted as fallbacks.
import { expect, test } from "bun:test";
import { createStatsTaps } from "../../src/process/stats-taps.ts";
import type { ClientPipe, DirectUpstream } from "../../src/proxy/direct-contract.ts";
import type { ClientInfo, ClientSink, MiddleEnd, MiddleRoute } from "../../src/proxy/middle-contract.ts";

const client = (dc: number, over: Partial<ClientInfo> & { secretIndex?: number } = {}): ClientInfo =>
  ({ remoteAddress: "198.51.100.7", remotePort: 4000, localAddress: "127.0.0.1", localPort: 443, dc, transport: "intermediate", ...over }) as ClientInfo;

class Sink implements ClientSink {
  packets = 0;
  closed: string | null = null;
  drained = 0;
  pendingBytes = 5;
  sendPacket(): void {
    this.packets++;
  }
  sendQuickAck(): void {}
  closeFromMiddle(reason: string): void {
    this.closed = reason;
  }
  middleDrained(): void {
    this.drained++;
  }
}

/** A middle end that hands out routes and lets the test play the pool's side through `sinks`. */
function fakeMiddle(ready: () => boolean) {
  const sinks: ClientSink[] = [];
  const sent: number[] = [];
  let closes = 0;
  const me: MiddleEnd = {
    bind(_c, sink) {
      if (!ready()) return null;
      sinks.push(sink);
      let alive = true;
      const route: MiddleRoute = {
        send: (p, _q, start = 0, end = p.length) => (sent.push(end - start), true),
        close: () => {
          alive = false;
          closes++;
        },
        get alive() {
          return alive;
        },
      };
      return route;
    },
  };
  return { me, sinks, sent, closes: () => closes };
}

test("ME mode: per-DC figures, a fallback for an unknown DC, each client counted once across rebinds", () => {
  const taps = createStatsTaps(2);
  let up = false;
  const f = fakeMiddle(() => up);
  const me = taps.middle(f.me, (dc) => dc === 2);
  const sink = new Sink();

  // no ready link: the packet is dropped, counted against the DC the client asked for
  expect(me.bind(client(99, { secretIndex: 1 }), sink)).toBeNull();
  up = true;
  const r = me.bind(client(99, { secretIndex: 1 }), sink)!;
  const packet = new Uint8Array(64).fill(0x11);
  expect(r.send(packet, false)).toBe(true);
  expect(r.send(packet, false)).toBe(true);
  expect(f.sent).toEqual([64, 64]);
  f.sinks[0]!.sendPacket(new Uint8Array(40));
  expect(sink.packets).toBe(1);
  expect(f.sinks[0]!.pendingBytes).toBe(5);
  f.sinks[0]!.middleDrained(); // the link's backlog cleared: the session hears it through the tap
  expect(sink.drained).toBe(1);

  let snap = taps.stats.snapshot();
  const dc = snap.dcs.find((d) => d.dc === 99)!;
  expect(dc).toMatchObject({ connections: 1, connectionsCreated: 1, droppedQueries: 1, fallbacks: 1, packetsFromClients: 2, bytesFromClients: 128, packetsToClients: 1, bytesToClients: 40 });
  expect(snap.dcFallbacks).toBe(1);
  expect(snap.extConnectionsCreated).toBe(1);
  expect(snap.packetsToClients).toBe(1);
  expect(snap.secrets[1]).toMatchObject({ activeIps: 1, activeAuthKeys: 1, connections: 1, bytesFromClients: 128, bytesToClients: 40 });
  expect(snap.secrets[0]!.connections).toBe(0);

  // the link dies: the pool closes the client, then the session drops its route: released once
  f.sinks[0]!.closeFromMiddle("link gone");
  expect(sink.closed).toBe("link gone");
  r.close();
  expect(f.closes()).toBe(1);
  snap = taps.stats.snapshot();
  expect(snap.dcs.find((d) => d.dc === 99)!.connections).toBe(0);
  expect(snap.secrets[1]).toMatchObject({ activeIps: 0, activeAuthKeys: 0, connections: 0 });

  // the same client rebinding is not a new client; a known DC is no fallback
  const r2 = me.bind(client(99, { secretIndex: 1 }), sink)!;
  r2.close();
  r2.close();
  const other = me.bind(client(2), new Sink())!;
  snap = taps.stats.snapshot();
  expect(snap.dcs.find((d) => d.dc === 99)).toMatchObject({ connections: 0, connectionsCreated: 1, fallbacks: 1 });
  expect(snap.dcs.find((d) => d.dc === 2)).toMatchObject({ connections: 1, connectionsCreated: 1, fallbacks: 0 });
  expect(snap.extConnectionsCreated).toBe(3);
  other.close();
});

test("direct mode: bytes both ways per DC and per secret; a close from either side releases once", () => {
  const taps = createStatsTaps(1);
  const pipes: ClientPipe[] = [];
  const sentToDc: number[] = [];
  let linkCloses = 0;
  const inner: DirectUpstream = {
    open(_c, pipe) {
      pipes.push(pipe);
      return { send: (b) => (sentToDc.push(b.length), true), close: () => linkCloses++, onClientDrain() {} };
    },
  };
  const up = taps.direct(inner);
  const written: number[] = [];
  const closedWith: string[] = [];
  const pipe: ClientPipe = {
    write: (b) => (written.push(b.length), true),
    close: (r) => {
      closedWith.push(r);
    },
    pendingBytes: 0,
  };
  const link = up.open(client(-2, { secretIndex: 0 }), pipe, () => {});
  link.send(new Uint8Array(100));
  pipes[0]!.write(new Uint8Array(30));
  expect(sentToDc).toEqual([100]);
  expect(written).toEqual([30]);
  let snap = taps.stats.snapshot();
  expect(snap.dcs[0]).toMatchObject({ dc: -2, connections: 1, connectionsCreated: 1, bytesFromClients: 100, bytesToClients: 30, packetsFromClients: 0 });
  expect(snap.secrets[0]).toMatchObject({ connections: 1, activeIps: 1, bytesFromClients: 100, bytesToClients: 30 });
  pipes[0]!.close("DC closed");
  expect(closedWith).toEqual(["DC closed"]);
  link.close();
  expect(linkCloses).toBe(1);
  snap = taps.stats.snapshot();
  expect(snap.dcs[0]!.connections).toBe(0);
  expect(snap.secrets[0]).toMatchObject({ connections: 0, activeIps: 0 });
});
