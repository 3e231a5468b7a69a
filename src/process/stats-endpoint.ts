// The -p /stats listener of the serving process (the supervisor under -M; stats.md §1): C's checks
// (`fatal: port isn't defined`), the process facts the page needs, and the wiring to src/stats.
import type { ProxyOptions } from "../cli/proxy-options.ts";
import type { Logger } from "../log.ts";
import { ProxyStats, type StatsSnapshot } from "../stats/counters.ts";
import { buildMetricFamilies } from "../stats/metrics.ts";
import { readSelfMemory } from "../stats/proc.ts";
import { writeExposition } from "../stats/prometheus.ts";
import { startStatsServer } from "../stats/server.ts";
import { renderStatsText, type StatsProcessInfo } from "../stats/stats-text.ts";
import { FULL_VERSION_STR } from "../version.ts";
import type { ProcessContext } from "./context.ts";
import { intToIpv4 } from "./process-id.ts";
import type { HttpFigures } from "./stats-compose.ts";
import type { ProcessIdentity } from "./startup.ts";

export interface StatsPage {
  /** The serving process's own figures. */
  own(): StatsSnapshot;
  /** The sum over workers (-M), from their latest reports; null in single-process mode. */
  workerSum(): StatsSnapshot | null;
  info(): StatsProcessInfo;
}

export interface StatsEndpoint {
  readonly port: number;
  figures(): HttpFigures;
  stop(): void;
}

export function processInfo(options: ProxyOptions, pid: ProcessIdentity, startedAt: number, maxConnections: number): StatsProcessInfo {
  const cpu = process.cpuUsage();
  return {
    pid: process.pid,
    startTime: startedAt,
    pidIp: intToIpv4(pid.ip),
    pidPort: pid.port,
    pidUtime: pid.utime,
    workers: options.workers,
    maxConnections,
    maxAcceptRate: options.maxAcceptRate,
    defaultRpcFlags: options.allowSkipDh ? 2056 : 2048,
    maxAllocatedBufferBytes: options.msgBuffersSize,
    windowClamp: options.windowClamp > 0 ? options.windowClamp : options.domains.length > 0 ? 0 : 131072,
    proxyTagSet: options.proxyTag !== null,
    configFileName: options.configFile ?? "",
    version: FULL_VERSION_STR,
    memory: readSelfMemory(),
    cpu: { userSec: cpu.user / 1e6, sysSec: cpu.system / 1e6 },
  };
}

/** Opens 127.0.0.1:-p (the first free port of a range) or ends the process with C's message. */
export function openStatsEndpoint(options: ProxyOptions, page: StatsPage, log: Logger, ctx: ProcessContext): StatsEndpoint {
  if (options.port === null) {
    log.info("fatal: port isn't defined");
    return ctx.exit(1);
  }
  // the listener's own sockets and http_* figures are counted here, then merged into the page
  const httpCounters = new ProxyStats();
  const input = () => {
    const own = page.own();
    return { own, workerSum: page.workerSum(), info: page.info(), nowSec: Date.now() / 1000, monotonicSec: () => performance.now() / 1000 };
  };
  const server = startStatsServer({
    port: options.port,
    stats: httpCounters,
    renderStats: () => renderStatsText(input()),
    renderMetrics: () => writeExposition(buildMetricFamilies(input())),
  });
  log.debug(`stats listening on 127.0.0.1:${server.port}`);
  return {
    port: server.port,
    figures: () => ({
      connections: httpCounters.httpConnections,
      accepted: httpCounters.inboundConnectionsAccepted,
      queries: httpCounters.httpQueries,
      badHeaders: httpCounters.httpBadHeaders,
      floodCloses: httpCounters.connectionsFailedFlood,
      readCalls: httpCounters.tcpReadCalls,
      readBytes: httpCounters.tcpReadBytes,
      writeCalls: httpCounters.tcpWriteCalls,
      writeBytes: httpCounters.tcpWriteBytes,
    }),
    stop: () => server.stop(),
  };
}
