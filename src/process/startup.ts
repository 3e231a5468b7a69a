// Start-up steps shared by a single process, a worker and the supervisor, in C's order and with C's
// messages (config-and-cli.md §D.1): the log sink, the config check, -c, --nice, -d and the PID.
import { networkInterfaces, getPriority, setPriority } from "node:os";
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { configCheckFailedLine, ConfigLoadError, loadConfigFile } from "../config/load.ts";
import { loadProxySecret, ProxySecretError, type ProxySecret } from "../config/proxy-secret.ts";
import type { ProxyConfig } from "../config/types.ts";
import { createLogger, type Logger } from "../log.ts";
import type { ProcessContext } from "./context.ts";
import { createLogSink, type LogSink } from "./log-file.ts";
import { loadOsCalls, readProcNofile, type OsCalls } from "./os-calls.ts";
import { processIp, startedAsLine } from "./process-id.ts";
import { raiseFileLimit } from "./rlimit.ts";
import { installSignals, type SignalControl } from "./signals.ts";
import { readFileSync } from "node:fs";

export interface ProcessLog {
  sink: LogSink;
  log: Logger;
}

export function setupLogging(options: ProxyOptions, ctx: ProcessContext): ProcessLog {
  const sink = createLogSink(options.logFile);
  if (ctx.logReopened) sink.reopen("signal");
  const prefix = ctx.workerId === null ? "" : `[worker ${ctx.workerId}] `;
  return { sink, log: createLogger({ verbosity: options.verbosity, write: (l) => sink.write(l), prefix }) };
}

/** What every process kind (single, worker, supervisor) does first: its log, then C's early signal handlers. */
export function beginProcess(options: ProxyOptions, ctx: ProcessContext): ProcessLog & { signals: SignalControl } {
  const pl = setupLogging(options, ctx);
  const signals = installSignals({
    writeRaw: (l) => pl.sink.write(l),
    exit: ctx.exit,
    on: (sig, fn) => process.on(sig, fn),
    off: (sig, fn) => process.off(sig, fn),
  });
  return { ...pl, signals };
}

/** do_reload_config at start: C's lines, then `config check failed! (code <res>)` and exit(-res). */
export async function loadConfigOrExit(path: string, pl: ProcessLog, ctx: ProcessContext): Promise<ProxyConfig> {
  try {
    const cfg = await loadConfigFile(path);
    pl.log.debug("config loaded!");
    return cfg;
  } catch (error) {
    if (!(error instanceof ConfigLoadError)) throw error;
    for (const line of error.stderrLines) pl.sink.write(`${line}\n`);
    for (const line of error.logLines) pl.log.info(line);
    pl.sink.write(`${configCheckFailedLine(error)}\n`);
    return ctx.exit(-error.code);
  }
}

/** engine_init's secret load; -v shows C's detail lines before the fatal one. */
export async function loadSecretOrThrow(options: ProxyOptions, log: Logger): Promise<ProxySecret | null> {
  try {
    return await loadProxySecret(options.aesPwdFile);
  } catch (error) {
    if (error instanceof ProxySecretError) for (const line of error.verboseLines) log.debug(line);
    throw error;
  }
}

/** -c: the connection cap this process can honour, with a warning when the fd limit is short. */
export function applyFileLimit(options: ProxyOptions, log: Logger, root: boolean, os: OsCalls | null = loadOsCalls()): number {
  const r = raiseFileLimit(options.maxConnections, root, os);
  if (r.kind === "capped") {
    log.warn(
      `cannot raise open file limit to ${r.wanted} (soft ${r.limit.soft}, hard ${r.limit.hard}): at most ${r.maxConnections} connections`,
    );
  } else if (r.kind === "unknown") {
    let known = "";
    try {
      const lim = readProcNofile(readFileSync("/proc/self/limits", "utf8"));
      if (lim) known = ` (current soft ${lim.soft}, hard ${lim.hard})`;
    } catch (error) {
      if (!(error instanceof Error)) throw error;
    }
    log.warn(`cannot check the open file limit for -c ${options.maxConnections}${known}`);
  } else if (r.raised) log.debug(`open file limit raised to ${r.limit.soft}`);
  return r.maxConnections;
}

/** -C is capped by -c (C: tcp_set_max_connections); 0 means no -C limit. */
export function effectiveSpecialLimit(options: ProxyOptions, maxConnections: number): number {
  return options.maxSpecialConnections > 0 ? Math.min(options.maxSpecialConnections, maxConnections) : maxConnections;
}

/** --nice n: C calls nice(n) and only prints an error. */
export function applyNice(options: ProxyOptions, log: Logger): void {
  if (options.nice === null) return;
  try {
    setPriority(0, Math.max(-20, Math.min(19, getPriority(0) + options.nice)));
  } catch (error) {
    log.info(`nice: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** -d: setsid() and a log reopen (C server_init). It never forks. */
export function applyDaemonize(options: ProxyOptions, pl: ProcessLog, os: OsCalls | null = loadOsCalls()): void {
  if (!options.daemonize) return;
  if (!os || os.setsid() < 0) pl.log.debug("setsid() not done (already a group leader, or libc unavailable)");
  const r = pl.sink.reopen("daemonize");
  if (!r.ok) pl.log.info(`cannot open log file ${options.logFile}: ${r.error}`);
}

export interface ProcessIdentity {
  ip: number;
  port: number;
  pid: number;
  utime: number;
}

export function processIdentity(options: ProxyOptions, pid: number, utime: number, log: Logger): ProcessIdentity {
  const { ip, warning } = processIp(options.address, networkInterfaces());
  if (warning) log.info(warning);
  const port = options.port ? options.port.start : -1;
  log.info(startedAsLine(ip, port, pid, utime));
  return { ip, port, pid, utime };
}

export function isRoot(): boolean {
  return process.getuid?.() === 0 || process.geteuid?.() === 0;
}
