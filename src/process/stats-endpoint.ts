// The -p /stats listener of the serving process (the supervisor under -M; stats.md §1): C's checks
// (`fatal: port isn't defined`), the process facts the page needs, and the wiring to src/stats.
import type { ProxyOptions } from "../cli/proxy-options.ts";
import type { Logger } from "../log.ts";
import type { StatsSnapshot } from "../stats/counters.ts";
import type { StatsProcessInfo } from "../stats/stats-text.ts";
import { FULL_VERSION_STR } from "../version.ts";
import type { ProcessContext } from "./context.ts";
import { intToIpv4 } from "./process-id.ts";
import type { HttpFigures } from "./stats-compose.ts";
import type { ProcessIdentity } from "./startup.ts";
import { readFileSync } from "node:fs";

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

const PAGE_SIZE = 4096;

function readMemory(): StatsProcessInfo["memory"] {
  try {
    const f = readFileSync("/proc/self/statm", "utf8").trim().split(/\s+/).map(Number);
    return { vmSize: f[0]! * PAGE_SIZE, vmRss: f[1]! * PAGE_SIZE, vmData: f[5]! * PAGE_SIZE };
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
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
    memory: readMemory(),
    cpu: { userSec: cpu.user / 1e6, sysSec: cpu.system / 1e6 },
  };
}

/** Opens 127.0.0.1:-p (the first free port of a range) or ends the process with C's message. */
export async function openStatsEndpoint(options: ProxyOptions, page: StatsPage, log: Logger, ctx: ProcessContext): Promise<StatsEndpoint> {
  if (options.port === null) {
    log.info("fatal: port isn't defined");
    return ctx.exit(1);
  }
  void page;
  throw new Error("stats server not wired yet");
}
