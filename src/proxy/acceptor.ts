// Bun.listen wiring for one -H port: admission (-C, --max-accept-rate), one ClientSession per socket,
// and the socket events forwarded to it. Mirrors net-events.c: server_socket and net-connections.c:
// net_accept_new_connections (client-side.md §6.3, §6.4).
// -6 binds [::], which Bun opens dual-stack (IPV6_V6ONLY = 0) as C does. Not settable from Bun: TCP_WINDOW_CLAMP (-W), SO_SNDBUF/SO_RCVBUF, TCP_QUICKACK, the backlog (fixed
// at 512 by Bun); SO_KEEPALIVE is set per accepted socket with the OS timers, TCP_NODELAY is Bun's default.
import type { Socket, TCPSocketListener, TCPSocketListenOptions } from "bun";
import { strerror } from "../config/strerror.ts";
import { ConfigError } from "../errors.ts";
import type { AcceptLimiter } from "./accept-limits.ts";
import type { SessionCounters } from "./counters.ts";
import type { ClientSession } from "./session.ts";
import type { ClientSocket } from "./client-socket.ts";

/** A socket's `data`: its session itself (no holder object per client), null when refused. */
type Slot = ClientSession | null;

export interface AcceptorDeps {
  readonly hostname: string;
  readonly port: number;
  readonly reusePort: boolean;
  readonly limiter: AcceptLimiter;
  readonly counters: SessionCounters;
  readonly createSession: (socket: ClientSocket) => ClientSession;
  readonly nowMs?: () => number;
}

export type ClientListener = TCPSocketListener<Slot>;

/** Binds one client port; throws C's exit-1 error when it cannot. */
export function listenClientPort(deps: AcceptorDeps): ClientListener {
  const now = deps.nowMs ?? (() => performance.now());
  const c = deps.counters;
  try {
    // bun-types lacks `reusePort` on listen options although Bun honours it (BUN-NOTES.md)
    const options: TCPSocketListenOptions<Slot> & { reusePort: boolean } = {
      hostname: deps.hostname,
      port: deps.port,
      reusePort: deps.reusePort,
      data: null,
      socket: {
        binaryType: "buffer",
        open(s: Socket<Slot>) {
          c.accepted++;
          const verdict = deps.limiter.admit(c.active, now());
          c.acceptRateRemaining = deps.limiter.remaining;
          if (verdict !== "ok") {
            if (verdict === "cap") c.rejectedCap++;
            else c.rejectedRate++;
            s.data = null;
            s.terminate();
            return;
          }
          s.setKeepAlive(true);
          s.data = deps.createSession(s);
        },
        data(s, chunk) {
          s.data?.onData(chunk);
        },
        drain(s) {
          s.data?.onDrain();
        },
        close(s) {
          s.data?.onSocketClosed();
        },
        error(s) {
          s.data?.onSocketClosed();
        },
      },
    };
    return Bun.listen<Slot>(options);
  } catch (err) {
    throw new ConfigError(`cannot open http/tcp server socket at port ${deps.port}: ${strerror(err)}`, 1);
  }
}
