// The middle-end pool (MiddleEnd): targets from proxy-multi.conf, min_connections kept per target with
// C's reconnect back-off, cluster/target/connection choice, binding at a client's first packet, reload.
// Mirrors create_new_connections / compute_next_reconnect (net-connections.c), choose_proxy_target /
// forward_tcp_query (mtproto-proxy.c), do_reload_config (backend-rpc.md §10, config-and-cli.md §A.5).
import { systemRandom, type RandomSource } from "../crypto/random.ts";
import type { ProxyOptions } from "../cli/proxy-options.ts";
import type { ConfigTarget, ProxyConfig } from "../config/types.ts";
import type { Logger } from "../log.ts";
import type { ClientInfo, ClientSink, MiddleEnd, MiddleRoute } from "../proxy/middle-contract.ts";
import { createNatTable } from "./address.ts";
import { ConnIdAllocator } from "./conn-ids.ts";
import { MAX_RECONNECT_INTERVAL_SEC, TARGET_TICK_MS } from "./constants.ts";
import { MiddleConnection, type ConnectionSettings, type ProxySecret } from "./connection.ts";
import { FlushTurn } from "./flush-turn.ts";
import { createMiddleCounters, type MiddleCounters } from "./counters.ts";
import { makeProcessId, type ProcessId } from "./handshake.ts";
import { bunConnector, type MiddleConnector } from "./socket.ts";

export interface PoolLimits {
  handshakeTimeoutMs: number;
  /** 0 disables pings and silence detection. Default from -T: min(T, 10) s. */
  pingIntervalMs: number;
  /** Default: 3 pings, kept within 10..30 s. */
  silenceTimeoutMs: number;
  highWaterBytes: number;
  lowWaterBytes: number;
  maxClientPendingBytes: number;
  maxQueuedBytes: number;
  tickMs: number;
}

export interface MiddlePoolDeps {
  config: ProxyConfig;
  secret: ProxySecret;
  options: Pick<ProxyOptions, "proxyTag" | "natInfo" | "pingIntervalSec">;
  log: Logger;
  /** Our struct process_id; main.ts passes {ip, -p port or -1, pid, start time}. */
  pid?: ProcessId;
  connector?: MiddleConnector;
  random?: RandomSource;
  nowMs?: () => number;
  unixSec?: () => number;
  limits?: Partial<PoolLimits>;
}

export interface MiddleStats extends MiddleCounters {
  targets: number;
  readyTargets: number;
  connectionsTotal: number;
  connectionsReady: number;
  boundClients: number;
}

class TargetState {
  readonly conns = new Set<MiddleConnection>();
  reconnectTimeoutSec: number;
  nextReconnectTimeoutSec = 0;
  nextReconnectAtMs = 0;
  constructor(
    public cfg: ConfigTarget,
    random: RandomSource,
  ) {
    this.reconnectTimeoutSec = 1 + 0.1 * (random.int(1 << 20) / (1 << 20));
  }
}

export function defaultPoolLimits(pingIntervalSec: number): PoolLimits {
  const pingMs = pingIntervalSec > 0 ? Math.min(pingIntervalSec, 10) * 1000 : 0;
  return {
    handshakeTimeoutMs: 3000,
    pingIntervalMs: pingMs,
    silenceTimeoutMs: pingMs > 0 ? Math.min(Math.max(3 * pingMs, 10_000), 30_000) : 0,
    highWaterBytes: 1 << 20,
    lowWaterBytes: 256 << 10,
    maxClientPendingBytes: 16 << 20,
    maxQueuedBytes: 32 << 20,
    tickMs: TARGET_TICK_MS,
  };
}

export class MiddlePool implements MiddleEnd {
  readonly counters: MiddleCounters = createMiddleCounters();
  #config: ProxyConfig;
  #targets = new Map<string, TargetState>();
  readonly #ids = new ConnIdAllocator();
  readonly #settings: ConnectionSettings;
  readonly #random: RandomSource;
  readonly #nowMs: () => number;
  readonly #tickMs: number;
  readonly #log: Logger;
  #timer: ReturnType<typeof setInterval> | null = null;
  #stopped = false;

  constructor(deps: MiddlePoolDeps) {
    this.#config = deps.config;
    this.#random = deps.random ?? systemRandom;
    this.#nowMs = deps.nowMs ?? (() => performance.now());
    this.#log = deps.log;
    const unixSec = deps.unixSec ?? (() => Math.floor(Date.now() / 1000));
    const limits = { ...defaultPoolLimits(deps.options.pingIntervalSec), ...deps.limits };
    this.#tickMs = limits.tickMs;
    this.#settings = {
      secret: deps.secret,
      nat: createNatTable(deps.options.natInfo),
      proxyTag: deps.options.proxyTag,
      pid: deps.pid ?? makeProcessId(0, -1, 0, unixSec()),
      connector: deps.connector ?? bunConnector,
      log: deps.log,
      counters: this.counters,
      random: this.#random,
      nowMs: this.#nowMs,
      unixSec,
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
      pingIntervalMs: limits.pingIntervalMs,
      silenceTimeoutMs: limits.silenceTimeoutMs,
      highWaterBytes: limits.highWaterBytes,
      lowWaterBytes: limits.lowWaterBytes,
      maxClientPendingBytes: limits.maxClientPendingBytes,
      maxQueuedBytes: limits.maxQueuedBytes,
      flushTurn: new FlushTurn(),
    };
    for (const t of deps.config.targets) this.#targets.set(t.key, new TargetState(t, this.#random));
  }

  /** Opens min_connections per target now (mtfront_pre_start) and keeps them topped up. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    this.maintain();
    this.#timer = setInterval(() => this.maintain(), this.#tickMs);
  }

  get config(): ProxyConfig {
    return this.#config;
  }

  // ---- MiddleEnd

  bind(client: ClientInfo, sink: ClientSink): MiddleRoute | null {
    const conn = this.#choose(client.dc);
    if (!conn) {
      this.counters.droppedQueries++;
      return null;
    }
    return conn.bind(this.#ids.allocate(), client, sink);
  }

  // Exact signed cluster id, else the default cluster; up to 5 random targets with a ready link.
  #choose(dc: number): MiddleConnection | null {
    const cluster = this.#config.clusters.get(dc) ?? this.#config.clusters.get(this.#config.defaultClusterId);
    if (!cluster || cluster.targets.length === 0) return null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const cfg = cluster.targets[this.#random.int(cluster.targets.length)]!;
      const t = this.#targets.get(cfg.key);
      const c = t ? this.#randomReady(t) : null;
      if (c) return c;
    }
    return null;
  }

  /** rpc_target_choose_random_connections with limit 1: reservoir sampling over ready links. */
  #randomReady(t: TargetState): MiddleConnection | null {
    let pick: MiddleConnection | null = null;
    let seen = 0;
    for (const c of t.conns) {
      if (!c.isReady) continue;
      seen++;
      if (this.#random.int(seen) === 0) pick = c;
    }
    return pick;
  }

  // ---- connection upkeep

  /** The target job: runs every tickMs after start(); public so tests can drive it with a fake clock. */
  maintain(): void {
    if (this.#stopped) return;
    const now = this.#nowMs();
    for (const t of this.#targets.values()) this.#topUp(t, now);
  }

  #topUp(t: TargetState, now: number): void {
    let active = 0;
    for (const c of t.conns) if (c.isConnected) active++;
    const need = Math.min(t.cfg.minConnections, t.cfg.maxConnections);
    if (now < t.nextReconnectAtMs && active === 0) return;
    // a connector may fail synchronously, so count the openings rather than loop on the set size
    for (let n = need - t.conns.size; n > 0; n--) this.#open(t);
    // compute_next_reconnect
    if (t.nextReconnectTimeoutSec < t.reconnectTimeoutSec || active > 0) t.nextReconnectTimeoutSec = t.reconnectTimeoutSec;
    t.nextReconnectAtMs = now + t.nextReconnectTimeoutSec * 1000;
    if (active === 0 && t.nextReconnectTimeoutSec < MAX_RECONNECT_INTERVAL_SEC) {
      t.nextReconnectTimeoutSec = t.nextReconnectTimeoutSec * 1.5 + 0.2 * (this.#random.int(1 << 20) / (1 << 20));
    }
  }

  #open(t: TargetState): void {
    const conn = new MiddleConnection({ host: t.cfg.address.host, port: t.cfg.address.port }, this.#settings, {
      ready: () => {},
      closed: (c) => {
        t.conns.delete(c);
        this.counters.connectionsClosed++;
      },
    });
    t.conns.add(conn);
    this.counters.connectionsOpened++;
    conn.start();
  }

  // ---- reload and shutdown

  /**
   * SIGHUP reload (config-and-cli.md §A.5): targets with the same key keep their live links and take
   * the new min/max; removed targets close their links and with them their clients.
   */
  applyConfig(next: ProxyConfig): void {
    const fresh = new Map<string, TargetState>();
    for (const cfg of next.targets) {
      const old = this.#targets.get(cfg.key);
      if (old) {
        old.cfg = cfg;
        old.reconnectTimeoutSec = 1 + 0.1 * (this.#random.int(1 << 20) / (1 << 20));
        fresh.set(cfg.key, old);
      } else fresh.set(cfg.key, new TargetState(cfg, this.#random));
    }
    const removed = [...this.#targets.values()].filter((t) => !fresh.has(t.cfg.key));
    this.#log.debug(`middle-end targets reloaded: ${fresh.size} in use, ${removed.length} removed`);
    this.#targets = fresh;
    this.#config = next;
    for (const t of removed) {
      for (const c of [...t.conns]) {
        this.counters.unusedConnectionsClosed++;
        c.close("target removed from config", true);
      }
    }
    if (this.#timer) this.maintain();
  }

  /**
   * A refreshed proxy secret (beyond C, which reads it once): new connections handshake with it;
   * live ones keep their derived keys until they close.
   */
  applySecret(secret: ProxySecret): void {
    this.#settings.secret = { bytes: secret.bytes, keySelect: secret.keySelect };
  }

  /** Closes every link (and so every bound client); the pool cannot be restarted. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const t of this.#targets.values()) for (const c of [...t.conns]) c.close("shutting down", true);
  }

  snapshot(): MiddleStats {
    let total = 0;
    let ready = 0;
    let readyTargets = 0;
    let bound = 0;
    for (const t of this.#targets.values()) {
      let r = 0;
      for (const c of t.conns) {
        total++;
        if (c.isReady) r++;
        bound += c.boundClients;
      }
      ready += r;
      if (r > 0) readyTargets++;
    }
    return {
      ...this.counters,
      targets: this.#targets.size,
      readyTargets,
      connectionsTotal: total,
      connectionsReady: ready,
      boundClients: bound,
    };
  }

  /** Live connections of one target key ("host:port"), for tests and diagnostics. */
  connectionsOf(key: string): readonly MiddleConnection[] {
    return [...(this.#targets.get(key)?.conns ?? [])];
  }
}
