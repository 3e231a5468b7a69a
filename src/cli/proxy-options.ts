// The parsed command line of `mtproto-proxy` (config-and-cli.md §C.2): what every other layer
// reads. Produced only by cli/parse-args.ts; frozen after parsing.

export interface NatRule {
  /** Local IPv4 address, dotted. */
  local: string;
  /** Global (public) IPv4 address, dotted. */
  global: string;
}

export interface PortRange {
  start: number;
  end: number;
  /** Written as `a:b` (C: a range with no free port exits 2; a single port that fails exits 1). */
  isRange: boolean;
}

export interface ProxyOptions {
  // ---- engine options (C: engine.c, engine-net.c, server-functions.c)
  /** -v (count) / --verbosity=N */
  verbosity: number;
  /** -6 / --ipv6: client ports listen dual-stack on [::]. */
  ipv6: boolean;
  /** -p / --port: local stats port (127.0.0.1), or a range; null when not given. */
  port: PortRange | null;
  /** -u / --user; null when not given. */
  user: string | null;
  /** -b / --backlog (default 8192; Bun caps the real backlog at 512). */
  backlog: number;
  /** -c / --connections (default 65536). */
  maxConnections: number;
  /** -l / --log; null when not given. */
  logFile: string | null;
  /** -d / --daemonize (toggle, or --daemonize=N). Never forks. */
  daemonize: boolean;
  /** --aes-pwd: proxy secret file; null = the default `secret` in cwd, optional. */
  aesPwdFile: string | null;
  /** --nice; null when not given. */
  nice: number | null;
  /** --msg-buffers-size in bytes (default 268435456). */
  msgBuffersSize: number;
  /** --disable-tcp */
  disableTcp: boolean;
  /** --crc32c (no-op in C: CRC32C is always requested). */
  crc32c: boolean;
  /** --allow-skip-dh */
  allowSkipDh: boolean;
  /** --force-dh (no-op in C). */
  forceDh: boolean;
  /** --max-accept-rate (0 = unlimited). */
  maxAcceptRate: number;
  /** --max-dh-accept-rate (0 = unlimited). */
  maxDhAcceptRate: number;
  /** --nat-info, in command-line order, at most 16. */
  natInfo: NatRule[];
  /** --address: IPv4 bind address for -H sockets and outbound ME connections; null = any. */
  address: string | null;
  /** --cpu-threads, --io-threads, --multithread, --tcp-cpu-threads, --tcp-iothreads: accepted, unused. */
  ignoredThreadOptions: Record<string, string | true>;

  // ---- mtproto-proxy options (C: mtproto-proxy.c f_parse_option)
  /** -H / --http-ports: client ports in order, at most 128. */
  httpPorts: number[];
  /** -M / --slaves: worker processes (0 = single process). */
  workers: number;
  /** -S / --mtproto-secret and --mtproto-secret-file, in command-line order; 16 bytes each, at most 128. */
  secrets: Uint8Array[];
  /** -P / --proxy-tag: 16 bytes; the last one wins. */
  proxyTag: Uint8Array | null;
  /** -D / --domain, in order; the first is the default domain. Non-empty = TLS-only mode. */
  domains: string[];
  /** -C / --max-special-connections: per-worker client cap (0 = no limit). */
  maxSpecialConnections: number;
  /** -T / --ping-interval in seconds (C parses and ignores it; we ping the middle-end with it). */
  pingIntervalSec: number;
  /** -W / --window-clamp (0 = C default: 131072 without -D). */
  windowClamp: number;
  /** --http-stats: serve /stats (and /metrics) on -p. */
  httpStats: boolean;
  /** Positional: proxy-multi.conf; null only in --direct mode. */
  configFile: string | null;

  // ---- beyond C (README "Deliberate differences")
  /** --direct: relay clients straight to Telegram DCs; no config file or proxy secret needed. */
  direct: boolean;
  /** --direct-dc <dc>=<host:port>, repeatable: override one DC address in direct mode. */
  directDcs: Map<number, { host: string; port: number }>;
  /** --tls-strict: C's 512..767-byte ClientHello rule and 1425-byte output records. */
  tlsStrict: boolean;
  /** --config-refresh <seconds>: download proxy-multi.conf (and the --aes-pwd file) this often; 0 = off. */
  configRefreshSec: number;
  /** --config-url: where the refresh downloads proxy-multi.conf. */
  configUrl: string;
  /** --secret-url: where the refresh downloads the proxy secret (only with --aes-pwd). */
  secretUrl: string;
}
