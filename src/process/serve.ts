// One serving process: the single process (-M 0) or a -M worker. C order (config-and-cli.md §D.1):
// config check → -H bind → -c → proxy secret → -u → Started as → ME targets → -p /stats → main loop.
// Beyond C, in middle-end mode the message path is warmed up over loopback right before the bind.
// Signals: SIGTERM/SIGINT stop gracefully (≤ ~2 s), SIGUSR1 reopens -l, SIGHUP reloads the config.
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { aesPwdHash, loadProxySecret, type ProxySecret } from "../config/proxy-secret.ts";
import type { ProxyConfig } from "../config/types.ts";
import { configReloadedLine } from "../config/load.ts";
import { announce } from "../startup-links.ts";
import { createConfigRefresher, type ConfigRefresher } from "../config/refresh.ts";
import { createDirectUpstream } from "../direct/direct-upstream.ts";
import { createDataPlane, type DataPlane } from "../proxy/data-plane.ts";
import type { MiddleEnd } from "../proxy/middle-contract.ts";
import { makeProcessId } from "../rpc/handshake.ts";
import { MiddlePool } from "../rpc/pool.ts";
import type { Logger } from "../log.ts";
import type { StatsSnapshot } from "../stats/counters.ts";
import { startWorkerLink, type WorkerLink } from "../supervisor/worker-link.ts";
import { ConfigReloader } from "./config-reload.ts";
import type { ProcessContext } from "./context.ts";
import { changeUserGroup } from "./privileges.ts";
import { warmUpMessagePath, warmUpMs } from "../warmup/warm-up.ts";
import type { TerminateSignal } from "./signals.ts";
import { composeSnapshot } from "./stats-compose.ts";
import { createStatsTaps, type StatsTaps } from "./stats-taps.ts";
import { FdPeak } from "../stats/proc.ts";
import { openStatsEndpoint, processInfo, type StatsEndpoint } from "./stats-endpoint.ts";
import {
  applyDaemonize,
  applyFileLimit,
  applyNice,
  effectiveSpecialLimit,
  isRoot,
  loadConfigOrExit,
  loadSecretOrThrow,
  processIdentity,
  beginProcess,
} from "./startup.ts";

/** The pool's secret when the default `secret` file is absent: every ME handshake fails, as in C. */
const NO_SECRET = { bytes: new Uint8Array(0), keySelect: 0 };

export async function serve(options: ProxyOptions, ctx: ProcessContext): Promise<void> {
  const startedAt = Math.floor(Date.now() / 1000);
  const pl = beginProcess(options, ctx);
  const { log, sink, signals } = pl;
  const worker = ctx.workerId !== null;

  const config: ProxyConfig | null = options.direct || options.configFile === null ? null : await loadConfigOrExit(options.configFile, pl, ctx);
  const maxConnections = applyFileLimit(options, log, isRoot());
  const specialLimit = effectiveSpecialLimit(options, maxConnections);

  // the pool is created after the bind (C: pre_start); a client that races it finds no middle end
  let pool: MiddlePool | null = null;
  // per-DC / per-secret figures are taken where a client meets its upstream (stats-taps.ts)
  const taps = createStatsTaps(options.secrets.length);
  const middle = tappedMiddle(taps, () => pool);
  const direct = options.direct ? createDirectUpstream({ options, log }) : null;
  const plane: DataPlane = createDataPlane({
    options: { ...options, maxSpecialConnections: specialLimit },
    log,
    middle: direct ? null : middle,
    direct: direct ? taps.direct(direct) : null,
    reusePort: worker,
  });
  if (config) await warmUp(options, log, (p) => tappedMiddle(createStatsTaps(options.secrets.length), () => p));
  await plane.start();

  let secret: ProxySecret | null = options.direct ? null : await loadSecretOrThrow(options, log);
  const ids = changeUserGroup(options.user);
  if (!ids.ok) {
    for (const line of ids.lines) log.info(line);
    return ctx.exit(1);
  }
  applyNice(options, log);
  const pid = processIdentity(options, process.pid, startedAt, log);

  let reloader: ConfigReloader | null = null;
  if (config && options.configFile !== null) {
    const p = new MiddlePool({
      config,
      secret: secret ?? NO_SECRET,
      options,
      log: log.withTag("rpc"),
      pid: makeProcessId(pid.ip, pid.port, pid.pid, pid.utime),
    });
    pool = p;
    p.start();
    log.info(configReloadedLine(options.configFile, config.meta.bytes));
    reloader = new ConfigReloader({ path: options.configFile, initial: config, apply: (c) => p.applyConfig(c), log, stderr: (l) => sink.write(l) });
  }

  let refresher: ConfigRefresher | null = null;
  const fdPeak = new FdPeak();
  const snapshot = (http: StatsEndpoint | null): StatsSnapshot =>
    composeSnapshot({
      secretCount: options.secrets.length,
      client: plane.counters,
      listeningPorts: plane.listeningPorts.length,
      middle: pool?.snapshot() ?? null,
      direct: direct?.counters ?? null,
      reload: reloader?.stats() ?? null,
      aesPwdHash: aesPwdHash(secret),
      maxSpecialConnections: specialLimit,
      http: http?.figures() ?? null,
      taps: taps.stats,
      refresh: refresher?.stats ?? null,
      highestFd: fdPeak.sample(),
    });

  // single process only: C opens -p in the supervisor, never in a worker
  let stats: StatsEndpoint | null = null;
  if (!worker && options.httpStats) {
    const info = () => processInfo(options, pid, startedAt, maxConnections);
    stats = openStatsEndpoint(options, { own: () => snapshot(stats), workerSum: () => null, info }, log, ctx);
  }

  // beyond C: periodic download of proxy-multi.conf / the secret (the supervisor does it under -M)
  if (!worker && reloader && options.configRefreshSec > 0 && options.configFile !== null) {
    const r = reloader;
    refresher = createConfigRefresher({
      configPath: options.configFile,
      secretPath: options.aesPwdFile,
      configUrl: options.configUrl,
      secretUrl: options.secretUrl,
      intervalSec: options.configRefreshSec,
      apply: (c) => r.applyLoaded(c),
      applySecret: (s) => {
        secret = s;
        pool?.applySecret(s);
      },
      log,
    });
    refresher.start();
  }

  // a worker re-reads its secret on SIGHUP: the supervisor's refresher may have replaced the file
  const reloadSecret = async () => {
    if (options.aesPwdFile === null || !pool) return;
    try {
      const next = await loadProxySecret(options.aesPwdFile);
      if (next && next.md5Hex !== secret?.md5Hex) {
        secret = next;
        pool.applySecret(next);
        log.info(`proxy secret ${options.aesPwdFile} re-read (md5 ${next.md5Hex}), used by new middle-end connections`);
      }
    } catch (error) {
      log.info(`proxy secret ${options.aesPwdFile} not re-read: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  let link: WorkerLink | null = null;
  const stopAll = async (): Promise<void> => {
    refresher?.stop();
    link?.stop();
    stats?.stop();
    pool?.stop();
    await plane.stop();
  };

  if (worker) {
    link = startWorkerLink({
      log,
      report: () => ({ workerId: ctx.workerId ?? 0, pid: process.pid, startedAt, snapshot: snapshot(null) }),
      exit: (code) => ctx.exit(code),
    });
  }

  applyDaemonize(options, pl);
  signals.enterMainLoop({
    terminate: (sig: TerminateSignal) => {
      void bounded(stopAll(), 2500).then(() => {
        log.info(`Terminated by ${sig}.`);
        ctx.exit(0);
      });
    },
    usr1: () => {
      const r = sink.reopen("signal");
      if (!r.ok) log.info(`cannot open log file ${options.logFile}: ${r.error}`);
      else if (!worker) log.debug("logs reopened.");
    },
    hup: () => {
      if (!reloader) return;
      void reloader.reload();
      if (worker) void reloadSecret();
    },
  });
  if (!worker) announce(options, plane.listeningPorts, log, ctx);
  log.info("main loop");
  link?.ready(plane.listeningPorts);
}

/** The middle end sessions see: the pool (null until it exists) behind the per-DC / per-secret taps. */
function tappedMiddle(taps: StatsTaps, pool: () => MiddlePool | null): MiddleEnd {
  return taps.middle(
    { bind: (client, sink) => pool()?.bind(client, sink) ?? null },
    (dc) => {
      const p = pool();
      return p === null || p.config.clusters.has(dc);
    },
  );
}

/** Beyond C: runs the message path over loopback before the ports open (warmup/warm-up.ts). */
async function warmUp(options: ProxyOptions, log: Logger, middleOf: (pool: MiddlePool) => MiddleEnd): Promise<void> {
  const durationMs = warmUpMs(process.env);
  if (durationMs === 0) return;
  try {
    const r = await warmUpMessagePath({ durationMs, proxyTag: options.proxyTag, middleOf });
    log.debug(`message path warmed up: ${r.connections} connections (${r.broken} broken), ${r.roundTrips} round trips in ${Math.round(r.elapsedMs)} ms`);
  } catch (error) {
    log.info(`message path warm-up skipped: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function bounded(p: Promise<void>, ms: number): Promise<void> {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<void>((r) => (t = setTimeout(r, ms)))]).finally(() => clearTimeout(t));
}
