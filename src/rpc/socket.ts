// The socket seam of the middle-end client: what a connection needs from a TCP socket, and the
// production connector over Bun.connect (tests inject their own). Keep-alive as client_socket in
// net-events.c sets it (SO_KEEPALIVE, 40 s idle); Bun exposes no interval/count knobs.
import { connectOutbound } from "../io/outbound.ts";
import type { WritableSocket } from "../io/write-queue.ts";

export interface MiddleSocket extends WritableSocket {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Close now, dropping anything unsent. */
  terminate(): void;
}

export interface MiddleSocketEvents {
  open(socket: MiddleSocket): void;
  data(chunk: Uint8Array): void;
  drain(): void;
  /** Called once, for a refused connect as well as for a later close or error. */
  close(reason: string): void;
}

export type MiddleConnector = (target: { host: string; port: number }, events: MiddleSocketEvents) => void;

const KEEPALIVE_IDLE_MS = 40_000;

export const bunConnector: MiddleConnector = (target, events) =>
  connectOutbound(target, events, { peer: "middle-end", keepAliveIdleMs: KEEPALIVE_IDLE_MS });
