// What one middle-end connection is given by the pool: secret, identity, seams (connector, clock,
// randomness, log, counters) and the limits that go beyond C (pings, silence, flow control caps).
import type { RandomSource } from "../crypto/random.ts";
import type { Logger } from "../log.ts";
import type { NatTable } from "./address.ts";
import type { MiddleCounters } from "./counters.ts";
import type { ProcessId } from "./handshake.ts";
import type { MiddleConnector } from "./socket.ts";
import type { MiddleConnection } from "./connection.ts";
import type { FlushTurn } from "./flush-turn.ts";

export interface ProxySecret {
  bytes: Uint8Array;
  /** First 4 bytes, u32 LE (main_secret.key_signature). */
  keySelect: number;
}

export interface ConnectionSettings {
  secret: ProxySecret;
  nat: NatTable;
  proxyTag: Uint8Array | null;
  /** Our process id; ip 0 means "the local IPv4 of this connection unless loopback" (init_client_PID). */
  pid: ProcessId;
  connector: MiddleConnector;
  log: Logger;
  counters: MiddleCounters;
  random: RandomSource;
  nowMs: () => number;
  unixSec: () => number;
  /** C: 3 s from socket creation, reset when TCP connects. */
  handshakeTimeoutMs?: number;
  /** Beyond C: ping the ME this often once ready (0 = never). */
  pingIntervalMs: number;
  /** Beyond C: close when nothing arrived for this long (0 = never). */
  silenceTimeoutMs: number;
  /** send() returns false above this many queued outbound bytes. */
  highWaterBytes: number;
  lowWaterBytes: number;
  /** A client whose queue towards it exceeds this is closed rather than stall the link. */
  maxClientPendingBytes: number;
  /** Above this many queued outbound bytes new queries close their client instead. */
  maxQueuedBytes: number;
  /** Shared by the pool's links: one flush (and one multi-lane encryption) per turn for all of them.
   * Without it each link flushes on its own. */
  flushTurn?: FlushTurn;
}

export interface ConnectionEvents {
  ready(c: MiddleConnection): void;
  closed(c: MiddleConnection, reason: string): void;
}
