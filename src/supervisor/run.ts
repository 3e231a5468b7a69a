// The -M N supervisor process (mtproto-proxy.c mtfront_pre_init with workers > 0): config check, a
// bind check of every -H port, the proxy secret check, -p /stats with the workers' sums, then N
// workers. It serves no clients and, unlike C, opens no idle middle-end connections of its own.
import type { TCPSocketListenOptions } from "bun";
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { aesPwdHash } from "../config/proxy-secret.ts";
import { configReloadedLine } from "../config/load.ts";
import { announce } from "../startup-links.ts";
import { createConfigRefresher, type ConfigRefresher } from "../config/refresh.ts";
import { strerror } from "../config/strerror.ts";
import { ConfigError } from "../errors.ts";
import { ConfigReloader } from "../process/config-reload.ts";
import type { ProcessContext } from "../process/context.ts";
import { parkPrivileges, type ParkedIdentity } from "../process/privileges.ts";
import type { TerminateSignal } from "../process/signals.ts";
import { composeSnapshot } from "../process/stats-compose.ts";
import { openStatsEndpoint, processInfo, type StatsEndpoint } from "../process/stats-endpoint.ts";
import {
  applyDaemonize,
  applyFileLimit,
  applyNice,
  isRoot,
  loadConfigOrExit,
  loadSecretOrThrow,
  processIdentity,
  beginProcess,
} from "../process/startup.ts";
import { sumSnapshots } from "../stats/counters.ts";
import { FdPeak } from "../stats/proc.ts";
import { Supervisor } from "./supervisor.ts";
import { selfCommand } from "./worker-command.ts";

/** Binds each -H port with SO_REUSEPORT and closes it: a busy port fails here with C's message. */
export function checkClientPorts(options: Pick<ProxyOptions, "httpPorts" | "ipv6" | "address">): void {
  const hostname = options.ipv6 ? "::" : (options.address ?? "0.0.0.0");
  for (const port of options.httpPorts) {
    try {
      // bun-types lacks `reusePort` although Bun honours it (BUN-NOTES.md)
      const opts: TCPSocketListenOptions<undefined> & { reusePort: boolean } = { hostname, port, reusePort: true, socket: { data() {} } };
      const l = Bun.listen(opts);
      l.stop(true);
    } catch (error) {
      throw new ConfigError(`cannot open http/tcp server socket at port ${port}: ${strerror(error)}`, 1);
    }
  }
}

export async function superviseWorkers(options: ProxyOptions, ctx: ProcessContext): Promise<void> {
  const startedAt = Math.floor(Date.now() / 1000);
  const pl = beginProcess(options, ctx);
  const { log, sink, signals } = pl;

  const config = options.direct || options.configFile === null ? null : await loadConfigOrExit(options.configFile, pl, ctx);
  checkClientPorts(options);
  const maxConnections = applyFileLimit(options, log, isRoot());
  // fail once here rather than in every worker (C: each worker fails, the supervisor aborts, exit 1)
  const secret = options.direct ? null : await loadSecretOrThrow(options, log);

  const supervisor = new Supervisor({
    workers: options.workers,
    command: selfCommand(ctx.execPath, ctx.main, ctx.userArgs),
    log,
    env: ctx.env,
    // workers start as root (when we were) so they can bind -H like the first ones, then drop
    aroundSpawn: (fn) => (elevate ? elevate.elevated(fn) : fn()),
    onFatal: (code) => ctx.exit(code),
  });
  let elevate: ParkedIdentity | null = null;

  let stats: StatsEndpoint | null = null;
  let identity = { ip: 0, port: options.port ? options.port.start : -1, pid: process.pid, utime: startedAt };
  const reloader =
    config && options.configFile !== null
      ? new ConfigReloader({ path: options.configFile, initial: config, apply: () => {}, log, stderr: (l) => sink.write(l) })
      : null;
  let refresher: ConfigRefresher | null = null;
  const fdPeak = new FdPeak();
  if (options.httpStats) {
    const page = {
      own: () =>
        composeSnapshot({
          secretCount: options.secrets.length,
          client: null,
          listeningPorts: 0,
          middle: null,
          direct: null,
          reload: reloader?.stats() ?? null,
          aesPwdHash: aesPwdHash(secret),
          maxSpecialConnections: 0,
          http: stats?.figures() ?? null,
          // the refresher runs here, not in the workers: its figures are the supervisor's own
          refresh: refresher?.stats ?? null,
          highestFd: fdPeak.sample(),
        }),
      workerSum: () => sumSnapshots(supervisor.latest().map((r) => r.snapshot)),
      info: () => processInfo(options, identity, startedAt, maxConnections),
    };
    stats = openStatsEndpoint(options, page, log, ctx);
  }

  const parked = parkPrivileges(options.user);
  if (!parked.ok) {
    for (const line of parked.lines) log.info(line);
    return ctx.exit(1);
  }
  elevate = parked.parked;
  applyNice(options, log);
  identity = processIdentity(options, process.pid, startedAt, log);
  if (reloader && options.configFile !== null && config) log.info(configReloadedLine(options.configFile, config.meta.bytes));

  if (reloader && options.configRefreshSec > 0 && options.configFile !== null) {
    refresher = createConfigRefresher({
      configPath: options.configFile,
      secretPath: options.aesPwdFile,
      configUrl: options.configUrl,
      secretUrl: options.secretUrl,
      intervalSec: options.configRefreshSec,
      // the workers re-read both files on SIGHUP
      apply: (c) => {
        reloader.applyLoaded(c);
        supervisor.forward("SIGHUP");
      },
      applySecret: () => supervisor.forward("SIGHUP"),
      log,
    });
  }

  applyDaemonize(options, pl);
  supervisor.start();
  refresher?.start();
  signals.enterMainLoop({
    terminate: (sig: TerminateSignal) => {
      refresher?.stop();
      void supervisor.stop(sig).then(() => {
        stats?.stop();
        log.info(`Terminated by ${sig}.`);
        ctx.exit(0);
      });
    },
    usr1: () => {
      const r = sink.reopen("signal");
      if (!r.ok) log.info(`cannot open log file ${options.logFile}: ${r.error}`);
      else log.debug("logs reopened.");
      supervisor.forward("SIGUSR1");
    },
    hup: () => {
      void reloader?.reload();
      supervisor.forward("SIGHUP");
    },
  });
  announce(options, options.httpPorts, log, ctx);
  log.info("main loop");
}
