// The -p stats listener (stats.md §1, engine-net.c try_open_port / try_open_port_range): raw TCP on
// 127.0.0.1 so C's exact HTTP quirks hold, each connection driven by http.ts. Bodies come from
// callbacks so the supervisor can sum its workers in.

import type { Socket, TCPSocketListener } from "bun";
import { CliError } from "../errors.ts";
import type { PortRange } from "../cli/proxy-options.ts";
import type { ProxyStats } from "./counters.ts";
import { StatsHttpConnection } from "./http.ts";

export interface StatsServerOptions {
  /** -p: one port (start === end) or a range; the first port that binds wins. */
  port: PortRange;
  /** -p was written as `a:b`: C's range error (exit 2) even when a === b. Default: start !== end. */
  isRange?: boolean;
  /** C binds 127.0.0.1 only; tests may pass another loopback. */
  hostname?: string;
  /** Beyond C: addresses allowed besides nobody (null = C's 127.0.0.1 rule). */
  allow?: readonly string[] | null;
  /** The process's counters: http_* figures and this listener's sockets are counted here, as C does. */
  stats?: ProxyStats | null;
  renderStats: () => string;
  /** null = no /metrics (C behaviour). */
  renderMetrics?: (() => string) | null;
  nowSec?: () => number;
}

export interface StatsServer {
  readonly port: number;
  /** Closes the listener and every open stats connection. */
  stop(): void;
}

interface ConnState {
  http: StatsHttpConnection;
  pending: Uint8Array[];
  pendingBytes: number;
  closing: boolean;
  isHttp: boolean;
}

const STRERROR: Record<string, string> = {
  EADDRINUSE: "Address already in use",
  EACCES: "Permission denied",
  EADDRNOTAVAIL: "Cannot assign requested address",
  EINVAL: "Invalid argument",
};

/** Opens the listener; throws CliError with C's message and exit code when no port binds. */
export function startStatsServer(opts: StatsServerOptions): StatsServer {
  const stats = opts.stats ?? null;
  const nowSec = opts.nowSec ?? ((): number => Math.floor(Date.now() / 1000));
  const hostname = opts.hostname ?? "127.0.0.1";
  const isRange = opts.isRange ?? opts.port.isRange;
  const open = new Set<Socket<ConnState>>();

  const flush = (s: Socket<ConnState>): void => {
    const st = s.data;
    while (st.pending.length > 0) {
      const buf = st.pending[0]!;
      const n = s.write(buf);
      if (stats !== null && n > 0) {
        stats.tcpWriteCalls++;
        stats.tcpWriteBytes += n;
      }
      st.pendingBytes -= Math.max(0, n);
      if (n < buf.length) {
        st.pending[0] = buf.subarray(Math.max(0, n));
        return;
      }
      st.pending.shift();
    }
    if (st.closing) s.end();
  };

  const listen = (port: number): TCPSocketListener<ConnState> =>
    Bun.listen<ConnState>({
      hostname,
      port,
      socket: {
        open(s) {
          const st: ConnState = {
            pending: [],
            pendingBytes: 0,
            closing: false,
            isHttp: false,
            http: new StatsHttpConnection({
              peer: s.remoteAddress,
              allow: opts.allow ?? null,
              nowSec,
              renderStats: opts.renderStats,
              renderMetrics: opts.renderMetrics ?? null,
              pendingOutputBytes: () => st.pendingBytes,
              onHttpConnection: () => {
                st.isHttp = true;
                if (stats !== null) stats.httpConnections++;
              },
              onHttpQuery: () => {
                if (stats !== null) stats.httpQueries++;
              },
              onBadHeaders: () => {
                if (stats !== null) stats.httpBadHeaders++;
              },
              onFlood: () => {
                if (stats !== null) stats.connectionsFailedFlood++;
              },
            }),
          };
          s.data = st;
          open.add(s);
          if (stats !== null) {
            stats.inboundConnectionsAccepted++;
            stats.inboundConnections++;
            stats.activeInboundConnections++;
            stats.activeConnections++;
          }
        },
        data(s, chunk) {
          const st = s.data;
          if (stats !== null) {
            stats.tcpReadCalls++;
            stats.tcpReadBytes += chunk.length;
          }
          if (st.closing) return;
          const r = st.http.feed(chunk);
          if (r.output.length > 0) {
            st.pending.push(r.output);
            st.pendingBytes += r.output.length;
          }
          if (r.close) st.closing = true;
          flush(s);
        },
        drain(s) {
          flush(s);
        },
        close(s) {
          if (!open.delete(s)) return;
          if (stats !== null) {
            stats.inboundConnections--;
            stats.activeInboundConnections--;
            stats.activeConnections--;
            if (s.data.isHttp) stats.httpConnections--;
          }
        },
        error(s) {
          s.end();
        },
      },
    });

  let listener: TCPSocketListener<ConnState> | null = null;
  let lastError: unknown = null;
  for (let p = opts.port.start; p <= opts.port.end && listener === null; p++) {
    try {
      listener = listen(p);
    } catch (e) {
      lastError = e;
    }
  }
  if (listener === null) {
    if (isRange) {
      throw new CliError(`cannot open server socket at port ${opts.port.start}-${opts.port.end}`, 2, false);
    }
    const code = (lastError as { code?: string } | null)?.code ?? "";
    const text = STRERROR[code] ?? (lastError instanceof Error ? lastError.message : String(lastError));
    throw new CliError(`cannot open server socket at port ${opts.port.start}: ${text}`, 1, false);
  }
  if (stats !== null) stats.listeningConnections++;
  const l = listener;
  let stopped = false;
  return {
    port: l.port,
    stop() {
      if (stopped) return;
      stopped = true;
      l.stop(true);
      for (const s of open) s.end();
      if (stats !== null) stats.listeningConnections--;
    },
  };
}
