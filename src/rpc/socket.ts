// The socket seam of the middle-end client: what a connection needs from a TCP socket, and the
// production connector over Bun.connect (tests inject their own). Keep-alive as client_socket in
// net-events.c sets it (SO_KEEPALIVE, 40 s idle); Bun exposes no interval/count knobs.
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

export const bunConnector: MiddleConnector = (target, events) => {
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
      binaryType: "uint8array",
      open(s) {
        s.setKeepAlive(true, KEEPALIVE_IDLE_MS);
        events.open(s);
      },
      data(_s, chunk) {
        events.data(chunk);
      },
      drain() {
        events.drain();
      },
      end(s) {
        s.end();
        close("closed by middle-end");
      },
      close(_s, err) {
        close(err ? err.message : "closed by middle-end");
      },
      error(_s, err) {
        close(err.message);
      },
      connectError(_s, err) {
        close(`connect failed: ${err.message}`);
      },
    },
  }).catch((err: unknown) => close(`connect failed: ${err instanceof Error ? err.message : String(err)}`));
};
