// Builds one process's StatsSnapshot (src/stats) from the parts that count: data-plane counters, the
// middle-end pool or the direct relay, the config reloader and the proxy secret. What a worker sends
// to the supervisor and what the /stats page of a single process shows (stats.md §4, §6).
import type { DirectCounters } from "../direct/direct-upstream.ts";
import type { SessionCounters } from "../proxy/counters.ts";
import type { MiddleStats } from "../rpc/pool.ts";
import { ProxyStats, type StatsSnapshot } from "../stats/counters.ts";
import type { ReloadStats } from "./config-reload.ts";

export interface HttpFigures {
  connections: number;
  queries: number;
  badHeaders: number;
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
    s.specialLimitRejected = c.rejectedCap;
    s.bytesFromClients = c.bytesFromClients;
    s.bytesToClients = c.bytesToClients;
    s.packetsFromClients = c.forwardedPackets;
    s.rejectedReplay = c.replays;
    s.rejectedBadTimestamp = c.badTimestamps;
    s.rejectedUnknownSni = c.unknownSni;
    s.rejectedBadHmac = c.fronted["bad-hmac"];
    s.frontedConnections = sum(c.fronted);
    s.blackholedConnections = c.blackholed;
    s.connectionsFailedFlood = c.closes["write-overflow"];
    c.handshakesBySecret.forEach((n, i) => {
      const sec = s.secrets[i];
      if (sec) sec.connectionsCreated = n;
    });
  }
  s.maxSpecialConnections = p.maxSpecialConnections;
  const m = p.middle;
  if (m) {
    s.totForwardedQueries = m.forwardedQueries;
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
  }
  if (p.http) {
    s.httpConnections = p.http.connections;
    s.httpQueries = p.http.queries;
    s.httpBadHeaders = p.http.badHeaders;
  }
  s.listeningConnections = p.listeningPorts + (p.http ? 1 : 0);
  s.activeConnections = (c?.active ?? 0) + s.outboundConnections + (p.http?.connections ?? 0);
  s.aesPwdHash = p.aesPwdHash;
  const snap = s.snapshot();
  const r = p.reload;
  if (r) {
    snap.config = {
      fileName: r.fileName,
      bytes: r.bytes,
      md5: r.md5,
      loadedAt: r.loadedAt,
      authClusters: r.authClusters,
      reloadSuccesses: r.reloadSuccesses,
      reloadFailures: r.reloadFailures,
      lastReloadError: r.lastReloadError,
      lastReloadErrorAt: r.lastReloadErrorAt,
    };
  }
  return snap;
}
