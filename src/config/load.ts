// The only config I/O: read proxy-multi.conf, /etc/hosts and DNS, then parse (config-and-cli.md §A.4, §A.5).
// Mirrors do_reload_config + load_config: one read of at most 16 MiB + 1 byte, C's messages and codes.
import { lookup } from "node:dns/promises";
import { open, stat } from "node:fs/promises";
import { ConfigError } from "../errors.ts";
import { MAX_HOSTS_SIZE, parseHostsFile } from "./hosts-file.ts";
import { parseConfig } from "./parse.ts";
import type { SystemResolver } from "./resolve-host.ts";
import { strerror } from "./strerror.ts";
import type { ProxyConfig } from "./types.ts";

export const MAX_CONFIG_SIZE = 16 << 20;

export type LimitedRead = { ok: true; bytes: Uint8Array } | { ok: false; stage: "open" | "read"; error: unknown };

export interface LoadDeps {
  /** open() + a single read() of at most `limit` bytes. */
  readLimited?: (path: string, limit: number) => Promise<LimitedRead>;
  /** /etc/hosts bytes, or null when C would not load it. */
  readHosts?: () => Promise<Uint8Array | null>;
  system?: SystemResolver;
  /** Unix seconds. */
  now?: () => number;
  /**
   * C's load_config names the file by the name of the previous successful read, which is "(null)" on
   * the first load: startup prints `configuration file (null) too long ...`. Set on reloads.
   */
  reload?: boolean;
}

/**
 * A failed load. `stderrLines` are written raw (fprintf); `logLines` go through the logger (kprintf).
 * `code` is C's do_reload_config result; startup prints configCheckFailedLine() and exits with -code.
 */
export class ConfigLoadError extends ConfigError {
  constructor(
    readonly code: -1 | -2,
    readonly stderrLines: readonly string[],
    readonly logLines: readonly string[],
  ) {
    super([...stderrLines, ...logLines].join("\n"), -code);
  }
}

export function configReloadedLine(fileName: string, bytes: number): string {
  return `configuration file ${fileName} re-read successfully (${bytes} bytes parsed), new configuration active`;
}

export function configCheckFailedLine(err: ConfigLoadError): string {
  return `config check failed! (code ${err.code})`;
}

export async function readLimited(path: string, limit: number): Promise<LimitedRead> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch (error) {
    return { ok: false, stage: "open", error };
  }
  try {
    const buf = Buffer.allocUnsafe(limit);
    const { bytesRead } = await fh.read(buf, 0, limit, null);
    return { ok: true, bytes: buf.subarray(0, bytesRead) };
  } catch (error) {
    return { ok: false, stage: "read", error };
  } finally {
    await fh.close();
  }
}

/** kdb_load_hosts: a regular file under 16 MiB, read whole, else not loaded. */
export async function readEtcHosts(path = "/etc/hosts"): Promise<Uint8Array | null> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size >= MAX_HOSTS_SIZE) return null;
    const r = await readLimited(path, st.size + 1);
    return r.ok && r.bytes.length === st.size ? r.bytes : null;
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
}

export const systemResolver: SystemResolver = async (name, family) => {
  try {
    return (await lookup(name, { family })).address;
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
};

/** Reads and parses the config; throws ConfigLoadError with C's text and exit code. */
export async function loadConfigFile(path: string, deps: LoadDeps = {}): Promise<ProxyConfig> {
  const read = await (deps.readLimited ?? readLimited)(path, MAX_CONFIG_SIZE + 1);
  const reloadFailed = `error while re-reading config file ${path}, new configuration NOT applied`;
  const nameInLoad = deps.reload ? path : "(null)";
  if (!read.ok && read.stage === "open") {
    throw new ConfigLoadError(-1, [], [`cannot re-read config file ${path}: ${strerror(read.error)}`]);
  }
  if (!read.ok) {
    throw new ConfigLoadError(-2, [`error reading configuration file ${nameInLoad}: ${strerror(read.error)}`], [reloadFailed]);
  }
  if (read.bytes.length > MAX_CONFIG_SIZE) {
    throw new ConfigLoadError(-2, [`configuration file ${nameInLoad} too long (max ${MAX_CONFIG_SIZE} bytes)`], [reloadFailed]);
  }
  const hostsBytes = await (deps.readHosts ?? readEtcHosts)();
  const outcome = await parseConfig(read.bytes, {
    fileName: path,
    hosts: hostsBytes === null ? null : parseHostsFile(hostsBytes),
    system: deps.system ?? systemResolver,
    loadedAt: deps.now ? deps.now() : Math.floor(Date.now() / 1000),
  });
  if (!outcome.ok) throw new ConfigLoadError(-1, [outcome.error], [reloadFailed]);
  return outcome.config;
}

/** For reloads: never throws; a failed load leaves the caller's running config untouched. */
export async function tryLoadConfig(
  path: string,
  deps: LoadDeps = {},
): Promise<{ ok: true; config: ProxyConfig } | { ok: false; error: ConfigLoadError }> {
  try {
    return { ok: true, config: await loadConfigFile(path, deps) };
  } catch (error) {
    if (error instanceof ConfigLoadError) return { ok: false, error };
    return {
      ok: false,
      error: new ConfigLoadError(-1, [], [`cannot re-read config file ${path}: ${strerror(error)}`]),
    };
  }
}
