// The option table of `mtproto-proxy`, in the order `--help` lists them (config-and-cli.md §C.2/§C.3):
// C sorts by option value (the short letter's code, internal numbers for long-only options), so each
// entry keeps C's `val`. Help texts are C's, verbatim. Adding an option is adding one entry here.
import { atof, atoi, isIpv4Literal, parseMemoryLimit } from "./c-number.ts";
import { cliFail, CommandLineError } from "./command-line-error.ts";
import type { ArgKind, GetoptSpec } from "./getopt.ts";
import { decodeHexSecret } from "./hex-secret.ts";
import { MAX_HTTP_PORTS, parseDirectDc, parseHttpPorts, parseNatInfo, parsePortOption } from "./option-values.ts";
import type { ProxyOptions } from "./proxy-options.ts";
import { MAX_MTFRONT_SECRETS, parseSecretFile, secretFileReadError, type ReadFile } from "./secret-file.ts";

/** MAX_CONNECTIONS (net-connections.h) */
export const MAX_CONNECTIONS = 65536;
/** DEFAULT_BACKLOG (server-functions.h) */
export const DEFAULT_BACKLOG = 8192;
/** MSG_DEFAULT_MAX_ALLOCATED_BYTES (net-msg-buffers.h) */
export const MSG_DEFAULT_MAX_ALLOCATED_BYTES = 1 << 28;
/** PING_INTERVAL (mtproto-proxy.c) */
export const PING_INTERVAL = 5.0;
/** MAX_WORKERS (mtproto-proxy.c) */
export const MAX_WORKERS = 256;
/** Telegram's published proxy-multi.conf and proxy secret (the C README's curl commands). */
export const DEFAULT_CONFIG_URL = "https://core.telegram.org/getProxyConfig";
export const DEFAULT_SECRET_URL = "https://core.telegram.org/getProxySecret";
/** --config-refresh bounds: at least 1 s (tests), at most a week. */
export const MAX_CONFIG_REFRESH_SEC = 7 * 24 * 3600;

export interface OptionContext {
  readFile: ReadFile;
  /** The option as written (`-H`, `--http-ports`), for messages. */
  name: string;
}

/** Nothing (accepted), `help` (print usage, exit 2), or the error to report. */
export type ApplyOutcome = void | "help" | CommandLineError;

export interface OptionDef extends GetoptSpec {
  /** C's option value: the short letter's code, or C's internal number; it orders the table. */
  readonly val: number;
  readonly long: string;
  readonly short?: string;
  readonly arg: ArgKind;
  /** C's help text, verbatim. */
  readonly help: string;
  apply(o: ProxyOptions, value: string | null, ctx: OptionContext): ApplyOutcome;
}

export function defaultProxyOptions(): ProxyOptions {
  return {
    verbosity: 0,
    ipv6: false,
    port: null,
    user: null,
    backlog: DEFAULT_BACKLOG,
    maxConnections: MAX_CONNECTIONS,
    logFile: null,
    daemonize: false,
    aesPwdFile: null,
    nice: null,
    msgBuffersSize: MSG_DEFAULT_MAX_ALLOCATED_BYTES,
    disableTcp: false,
    crc32c: false,
    allowSkipDh: false,
    forceDh: false,
    maxAcceptRate: 0,
    maxDhAcceptRate: 0,
    natInfo: [],
    address: null,
    ignoredThreadOptions: {},
    httpPorts: [],
    workers: 0,
    secrets: [],
    proxyTag: null,
    domains: [],
    maxSpecialConnections: MAX_CONNECTIONS,
    pingIntervalSec: PING_INTERVAL,
    windowClamp: 0,
    httpStats: false,
    configFile: null,
    direct: false,
    directDcs: new Map(),
    tlsStrict: false,
    configRefreshSec: 0,
    configUrl: DEFAULT_CONFIG_URL,
    secretUrl: DEFAULT_SECRET_URL,
  };
}

const arg = (value: string | null): string => value ?? "";

/** -S / -P: upstream's messages, including the `'S'` it prints for a bad -P digit. */
function hexSecret(letter: "S" | "P", value: string): Uint8Array | CommandLineError {
  const d = decodeHexSecret(value);
  if (d.ok) return d.bytes;
  return cliFail(
    d.reason === "length"
      ? `'${letter}' option requires exactly 32 hex digits`
      : `'S' option requires exactly 32 hex digits. '${d.char}' is not hexdigit`,
  );
}

function addSecrets(o: ProxyOptions, secrets: Uint8Array[]): ApplyOutcome {
  if (o.secrets.length + secrets.length > MAX_MTFRONT_SECRETS) {
    return cliFail(`too many mtproto secrets: ${MAX_MTFRONT_SECRETS + 1} (max ${MAX_MTFRONT_SECRETS})`);
  }
  o.secrets.push(...secrets);
}

/** C's tcp_set_max_connections: -C is lowered to -c (and 0 becomes -c) when -c is applied. */
function setMaxConnections(o: ProxyOptions, value: number): void {
  o.maxConnections = value <= 0 ? MAX_CONNECTIONS : value;
  if (o.maxSpecialConnections === 0 || o.maxSpecialConnections > o.maxConnections) {
    o.maxSpecialConnections = o.maxConnections;
  }
}

function threadOption(val: number, long: string, arg: ArgKind, help: string): OptionDef {
  return {
    val,
    long,
    arg,
    help,
    apply(o, value) {
      o.ignoredThreadOptions[long] = value ?? true;
    },
  };
}

/** --config-refresh downloads middle-end files, which --direct does not use. */
function refreshWithDirect(): CommandLineError {
  return cliFail("--config-refresh cannot be used with --direct: direct mode reads no proxy-multi.conf or proxy secret", 2, false);
}

/** An absolute http(s) URL, as fetch() will take it. */
function httpUrl(text: string, name: string, set: (url: string) => void): ApplyOutcome {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return cliFail(`invalid ${name} '${text}': expected an http:// or https:// URL`, 2, false);
  }
  set(url.href);
}

export const OPTIONS: readonly OptionDef[] = [
  { val: 54, long: "ipv6", short: "6", arg: "none", help: "enables ipv6 TCP/UDP support", apply: (o) => void (o.ipv6 = true) },
  {
    val: 67, long: "max-special-connections", short: "C", arg: "required",
    help: "sets maximal number of accepted client connections per worker",
    apply: (o, v) => void (o.maxSpecialConnections = Math.max(0, atoi(arg(v)))),
  },
  {
    val: 68, long: "domain", short: "D", arg: "required",
    help: "adds allowed domain for TLS-transport mode, disables other transports; can be specified more than once",
    apply: (o, v) => void o.domains.push(arg(v)),
  },
  {
    val: 72, long: "http-ports", short: "H", arg: "required",
    help: "comma-separated list of client (HTTP) ports to listen",
    apply(o, v, ctx) {
      const r = parseHttpPorts(arg(v), o.httpPorts.length);
      if (r.ok) return void o.httpPorts.push(...r.ports);
      if (r.kind === "range") return cliFail(`port ${r.port} in ${ctx.name} '${v}' is out of range 1..65535`, 1, false);
      if (r.kind === "too-many") return cliFail(`too many ports in ${ctx.name} '${v}' (max ${MAX_HTTP_PORTS} in total)`);
      return cliFail(`invalid port list '${v}' in ${ctx.name}: expected <port>{,<port>} with ports 1..65535`);
    },
  },
  {
    val: 77, long: "slaves", short: "M", arg: "required",
    help: "spawn several slave workers; not recommended for TLS-transport mode for better replay protection",
    apply(o, v, ctx) {
      const n = atoi(arg(v));
      if (n < 0 || n > MAX_WORKERS) return cliFail(`invalid ${ctx.name} '${v}': the number of workers must be 0..${MAX_WORKERS}`, 1, false);
      o.workers = n;
    },
  },
  {
    val: 80, long: "proxy-tag", short: "P", arg: "required",
    help: "16-byte proxy tag in hex mode to be passed along with all forwarded queries",
    apply(o, v) {
      const tag = hexSecret("P", arg(v));
      if (tag instanceof CommandLineError) return tag;
      o.proxyTag = tag;
    },
  },
  {
    val: 83, long: "mtproto-secret", short: "S", arg: "required", help: "16-byte secret in hex mode",
    apply(o, v) {
      const secret = hexSecret("S", arg(v));
      return secret instanceof CommandLineError ? secret : addSecrets(o, [secret]);
    },
  },
  {
    val: 84, long: "ping-interval", short: "T", arg: "required",
    help: `sets ping interval in second for local TCP connections (default ${PING_INTERVAL.toFixed(3)})`,
    apply(o, v) {
      const t = atof(arg(v));
      // C keeps NaN and inf; a timer cannot use them, so they fall back to the default like ≤ 0.
      o.pingIntervalSec = t > 0 && Number.isFinite(t) ? t : PING_INTERVAL;
    },
  },
  {
    val: 87, long: "window-clamp", short: "W", arg: "required", help: "sets window clamp for client TCP connections",
    apply: (o, v) => void (o.windowClamp = atoi(arg(v))),
  },
  { val: 98, long: "backlog", short: "b", arg: "required", help: "sets backlog size", apply: (o, v) => void (o.backlog = atoi(arg(v))) },
  {
    val: 99, long: "connections", short: "c", arg: "required", help: "sets maximal connections number",
    apply: (o, v) => setMaxConnections(o, atoi(arg(v))),
  },
  {
    val: 100, long: "daemonize", short: "d", arg: "optional", help: "changes between daemonize/not daemonize mode",
    apply: (o, v) => void (o.daemonize = v === null ? !o.daemonize : atoi(v) !== 0),
  },
  { val: 104, long: "help", short: "h", arg: "none", help: "prints help and exits", apply: () => "help" },
  { val: 108, long: "log", short: "l", arg: "required", help: "sets log file name", apply: (o, v) => void (o.logFile = arg(v)) },
  {
    val: 112, long: "port", short: "p", arg: "required", help: "<port> or <sport>:<eport> sets listening port number or port range",
    apply(o, v, ctx) {
      const r = parsePortOption(arg(v));
      if (r.ok) return void (o.port = r.range);
      return cliFail(
        r.outOfRange
          ? `invalid port '${v}' in ${ctx.name}: ports are 1..65535`
          : `invalid port '${v}' in ${ctx.name}: expected <port> or <start>:<end> with 0 < start <= end`,
      );
    },
  },
  {
    val: 117, long: "user", short: "u", arg: "required", help: "sets user name to make setuid",
    apply(o, v) {
      if (o.user !== null) return cliFail(`wrong option -u${v}, username is already defined as '${o.user}'.`, 1, false);
      o.user = arg(v);
    },
  },
  {
    val: 118, long: "verbosity", short: "v", arg: "optional", help: "sets or increases verbosity level",
    apply: (o, v) => void (o.verbosity = v === null ? o.verbosity + 1 : atoi(v)),
  },
  { val: 200, long: "aes-pwd", arg: "required", help: "sets custom secret.conf file", apply: (o, v) => void (o.aesPwdFile = arg(v)) },
  // nice(2) is relative, so C's repeated --nice options add up.
  { val: 202, long: "nice", arg: "required", help: "sets niceness", apply: (o, v) => void (o.nice = (o.nice ?? 0) + atoi(arg(v))) },
  {
    val: 208, long: "msg-buffers-size", arg: "required", help: `sets maximal buffers size (default ${MSG_DEFAULT_MAX_ALLOCATED_BYTES})`,
    apply(o, v) {
      const r = parseMemoryLimit(arg(v));
      if (r.ok) return void (o.msgBuffersSize = r.bytes);
      return cliFail(r.reason === "number" ? `Parsing limit for option fail: ${v}` : `Parsing limit fail. Unknown suffix '${r.suffix}'.`);
    },
  },
  { val: 214, long: "disable-tcp", arg: "none", help: "do not open listening tcp socket", apply: (o) => void (o.disableTcp = true) },
  { val: 224, long: "crc32c", arg: "none", help: "Try to use crc32c instead of crc32 in tcp rpc", apply: (o) => void (o.crc32c = true) },
  threadOption(227, "cpu-threads", "required", "Number of CPU threads (1-64, default 8)"),
  threadOption(228, "io-threads", "required", "Number of I/O threads (1-64, default 16)"),
  { val: 229, long: "allow-skip-dh", arg: "none", help: "Allow skipping DH during RPC handshake", apply: (o) => void (o.allowSkipDh = true) },
  { val: 230, long: "force-dh", arg: "none", help: "Force using DH for all outbound RPC connections", apply: (o) => void (o.forceDh = true) },
  {
    val: 249, long: "max-accept-rate", arg: "required", help: "max number of connections per second that is allowed to accept",
    apply: (o, v) => void (o.maxAcceptRate = atoi(arg(v))),
  },
  {
    val: 250, long: "max-dh-accept-rate", arg: "required", help: "max number of DH connections per second that is allowed to accept",
    apply: (o, v) => void (o.maxDhAcceptRate = atoi(arg(v))),
  },
  threadOption(258, "multithread", "optional", "run in multithread mode"),
  threadOption(301, "tcp-cpu-threads", "required", "number of tcp-cpu threads"),
  threadOption(302, "tcp-iothreads", "required", "number of tcp-io threads"),
  {
    val: 372, long: "nat-info", arg: "required", help: "<local-addr>:<global-addr>\tsets network address translation for RPC protocol handshake",
    apply(o, v) {
      const r = parseNatInfo(arg(v), o.natInfo.length);
      if (r.ok) return void o.natInfo.push(r.rule);
      return new CommandLineError([{ text: r.message, via: "stderr" }]);
    },
  },
  {
    val: 373, long: "address", arg: "required", help: "tries to bind socket only to specified address",
    apply(o, v) {
      if (!isIpv4Literal(arg(v))) return cliFail(`Can not convert '${v}' to ip addr: Success`, 4, false);
      o.address = arg(v);
    },
  },
  { val: 2000, long: "http-stats", arg: "none", help: "allow http server to answer on stats queries", apply: (o) => void (o.httpStats = true) },
  {
    val: 2001, long: "mtproto-secret-file", arg: "required", help: "path to file with mtproto secrets (comma or whitespace-separated)",
    apply(o, v, ctx) {
      const file = arg(v);
      const read = ctx.readFile(file);
      if (!read.ok) return cliFail(secretFileReadError(file, read));
      const r = parseSecretFile(read.text, file, o.secrets.length);
      return r.ok ? addSecrets(o, r.secrets) : cliFail(r.messages);
    },
  },
  // ---- beyond C: long-only, numbered after C's options so they are listed last.
  {
    val: 3000, long: "direct", arg: "none", help: "relay clients straight to Telegram DCs (no config file or proxy secret needed)",
    apply(o) {
      if (o.configRefreshSec > 0) return refreshWithDirect();
      o.direct = true;
    },
  },
  {
    val: 3001, long: "direct-dc", arg: "required",
    help: "<dc>=<host>:<port> overrides one DC address in --direct mode; can be specified more than once",
    apply(o, v) {
      const r = parseDirectDc(arg(v));
      if (!r.ok) return cliFail(r.message, 2, false);
      o.directDcs.set(r.entry.dc, { host: r.entry.host, port: r.entry.port });
    },
  },
  {
    val: 3002, long: "tls-strict", arg: "none", help: "C-strict fake-TLS: only 512..767-byte ClientHellos and 1425-byte records",
    apply: (o) => void (o.tlsStrict = true),
  },
  {
    val: 3003, long: "config-refresh", arg: "required",
    help: "<seconds> re-downloads proxy-multi.conf (and the --aes-pwd file) this often and applies changes; 0 = off (default)",
    apply(o, v, ctx) {
      const text = arg(v);
      const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
      if (!(n >= 0 && n <= MAX_CONFIG_REFRESH_SEC)) {
        return cliFail(`invalid ${ctx.name} '${text}': expected whole seconds 0..${MAX_CONFIG_REFRESH_SEC} (0 = off)`, 2, false);
      }
      if (n > 0 && o.direct) return refreshWithDirect();
      o.configRefreshSec = n;
    },
  },
  {
    val: 3004, long: "config-url", arg: "required", help: `<url> where --config-refresh downloads proxy-multi.conf (default ${DEFAULT_CONFIG_URL})`,
    apply: (o, v, ctx) => httpUrl(arg(v), ctx.name, (u) => void (o.configUrl = u)),
  },
  {
    val: 3005, long: "secret-url", arg: "required", help: `<url> where --config-refresh downloads the --aes-pwd secret (default ${DEFAULT_SECRET_URL})`,
    apply: (o, v, ctx) => httpUrl(arg(v), ctx.name, (u) => void (o.secretUrl = u)),
  },
];
