// Builds one process's StatsSnapshot (src/stats) from the parts that count: data-plane counters, the
// middle-end pool or the direct relay, the per-DC/per-secret taps, the config reloader and refresher,
// the -p listener and the proxy secret. What a worker sends to the supervisor and what the /stats page
// of a single process shows (stats.md §4, §6). Every field is set here or documented as always 0.
import type { RefreshStats } from "../config/refresh.ts";
import type { DirectCounters } from "../direct/direct-upstream.ts";
import type { SessionCounters } from "../proxy/counters.ts";
import type { MiddleStats } from "../rpc/pool.ts";
import { ProxyStats, type StatsSnapshot } from "../stats/counters.ts";
import type { ReloadStats } from "./config-reload.ts";

/** The -p listener's own figures (src/stats/server.ts counts them). */
export interface HttpFigures {
  connections: number;
  accepted: number;
  queries: number;
  badHeaders: number;
  /** Connections closed for overflowing their write queue (C's 32 MiB check). */
  floodCloses: number;
  readCalls: number;
  readBytes: number;
  writeCalls: number;
  writeBytes: number;
}

export interface StatsParts {
  secretCount: number;
  client: SessionCounters | null;
  listeningPorts: number;
  middle: MiddleStats | null;
  direct: DirectCounters | null;
  reload: ReloadStats | null;
  aesPwdHash: string;
  /** Effective -C of this process (0 = none). */
  maxSpecialConnections: number;
  /** The -p listener, when this process serves it. */
  http: HttpFigures | null;
  /** createStatsTaps().stats: per-DC and per-secret figures, answers delivered, bindings made. */
  taps?: ProxyStats | null;
  /** The --config-refresh downloader, in the process that runs it. */
  refresh?: Readonly<RefreshStats> | null;
  /** The highest file descriptor seen open so far (C: max_connection). */
  highestFd?: number;
}

const sum = (r: Record<string | number, number>): number => Object.values(r).reduce((a, b) => a + b, 0);

export function composeSnapshot(p: StatsParts): StatsSnapshot {
  const s = new ProxyStats({ secretCount: p.secretCount });
  const c = p.client;
  if (c) {
    s.inboundConnectionsAccepted = c.accepted;
    s.inboundConnections = c.active;
    s.activeInboundConnections = c.active;
    s.activeSpecialConnections = c.active;
    s.acceptRateLimitFailed = c.rejectedRate;
    // C pauses its listener at -C; we accept and close, which is C's "init_accepted failed" outcome
    s.acceptInitAcceptedFailed = c.rejectedCap;
    s.curAcceptRateRemaining = c.acceptRateRemaining;
    s.specialLimitRejected = c.rejectedCap;
    s.bytesFromClients = c.bytesFromClients;
    s.bytesToClients = c.bytesToClients;
    s.tcpReadBytes = c.bytesFromClients + c.bytesFromOrigins;
    s.tcpWriteBytes = c.bytesToClients + c.bytesToOrigins;
    s.packetsFromClients = c.forwardedPackets;
    s.rejectedReplay = c.replays;
    s.rejectedBadTimestamp = c.badTimestamps;
    s.rejectedUnknownSni = c.unknownSni;
    s.rejectedBadHmac = c.fronted["bad-hmac"];
    // every front cause outside the named ones, plus no-match inits; not `blackholed`, which also
    // holds replayed inits (already under rejectedReplay)
    s.rejectedBadHandshake = c.badHandshakes + c.fronted["port-80"];
    s.frontedConnections = sum(c.fronted);
    s.blackholedConnections = c.blackholed;
    s.connectionsFailedFlood = c.closes["write-overflow"];
    // "memory": the process-wide output budget shed the client holding the most (C: connections_failed_lru)
    const closes: Readonly<Record<string, number>> = c.closes;
    s.connectionsFailedLru = closes["memory"] ?? 0;
    c.handshakesBySecret.forEach((n, i) => {
      const sec = s.secrets[i];
      if (sec) sec.connectionsCreated = n;
    });
  }
  s.maxConnection = p.highestFd ?? 0;
  s.maxSpecialConnections = p.maxSpecialConnections;
  const m = p.middle;
  if (m) {
    s.totForwardedQueries = m.forwardedQueries;
    s.rpcCloseConnSent = m.closeConnSent;
    s.droppedQueries = m.droppedQueries;
    s.totForwardedResponses = m.forwardedResponses;
    s.droppedResponses = m.droppedResponses;
    s.totForwardedSimpleAcks = m.forwardedSimpleAcks;
    s.droppedSimpleAcks = m.droppedSimpleAcks;
    s.unusedConnectionsClosed = m.unusedConnectionsClosed;
    s.middleSilentCloses = m.silentClosed;
    s.outboundConnections = m.connectionsTotal;
    s.activeOutboundConnections = m.connectionsTotal;
    s.readyOutboundConnections = m.connectionsReady;
    s.outboundConnectionsCreated = m.connectionsOpened;
    s.totalConnectFailures = m.handshakeFailures;
    s.allocatedAesCrypto = m.connectionsReady;
    s.readyTargets = m.readyTargets;
    s.allocatedTargets = m.targets;
    s.activeTargets = m.targets;
    s.extConnections = m.boundClients;
    s.extConnectionsCreated = p.taps?.extConnectionsCreated ?? 0;
    s.packetsToClients = p.taps?.packetsToClients ?? 0;
  }
  const d = p.direct;
  if (d) {
    const ok = sum(d.dcConnectsOk);
    const failed = sum(d.dcConnectsFailed);
    s.outboundConnections = d.activeLinks;
    s.activeOutboundConnections = d.activeLinks;
    s.readyOutboundConnections = d.activeLinks;
    s.outboundConnectionsCreated = ok + failed;
    s.totalConnectFailures = failed;
    s.extConnections = d.activeLinks;
    s.extConnectionsCreated = ok;
    s.tcpReadBytes += d.bytesDcToClient;
    s.tcpWriteBytes += d.bytesClientToDc;
    s.dcFallbacks = sum(d.fallbacksToDefault);
  }
  const h = p.http;
  if (h) {
    s.httpConnections = h.connections;
    s.httpQueries = h.queries;
    s.httpBadHeaders = h.badHeaders;
    s.inboundConnections += h.connections;
    s.activeInboundConnections += h.connections;
    s.inboundConnectionsAccepted += h.accepted;
    s.connectionsFailedFlood += h.floodCloses;
    s.tcpReadCalls = h.readCalls;
    s.tcpReadBytes += h.readBytes;
    s.tcpWriteCalls = h.writeCalls;
    s.tcpWriteBytes += h.writeBytes;
  }
  s.listeningConnections = p.listeningPorts + (h ? 1 : 0);
  s.activeConnections = s.inboundConnections + s.outboundConnections;
  s.aesPwdHash = p.aesPwdHash;
  const t = p.taps;
  if (t) {
    if (!d) s.dcFallbacks = t.dcFallbacks;
    t.secrets.forEach((src, i) => {
      const dst = s.secrets[i];
      if (!dst) return;
      dst.connections = src.connections;
      dst.bytesFromClients = src.bytesFromClients;
      dst.bytesToClients = src.bytesToClients;
    });
  }
  const snap = s.snapshot();
  if (t) {
    const tapped = t.snapshot();
    snap.dcs = tapped.dcs;
    tapped.secrets.forEach((src, i) => {
      const dst = snap.secrets[i];
      if (!dst) return;
      dst.activeIps = src.activeIps;
      dst.activeAuthKeys = src.activeAuthKeys;
    });
  }
  if (d) {
    // the direct relay decides the DC 2 fallback itself (direct/dc-table.ts resolveDc)
    for (const [key, n] of Object.entries(d.fallbacksToDefault)) {
      const dc = Number(key);
      const entry = snap.dcs.find((x) => x.dc === dc);
      if (entry) entry.fallbacks = n;
      else
        snap.dcs.push({
          dc,
          connections: 0,
          connectionsCreated: 0,
          bytesFromClients: 0,
          bytesToClients: 0,
          packetsFromClients: 0,
          packetsToClients: 0,
          droppedQueries: 0,
          fallbacks: n,
        });
    }
    snap.dcs.sort((a, b) => a.dc - b.dc);
  }
  const rf = p.refresh;
  if (rf) {
    snap.refresh = {
      attempts: rf.attempts,
      ok: rf.ok,
      failed: rf.failed,
      lastError: rf.lastError,
      lastOkAt: rf.lastOkAt ?? 0,
      lastChangedAt: rf.lastChangedAt ?? 0,
    };
  }
  if (p.reload) snap.config = { ...p.reload };
  return snap;
}
