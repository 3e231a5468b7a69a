// proxy-multi.conf → ProxyConfig (config-and-cli.md §A.3, §A.4); mirrors mtproto-config.c parse_config
// and cfg_parse_server_port. Two steps: a synchronous scan that records every host word with the
// error C would print for it, then resolution (injected) in which the first failure in file order wins.
import { md5Hex } from "../crypto/hash.ts";
import { ConfigCursor } from "./lexer.ts";
import { resolveHostWord, type HostResolution } from "./resolve-host.ts";
import type { ConfigCluster, ConfigMeta, ConfigTarget, ProxyConfig, TargetAddress } from "./types.ts";

export const MAX_CFG_CLUSTERS = 1024;
export const MAX_CFG_TARGETS = 4096;
export const DEFAULT_CFG_MIN_CONNECTIONS = 4;
export const DEFAULT_CFG_MAX_CONNECTIONS = 8;
/** preinit_config: 0.3 s when no `timeout` statement. */
export const DEFAULT_CFG_TIMEOUT_MS = 300;

export interface HostToken {
  /** The word as written: `name`, `1.2.3.4` or `[v6]`. */
  readonly text: string;
  /** Byte offset of the word and the line number C would print there. */
  readonly pos: number;
  readonly lineNo: number;
  /** What C prints if this word does not resolve (`fatal: cannot resolve '<w>'\n near <w>`). */
  readonly resolveError: string;
}

export interface ProxyStatement {
  readonly clusterId: number;
  readonly host: HostToken;
  readonly port: number;
  readonly minConnections: number;
  readonly maxConnections: number;
}

/**
 * The result of the synchronous scan. `hosts` lists every host word read, in file order, including
 * one in a statement that then failed: C resolves it before it can see the later syntax error.
 */
export type ConfigScan =
  | { ok: true; hosts: HostToken[]; proxies: ProxyStatement[]; defaultClusterId: number; timeoutMs: number }
  | { ok: false; hosts: HostToken[]; error: string };

/** C's parse_config without name resolution. `fileName` is used in the error prefix. */
export function scanConfig(src: Uint8Array, fileName: string): ConfigScan {
  const cur = new ConfigCursor(src, fileName);
  const proxies: ProxyStatement[] = [];
  const hosts: HostToken[] = [];
  const clusterIds: number[] = [];
  let minConnections = DEFAULT_CFG_MIN_CONNECTIONS;
  let maxConnections = DEFAULT_CFG_MAX_CONNECTIONS;
  let timeoutMs = DEFAULT_CFG_TIMEOUT_MS;
  let defaultClusterId = 0;
  let haveProxy = false;
  const fail = (msg: string): ConfigScan => ({ ok: false, hosts, error: cur.syntaxMessage(msg) });

  while (cur.skipSpace() !== 0) {
    const lex = cur.nextLexeme();
    let clusterId = 0;
    switch (lex) {
      case "timeout": {
        const t = Number(cur.readInt());
        if (t < 10 || t > 30000) return fail("invalid timeout");
        timeoutMs = t;
        break;
      }
      case "default":
      case "proxy_for":
      case "proxy": {
        if (lex !== "proxy") {
          const id = cur.readSignedInt();
          if (id === null || id < -0x8000n || id >= 0x8000n) {
            return fail("invalid target id (integer -32768..32767 expected)");
          }
          if (lex === "default") {
            defaultClusterId = Number(id);
            break;
          }
          if (cur.peek() !== 0x20 && cur.peek() !== 0x09) return fail("space expected after target id");
          cur.skipBlanks();
          clusterId = Number(id);
        }
        haveProxy = true;
        if (clusterIds.length >= MAX_CFG_CLUSTERS) return fail("too many auth clusters");
        // cfg_parse_server_port
        if (proxies.length >= MAX_CFG_TARGETS) return fail(`too many targets (${proxies.length})`);
        const len = cur.wordLength();
        if (len === 0 || len > 63) return fail("hostname expected");
        const text = cur.text(len);
        const host: HostToken = {
          text,
          pos: cur.pos,
          lineNo: cur.lineNo,
          resolveError: cur.syntaxMessage(`cannot resolve '${text}'\n`, cur.pos, cur.lineNo, cur.pos + len),
        };
        hosts.push(host);
        cur.pos += len;
        if (cur.nextLexeme() !== ":") return fail(": expected");
        const port = Number(BigInt.asIntN(32, cur.readInt()));
        if (port === 0) return fail("port number expected");
        if (port < 0 || port >= 0x10000) return fail(`port number ${port} out of range`);
        // mf_cluster_lookup: a new id opens a cluster; an old one must be the last one.
        const idx = clusterIds.indexOf(clusterId);
        if (idx === -1) clusterIds.push(clusterId);
        else if (idx !== clusterIds.length - 1) return fail(`proxies for dc ${clusterId} intermixed`);
        proxies.push({ clusterId, host, port, minConnections, maxConnections });
        break;
      }
      case "max_connections":
        maxConnections = Number(BigInt.asIntN(32, cur.readInt()));
        if (maxConnections < minConnections || maxConnections > 1000) return fail("invalid max connections");
        break;
      case "min_connections":
        minConnections = Number(BigInt.asIntN(32, cur.readInt()));
        if (minConnections < 1 || minConnections > maxConnections) return fail("invalid min connections");
        break;
      case "eof":
        break;
      default:
        return fail("'proxy <ip>:<port>;' expected");
    }
    if (lex === "eof") break;
    if (cur.nextLexeme() !== ";") return fail("; expected");
  }
  if (!haveProxy) return fail("expected to find a mtproto-proxy configuration with `proxy' directives");
  return { ok: true, hosts, proxies, defaultClusterId, timeoutMs };
}

export interface ParseOptions extends HostResolution {
  fileName: string;
  /** Unix seconds for meta.loadedAt. */
  loadedAt: number;
}

export type ParseOutcome = { ok: true; config: ProxyConfig } | { ok: false; error: string };

/** Scan, resolve every host word, build the frozen ProxyConfig; or C's first error message. */
export async function parseConfig(src: Uint8Array, opts: ParseOptions): Promise<ParseOutcome> {
  const scan = scanConfig(src, opts.fileName);
  const words = [...new Set(scan.hosts.map((h) => h.text))];
  const found = await Promise.all(words.map((w) => resolveHostWord(w, opts)));
  const addresses = new Map(words.map((w, i) => [w, found[i] ?? null]));
  for (const h of scan.hosts) {
    if (addresses.get(h.text) === null) return { ok: false, error: h.resolveError };
  }
  if (!scan.ok) return { ok: false, error: scan.error };
  const meta: ConfigMeta = Object.freeze({
    fileName: opts.fileName,
    bytes: src.length,
    md5: md5Hex(src),
    loadedAt: opts.loadedAt,
  });
  return { ok: true, config: buildConfig(scan, (w) => addresses.get(w)!, meta) };
}

/** Targets are shared by ip:port; like C's create_target, the last statement's min/max win. */
export function buildConfig(
  scan: Extract<ConfigScan, { ok: true }>,
  addressOf: (word: string) => TargetAddress,
  meta: ConfigMeta,
): ProxyConfig {
  const keyed = scan.proxies.map((p) => {
    const a = addressOf(p.host.text);
    const address: TargetAddress = Object.freeze({ host: a.host, port: p.port, family: a.family });
    const key = a.family === 6 ? `[${a.host}]:${p.port}` : `${a.host}:${p.port}`;
    return { p, address, key };
  });
  const limits = new Map<string, ProxyStatement>();
  for (const { p, key } of keyed) limits.set(key, p);
  const targets = new Map<string, ConfigTarget>();
  for (const { address, key } of keyed) {
    if (targets.has(key)) continue;
    const last = limits.get(key)!;
    targets.set(
      key,
      Object.freeze({ address, key, minConnections: last.minConnections, maxConnections: last.maxConnections }),
    );
  }
  const members = new Map<number, ConfigTarget[]>();
  for (const { p, key } of keyed) {
    let list = members.get(p.clusterId);
    if (!list) members.set(p.clusterId, (list = []));
    list.push(targets.get(key)!);
  }
  const clusters = new Map<number, ConfigCluster>();
  for (const [id, list] of members) clusters.set(id, Object.freeze({ id, targets: Object.freeze(list) }));
  return Object.freeze({
    clusters,
    defaultClusterId: scan.defaultClusterId,
    targets: Object.freeze([...targets.values()]),
    timeoutMs: scan.timeoutMs,
    meta,
  });
}
