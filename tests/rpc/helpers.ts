// Shared fixtures for the rpc integration tests: a one-cluster config, a recording ClientSink, and
// one middle-end link to the fake ME with an intercepted socket.
import type { ConfigCluster, ConfigTarget, ProxyConfig } from "../../src/config/types.ts";
import { systemRandom } from "../../src/crypto/random.ts";
import { createMemoryLogger } from "../../src/log.ts";
import type { ClientInfo, ClientSink } from "../../src/proxy/middle-contract.ts";
import { createNatTable } from "../../src/rpc/address.ts";
import { MiddleConnection, type ConnectionSettings } from "../../src/rpc/connection.ts";
import { createMiddleCounters, type MiddleCounters } from "../../src/rpc/counters.ts";
import type { MiddleConnector, MiddleSocket } from "../../src/rpc/socket.ts";
import type { FakeMiddleEnd } from "../support/fake-middle-end.ts";

export const SECRET = Buffer.from(Array.from({ length: 128 }, (_, i) => (i * 37 + 11) & 0xff));
export const KEY_SELECT = SECRET.readUInt32LE(0);

export function target(port: number, min = 2, max = 8, host = "127.0.0.1"): ConfigTarget {
  return { address: { host, port, family: 4 }, key: `${host}:${port}`, minConnections: min, maxConnections: max };
}

/** clusters: [id, targets][] in file order. */
export function makeConfig(clusters: [number, ConfigTarget[]][], defaultClusterId = 0): ProxyConfig {
  const map = new Map<number, ConfigCluster>();
  const all = new Map<string, ConfigTarget>();
  for (const [id, ts] of clusters) {
    map.set(id, { id, targets: ts });
    for (const t of ts) if (!all.has(t.key)) all.set(t.key, t);
  }
  return {
    clusters: map,
    defaultClusterId,
    targets: [...all.values()],
    timeoutMs: 0,
    meta: { fileName: "test.conf", bytes: 0, md5: "", loadedAt: 0 },
  };
}

export class RecordingSink implements ClientSink {
  packets: Uint8Array[] = [];
  acks: number[] = [];
  closed: string | null = null;
  drained = 0;
  pendingBytes = 0;
  /** Set to make every answer look queued (a slow client). */
  growPerPacket = 0;
  sendPacket(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.packets.push(Buffer.from(bytes.subarray(start, end)));
    this.pendingBytes += this.growPerPacket;
  }
  sendQuickAck(confirm: number): void {
    this.acks.push(confirm);
  }
  closeFromMiddle(reason: string): void {
    this.closed ??= reason;
  }
  middleDrained(): void {
    this.drained++;
  }
}

export function clientInfo(over: Partial<ClientInfo> = {}): ClientInfo {
  return {
    remoteAddress: "203.0.113.77",
    remotePort: 51234,
    localAddress: "192.0.2.10",
    localPort: 443,
    dc: 2,
    transport: "abridged",
    ...over,
  };
}

/** A 64-byte encrypted MTProto packet (auth_key_id ≠ 0). */
export function mtprotoPacket(seed = 1, len = 64): Uint8Array {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + seed) & 0xff;
  b.writeUInt32LE(0x11223344 + seed, 0);
  return b;
}

export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** The real socket with its write() replaced (to count calls, or to take only part of the data). */
export function withWrite(s: MiddleSocket, write: MiddleSocket["write"]): MiddleSocket {
  return {
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
    write,
    end: () => s.end(),
    terminate: () => s.terminate(),
  };
}

/** Settings for one MiddleConnection in tests: no pings or silence timer, the default caps. */
export function linkSettings(connector: MiddleConnector, pid: number, counters: MiddleCounters = createMiddleCounters()): ConnectionSettings {
  return {
    secret: { bytes: SECRET, keySelect: KEY_SELECT },
    nat: createNatTable([]),
    proxyTag: null,
    pid: { ip: 0, port: 0xffff, pid, utime: 1 },
    connector,
    log: createMemoryLogger().log,
    counters,
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
}

/** Starts one link to the fake ME; `cleanup` receives its close. */
export function startLink(me: FakeMiddleEnd, settings: ConnectionSettings, cleanup: (fn: () => void) => void) {
  let ready = false;
  let closedWith: string | null = null;
  const conn = new MiddleConnection({ host: me.host, port: me.port }, settings, {
    ready: () => (ready = true),
    closed: (_c, r) => (closedWith = r),
  });
  cleanup(() => conn.close("test over"));
  conn.start();
  return { conn, isReady: () => ready, closedWith: () => closedWith };
}
