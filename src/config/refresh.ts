// Periodic self-refresh of proxy-multi.conf and the --aes-pwd proxy secret (beyond C: its README tells
// operators to re-download them by cron and restart). Download → validate with the file's own parser
// → unchanged (same md5 as the file on disk): nothing → else write atomically beside it, then apply.
import { open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { md5Hex } from "../crypto/hash.ts";
import { systemRandom, type RandomSource } from "../crypto/random.ts";
import type { Logger } from "../log.ts";
import { downloadLimited, type FetchFn } from "./fetch-config.ts";
import { parseHostsFile } from "./hosts-file.ts";
import { MAX_CONFIG_SIZE, readEtcHosts, readLimited, systemResolver } from "./load.ts";
import { parseConfig, type ParseOutcome } from "./parse.ts";
import { checkProxySecret, MAX_PWD_CONFIG_LEN, type ProxySecret } from "./proxy-secret.ts";
import type { ProxyConfig } from "./types.ts";

export const DEFAULT_REFRESH_TIMEOUT_MS = 20_000;
/** The first refresh comes after min(interval, this): a proxy restarted on a stale file heals soon. */
export const FIRST_REFRESH_MAX_DELAY_SEC = 60;
/** The interval is jittered by ±10 % so a fleet started together does not download in step. */
const JITTER = 0.1;

export interface RefreshTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConfigRefresherOptions {
  /** The positional proxy-multi.conf path: the download replaces it. */
  configPath: string;
  /** The --aes-pwd file; null = no secret refresh. */
  secretPath: string | null;
  configUrl: string;
  secretUrl: string;
  intervalSec: number;
  /** The SIGHUP path: swap the running config (pool.applyConfig + whatever else reload does). */
  apply(config: ProxyConfig): void;
  /** New proxy secret for new middle-end connections (pool.applySecret). */
  applySecret?(secret: ProxySecret): void;
  log: Logger;
  fetch?: FetchFn;
  /** The file's parser; default parseConfig with /etc/hosts and the system resolver, as load.ts does. */
  parse?: (bytes: Uint8Array, fileName: string) => Promise<ParseOutcome>;
  /** Per download, body included. */
  timeoutMs?: number;
  random?: RandomSource;
  /** Wall clock, ms since the epoch (stats timestamps). */
  nowMs?: () => number;
  timers?: RefreshTimers;
}

export interface RefreshStats {
  /** Refresh rounds started (one round = the config and, with --aes-pwd, the secret). */
  attempts: number;
  /** Rounds where every download was valid (changed or not). */
  ok: number;
  /** Rounds with at least one failure (each failure logged once). */
  failed: number;
  lastError: string | null;
  /** Unix seconds of the last fully successful round. */
  lastOkAt: number | null;
  /** Unix seconds of the last applied change. */
  lastChangedAt: number | null;
  configChanges: number;
  secretChanges: number;
}

export interface RefreshResult {
  ok: boolean;
  configChanged: boolean;
  secretChanged: boolean;
  /** One line per failed item, as logged. */
  errors: string[];
}

export interface ConfigRefresher {
  start(): void;
  stop(): void;
  /** Runs a round now; a round already running is joined, not doubled. */
  refreshNow(): Promise<RefreshResult>;
  readonly stats: Readonly<RefreshStats>;
}

type Item<T> = { kind: "same" } | { kind: "new"; bytes: Uint8Array; value: T } | { kind: "failed"; line: string };

export function createConfigRefresher(o: ConfigRefresherOptions): ConfigRefresher {
  const log = o.log.withTag("config-refresh");
  const fetchFn: FetchFn = o.fetch ?? ((url, init) => fetch(url, init));
  const parse = o.parse ?? defaultParse;
  const timeoutMs = o.timeoutMs ?? DEFAULT_REFRESH_TIMEOUT_MS;
  const random = o.random ?? systemRandom;
  const nowMs = o.nowMs ?? (() => Date.now());
  const timers: RefreshTimers = o.timers ?? {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
  const stats: RefreshStats = {
    attempts: 0, ok: 0, failed: 0, lastError: null, lastOkAt: null, lastChangedAt: null, configChanges: 0, secretChanges: 0,
  };
  let timer: unknown = null;
  let running: Promise<RefreshResult> | null = null;
  let stopped = false;

  const jittered = (sec: number): number => sec * 1000 * (1 - JITTER + (2 * JITTER * random.int(1 << 16)) / (1 << 16));

  /** Downloads, validates and compares one file; writes it when it changed. */
  async function fetchItem<T>(
    what: string,
    url: string,
    path: string,
    maxBytes: number,
    validate: (bytes: Uint8Array) => Promise<{ ok: true; value: T } | { ok: false; reason: string }>,
  ): Promise<Item<T>> {
    const fail = (reason: string): Item<T> => ({ kind: "failed", line: `${what} from ${url}: ${oneLine(reason)}; keeping the running ${what}` });
    const dl = await downloadLimited(url, { fetch: fetchFn, timeoutMs, maxBytes });
    if (!dl.ok) return fail(`download failed: ${dl.reason}`);
    const checked = await validate(dl.bytes);
    if (!checked.ok) return fail(`bad file: ${checked.reason}`);
    const onDisk = await readLimited(path, maxBytes + 1);
    if (onDisk.ok && md5Hex(onDisk.bytes) === md5Hex(dl.bytes)) return { kind: "same" };
    try {
      await writeAtomically(path, dl.bytes, random);
    } catch (e) {
      return fail(`cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { kind: "new", bytes: dl.bytes, value: checked.value };
  }

  async function round(): Promise<RefreshResult> {
    stats.attempts++;
    const secretPath = o.secretPath;
    // The secret first: connections opened for a new config should already use the new secret.
    const [secret, config] = await Promise.all([
      secretPath === null
        ? Promise.resolve<Item<ProxySecret>>({ kind: "same" })
        : fetchItem("proxy secret", o.secretUrl, secretPath, MAX_PWD_CONFIG_LEN, async (bytes) => {
            const c = checkProxySecret(bytes, secretPath);
            return c.ok ? { ok: true, value: c.secret } : { ok: false, reason: c.verboseLines.at(-1) ?? "invalid secret" };
          }),
      fetchItem("configuration", o.configUrl, o.configPath, MAX_CONFIG_SIZE, async (bytes) => {
        const p = await parse(bytes, o.configPath);
        return p.ok ? { ok: true, value: p.config } : { ok: false, reason: p.error };
      }),
    ]);
    const result: RefreshResult = { ok: true, configChanged: false, secretChanged: false, errors: [] };
    for (const item of [secret, config]) {
      if (item.kind !== "failed") continue;
      result.ok = false;
      result.errors.push(item.line);
      log.warn(item.line);
    }
    if (stopped) return result;
    if (secret.kind === "new" && o.applySecret) {
      o.applySecret(secret.value);
      stats.secretChanges++;
      result.secretChanged = true;
      log.info(`proxy secret ${secretPath} updated from ${o.secretUrl} (${secret.bytes.length} bytes, md5 ${secret.value.md5Hex}), used by new middle-end connections`);
    }
    if (config.kind === "new") {
      o.apply(config.value);
      stats.configChanges++;
      result.configChanged = true;
      log.info(`configuration ${o.configPath} updated from ${o.configUrl} (${config.bytes.length} bytes, md5 ${config.value.meta.md5}), new configuration active`);
    }
    const nowSec = Math.floor(nowMs() / 1000);
    if (result.configChanged || result.secretChanged) stats.lastChangedAt = nowSec;
    if (result.ok) {
      stats.ok++;
      stats.lastOkAt = nowSec;
      if (!result.configChanged && !result.secretChanged) log.debug("downloaded files are unchanged");
    } else {
      stats.failed++;
      stats.lastError = result.errors.join("; ");
    }
    return result;
  }

  function refreshNow(): Promise<RefreshResult> {
    running ??= round().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(delayMs: number): void {
    timer = timers.setTimeout(() => {
      timer = null;
      void refreshNow().finally(() => {
        if (!stopped) schedule(jittered(o.intervalSec));
      });
    }, delayMs);
  }

  return {
    start() {
      if (timer !== null || stopped || o.intervalSec <= 0) return;
      schedule(jittered(Math.min(o.intervalSec, FIRST_REFRESH_MAX_DELAY_SEC)));
    },
    stop() {
      stopped = true;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
    refreshNow,
    stats,
  };
}

async function defaultParse(bytes: Uint8Array, fileName: string): Promise<ParseOutcome> {
  const hosts = await readEtcHosts();
  return parseConfig(bytes, {
    fileName,
    hosts: hosts === null ? null : parseHostsFile(hosts),
    system: systemResolver,
    loadedAt: Math.floor(Date.now() / 1000),
  });
}

/** A hidden temporary beside the target (same filesystem), fsynced, then rename(2) over it. */
export async function writeAtomically(path: string, bytes: Uint8Array, random: RandomSource = systemRandom): Promise<void> {
  let mode = 0o644;
  try {
    mode = (await stat(path)).mode & 0o7777;
  } catch (e) {
    if (!(e instanceof Error)) throw e;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${random.bytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await removeLeftover(tmp);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await removeLeftover(tmp);
    throw e;
  }
}

/** Best effort: the write already failed and that error is the one worth reporting. */
async function removeLeftover(tmp: string): Promise<void> {
  try {
    await unlink(tmp);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
