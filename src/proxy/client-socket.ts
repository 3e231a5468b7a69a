// The part of an accepted Bun socket a client session uses, so sessions can be driven by fake
// sockets in unit tests. A Bun `Socket` satisfies it as is.
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

export const bunOutboundConnector: OutboundConnector = (target, events) => {
  let closed = false;
  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    events.close(reason);
  };
  Bun.connect({
    hostname: target.host,
    port: target.port,
    socket: {
      binaryType: "buffer",
      open: (s) => events.open(s),
      data: (_s, chunk) => events.data(chunk),
      drain: () => events.drain(),
      end: (s) => {
        s.end();
        close("closed by peer");
      },
      close: (_s, err) => close(err ? err.message : "closed"),
      error: (_s, err) => close(err.message),
      connectError: (_s, err) => close(`connect failed: ${err.message}`),
    },
  }).catch((err: unknown) => close(`connect failed: ${err instanceof Error ? err.message : String(err)}`));
};
