// The part of an accepted Bun socket a client session uses, so sessions can be driven by fake
// sockets in unit tests. A Bun `Socket` satisfies it as is.
import { connectOutbound } from "../io/outbound.ts";
import type { WritableSocket } from "../io/write-queue.ts";

export interface ClientSocket extends WritableSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Stop / restart reading (Bun 1.4.5: Socket.pause()/resume() stop the data events). */
  pause(): void;
  resume(): void;
  /** Close now, dropping anything unsent. */
  terminate(): void;
}

/** An outbound connection (fronting origin): events of one socket, reported once each. */
export interface OutboundEvents {
  open(socket: ClientSocket): void;
  data(chunk: Uint8Array): void;
  drain(): void;
  /** Called once: refused connect, error, or close. */
  close(reason: string): void;
}

export type OutboundConnector = (target: { host: string; port: number }, events: OutboundEvents) => void;

export const bunOutboundConnector: OutboundConnector = (target, events) =>
  connectOutbound(target, events, { peer: "origin", binaryType: "buffer" });
