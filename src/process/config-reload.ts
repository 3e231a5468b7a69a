// SIGHUP reload of proxy-multi.conf (beyond C, whose SIGHUP only logs; semantics of do_reload_config,
// config-and-cli.md §A.5): parse into a spare config, apply atomically on success, keep the running
// config on any error with C's `error while re-reading config file <f>, new configuration NOT applied`.
import { configReloadedLine, tryLoadConfig, type ConfigLoadError, type LoadDeps } from "../config/load.ts";
import type { ProxyConfig } from "../config/types.ts";
import type { Logger } from "../log.ts";
import type { ConfigStatsSnapshot } from "../stats/counters.ts";

/** The same shape the stats layer serves: what this reloader has applied and how reloads went. */
export type ReloadStats = ConfigStatsSnapshot;

export interface ConfigReloaderDeps {
  path: string;
  initial: ProxyConfig;
  /** Swaps the running config (MiddlePool.applyConfig). */
  apply(next: ProxyConfig): void;
  log: Logger;
  /** Raw stderr, for the lines C writes with fprintf. */
  stderr(line: string): void;
  load?: (path: string, deps: LoadDeps) => ReturnType<typeof tryLoadConfig>;
  unixNow?: () => number;
}

/** Distinct proxy_for ids: C's config_auth_clusters. */
export function authClusters(cfg: ProxyConfig): number {
  return cfg.clusters.size;
}

export class ConfigReloader {
  readonly #deps: ConfigReloaderDeps;
  #current: ProxyConfig;
  #running: Promise<void> | null = null;
  #again = false;
  #successes = 0;
  #failures = 0;
  #lastError: string | null = null;
  #lastErrorAt = 0;

  constructor(deps: ConfigReloaderDeps) {
    this.#deps = deps;
    this.#current = deps.initial;
  }

  get config(): ProxyConfig {
    return this.#current;
  }

  /** Coalesces signals that arrive during a reload into one more reload afterwards. */
  reload(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#once();
      } while (this.#again);
      this.#running = null;
    })();
    return this.#running;
  }

  /** A config already loaded and validated elsewhere (the --config-refresh download): apply and count it. */
  applyLoaded(next: ProxyConfig): void {
    this.#deps.apply(next);
    this.#current = next;
    this.#successes++;
  }

  async #once(): Promise<void> {
    const load = this.#deps.load ?? tryLoadConfig;
    const r = await load(this.#deps.path, { reload: true });
    if (!r.ok) return this.#failed(r.error);
    this.applyLoaded(r.config);
    this.#deps.log.info(configReloadedLine(this.#deps.path, r.config.meta.bytes));
  }

  #failed(error: ConfigLoadError): void {
    for (const line of error.stderrLines) this.#deps.stderr(`${line}\n`);
    for (const line of error.logLines) this.#deps.log.info(line);
    this.#failures++;
    this.#lastError = [...error.stderrLines, ...error.logLines][0] ?? "reload failed";
    this.#lastErrorAt = (this.#deps.unixNow ?? (() => Math.floor(Date.now() / 1000)))();
  }

  stats(): ReloadStats {
    const m = this.#current.meta;
    return {
      fileName: m.fileName,
      bytes: m.bytes,
      md5: m.md5,
      loadedAt: m.loadedAt,
      authClusters: authClusters(this.#current),
      reloadSuccesses: this.#successes,
      reloadFailures: this.#failures,
      lastReloadError: this.#lastError,
      lastReloadErrorAt: this.#lastErrorAt,
    };
  }
}
