// One outbound TCP connection over Bun.connect, reported as four events with exactly one close
// (a refused connect, an error, a FIN or a reset). Shared by the middle-end link, the DC link and the
// fronting splice; their tests inject their own connectors with the same event shape.
import type { Socket } from "bun";

export interface OutboundEvents<S> {
  open(socket: S): void;
  data(chunk: Uint8Array): void;
  drain(): void;
  /** Called once: for a refused connect as well as for a later close or error. */
  close(reason: string): void;
}

export interface OutboundOptions {
  /** Who is at the other end, for close reasons ("middle-end", "DC", "origin"). */
  readonly peer: string;
  /** SO_KEEPALIVE with this idle time (C: 40 s on outbound RPC sockets); omitted = OS default off. */
  readonly keepAliveIdleMs?: number;
  readonly binaryType?: "uint8array" | "buffer";
}

export function connectOutbound(target: { host: string; port: number }, events: OutboundEvents<Socket<undefined>>, opts: OutboundOptions): void {
  let closed = false;
  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    events.close(reason);
  };
  const byPeer = `closed by ${opts.peer}`;
  Bun.connect({
    hostname: target.host,
    port: target.port,
    socket: {
      binaryType: opts.binaryType ?? "uint8array",
      open(s) {
        if (opts.keepAliveIdleMs !== undefined) s.setKeepAlive(true, opts.keepAliveIdleMs);
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
        close(byPeer);
      },
      close(_s, err) {
        close(err ? err.message : byPeer);
      },
      error(_s, err) {
        close(err.message);
      },
      connectError(_s, err) {
        close(`connect failed: ${err.message}`);
      },
    },
  }).catch((err: unknown) => close(`connect failed: ${err instanceof Error ? err.message : String(err)}`));
}
