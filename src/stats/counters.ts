// The figures one proxy process keeps (stats.md §4, C: the globals read by mtfront_prepare_stats,
// connections_prepare_stat, worker_stats). The data plane increments plain fields directly; maps are
// touched only at connection boundaries. snapshot() is JSON-serialisable for worker → supervisor IPC.
// Where each figure comes from: src/process/stats-compose.ts. Fields marked "always 0 in this
// implementation" have no counterpart here; the key stays so that C scrapers keep working.

/**
 * Every scalar figure, summed field by field across workers (C add_stats; §6 decides per key which
 * process's value is printed). Gauges are "current" values the owner keeps up to date; counters only grow.
 */
export const SCALAR_FIELDS = [
  // ---- connections (net-connections.c): every TCP socket of the process, clients, ME links and /stats HTTP
  "activeConnections", // gauge: established sockets of any kind (C active_connections)
  "activeDhConnections", // always 0 in this implementation: we serve no inbound RPC (C's -p RPC side), so no DH
  "outboundConnections", // gauge: ME sockets that exist, including ones still connecting
  "readyOutboundConnections", // gauge: ME links with the RPC handshake done
  "activeOutboundConnections", // gauge: ME sockets TCP-connected
  "outboundConnectionsCreated", // counter: ME connect attempts started
  "totalConnectFailures", // counter: ME connections that failed before becoming active
  "inboundConnections", // gauge: accepted sockets (clients + /stats HTTP)
  "activeInboundConnections", // gauge: accepted sockets past accept-time checks
  "inboundConnectionsAccepted", // counter: accept() successes
  "listeningConnections", // gauge: -H listeners + the -p stats listener
  "unusedConnectionsClosed", // counter: ME links closed because their target left the config
  "readyTargets", // gauge: ME targets with ≥ 1 ready link
  "allocatedTargets", // gauge: ME targets allocated
  "activeTargets", // gauge: targets referenced by the current config (C total_declared_targets)
  "inactiveTargets", // always 0 in this implementation: a reload closes a removed target's links at once
  "freeTargets", // always 0 in this implementation: removed targets are forgotten, not kept on a free list
  "activeSpecialConnections", // gauge: client connections counted against -C
  "maxSpecialConnections", // setting: this process's -C limit (summed across workers as C does)
  "curAcceptRateRemaining",
  "maxConnection", // gauge: the highest file descriptor seen open (C: max_connection); serving process only
  "tcpReadCalls", // counter: data callbacks of the /stats listener only (client sockets are not counted per call)
  "tcpReadBytes", // counter: bytes received on client, fronting-origin, direct-DC and /stats sockets (not ME links)
  "tcpWriteCalls", // counter: write() calls of the /stats listener only
  "tcpWriteBytes", // counter: bytes sent on client, fronting-origin, direct-DC and /stats sockets (not ME links)
  "acceptCallsFailed", // always 0 in this implementation: Bun does not report failed accept() calls
  "acceptNonblockSetFailed", // always 0 in this implementation: Bun sets O_NONBLOCK itself
  "acceptConnectionLimitFailed", // always 0 in this implementation: over -c, accept() fails in the kernel (EMFILE) and Bun hides it
  "acceptRateLimitFailed", // counter: accepted then closed by --max-accept-rate
  "acceptInitAcceptedFailed", // counter: accepted then closed at init; here the -C cap (C pauses the listener instead)
  // ---- buffers (net-msg-buffers.c)
  "bufferedBytes", // always 0 in this implementation: queues are not summed process-wide (see the RSS figures)
  "bufferedChunks", // always 0 in this implementation (as bufferedBytes)
  // ---- crypto (net-crypto-aes.c, net-crypto-dh.c)
  "allocatedAesCrypto", // gauge: ME links with AES-CBC keys (C total_encrypted_connections)
  "dhRounds1", // always 0 in this implementation: ME links use no DH and we serve no inbound RPC
  "dhRounds2", // always 0 (as dhRounds1)
  "dhRounds3", // always 0 (as dhRounds1)
  // ---- MTProxy block (mtproto-proxy.c)
  "totForwardedQueries", // counter: RPC_PROXY_REQ sent
  "droppedQueries", // counter: client packets dropped, no ready ME link
  "totForwardedResponses", // counter: RPC_PROXY_ANS delivered to clients
  "droppedResponses", // counter: RPC_PROXY_ANS for unknown/mismatched conn ids
  "totForwardedSimpleAcks", // counter: RPC_SIMPLE_ACK delivered
  "droppedSimpleAcks", // counter: RPC_SIMPLE_ACK for unknown conn ids
  "rpcCloseConnSent",
  "connectionsFailedLru", // counter: clients shed by the process-wide output budget (memory pressure)
  "connectionsFailedFlood", // counter: client or /stats connections closed for overflowing their write queue
  "extConnections", // gauge: current client↔ME bindings (direct mode: open DC links)
  "extConnectionsCreated", // counter: bindings made (direct mode: DC links opened)
  "httpConnections", // gauge: open /stats HTTP connections
  "httpQueries", // counter: HTTP requests parsed (any status)
  "httpBadHeaders", // counter: malformed HTTP requests
  // ---- beyond C
  "bytesFromClients", // counter: client socket bytes received (all layers, TLS and obfuscation included)
  "bytesToClients", // counter: client socket bytes sent
  "packetsFromClients", // counter: MTProto packets forwarded to the ME (0 in direct mode: the stream is not parsed)
  "packetsToClients", // counter: RPC_PROXY_ANS answers handed to clients (0 in direct mode)
  "rejectedReplay", // counter: handshakes refused as replays
  "rejectedBadTimestamp", // counter: fake-TLS ClientHello outside the time window
  "rejectedUnknownSni", // counter: fake-TLS SNI not in -D
  "rejectedBadHmac", // counter: fake-TLS HMAC matches no secret
  "rejectedBadHandshake", // counter: any other refused handshake (no secret matched the obfuscated2 header, not a TLS hello, bad TLS shape)
  "frontedConnections", // counter: handed over to domain fronting (all causes, the 10 s alarm included)
  "blackholedConnections", // counter: bad clients held open and ignored (no -D)
  "specialLimitRejected", // counter: clients refused by -C
  "middleSilentCloses", // counter: ME links closed for silence (no pong)
  "dcFallbacks", // counter: clients whose DC index is unknown and went to the default (ME: default cluster, direct: DC 2)
] as const;

export type ScalarField = (typeof SCALAR_FIELDS)[number];
export type ScalarCounters = Record<ScalarField, number>;

/**
 * Per configured secret (-S order, 1-based in output). connectionsCreated counts handshakes; the other
 * figures need the session to tell its middle end / DC link which secret the client used
 * (ClientInfo.secretIndex) and stay 0 while it does not.
 */
export interface SecretSnapshot {
  /** Distinct client IPs holding a bound connection (fork: secret_<i>_active_connections). */
  activeIps: number;
  /** Distinct auth_key_ids among bound connections (fork: secret_<i>_active_auth_keys). */
  activeAuthKeys: number;
  connections: number;
  connectionsCreated: number;
  bytesFromClients: number;
  bytesToClients: number;
}

/**
 * Per client-requested DC (signed 16-bit id from the obfuscated2 header). Bytes are what crosses the
 * proxy between the client and its upstream: MTProto payloads in ME mode, the decrypted transport
 * stream in direct mode (where packets stay 0: the stream is relayed unparsed).
 */
export interface DcSnapshot {
  dc: number;
  /** ME mode: clients bound to a middle-end link now; direct mode: open DC links. */
  connections: number;
  /** Distinct clients that asked for this DC (ME: at their first forwarded packet; direct: at the handshake). */
  connectionsCreated: number;
  bytesFromClients: number;
  bytesToClients: number;
  packetsFromClients: number;
  packetsToClients: number;
  /** Client packets dropped for want of a ready middle-end link. */
  droppedQueries: number;
  /** Clients of this (unknown) DC sent to the default: ME default cluster, direct DC 2. */
  fallbacks: number;
}

/** The --config-refresh downloader's figures (config/refresh.ts RefreshStats); null when refresh is off. */
export interface RefreshStatsSnapshot {
  attempts: number;
  ok: number;
  failed: number;
  lastError: string | null;
  /** Unix seconds; 0 = never. */
  lastOkAt: number;
  lastChangedAt: number;
}

export interface ConfigStatsSnapshot {
  fileName: string;
  bytes: number;
  md5: string;
  /** Unix seconds when the config was applied. */
  loadedAt: number;
  /** Distinct proxy_for ids (C config_auth_clusters). */
  authClusters: number;
  reloadSuccesses: number;
  reloadFailures: number;
  lastReloadError: string | null;
  /** Unix seconds of the last failed reload; 0 if none. */
  lastReloadErrorAt: number;
}

export interface StatsSnapshot extends ScalarCounters {
  secrets: SecretSnapshot[];
  /** Sorted by dc id. */
  dcs: DcSnapshot[];
  config: ConfigStatsSnapshot | null;
  /** Config refresh figures of the process that runs the refresher (the supervisor under -M). */
  refresh: RefreshStatsSnapshot | null;
  /** MD5 hex of the --aes-pwd file, or "none". */
  aesPwdHash: string;
}

/** Hot-path object for one secret: the session keeps the reference and bumps fields. */
export class SecretCounters {
  connections = 0;
  connectionsCreated = 0;
  bytesFromClients = 0;
  bytesToClients = 0;
  readonly #ips = new Map<string, number>();
  readonly #authKeys = new Map<string, number>();

  /** A client of this secret got bound to an ME link (connection boundary). */
  clientBound(ip: string): void {
    this.#ips.set(ip, (this.#ips.get(ip) ?? 0) + 1);
  }
  clientUnbound(ip: string): void {
    refDown(this.#ips, ip);
  }
  /** `authKeyId`: the 8-byte auth_key_id as hex (or any stable text). */
  authKeyBound(authKeyId: string): void {
    this.#authKeys.set(authKeyId, (this.#authKeys.get(authKeyId) ?? 0) + 1);
  }
  authKeyUnbound(authKeyId: string): void {
    refDown(this.#authKeys, authKeyId);
  }
  snapshot(): SecretSnapshot {
    return {
      activeIps: this.#ips.size,
      activeAuthKeys: this.#authKeys.size,
      connections: this.connections,
      connectionsCreated: this.connectionsCreated,
      bytesFromClients: this.bytesFromClients,
      bytesToClients: this.bytesToClients,
    };
  }
}

function refDown(map: Map<string, number>, key: string): void {
  const n = map.get(key);
  if (n === undefined) return;
  if (n <= 1) map.delete(key);
  else map.set(key, n - 1);
}

/** Hot-path object for one DC, obtained once per session with ProxyStats.dc(). */
export class DcCounters {
  connections = 0;
  connectionsCreated = 0;
  bytesFromClients = 0;
  bytesToClients = 0;
  packetsFromClients = 0;
  packetsToClients = 0;
  droppedQueries = 0;
  fallbacks = 0;
  constructor(readonly dc: number) {}
  snapshot(): DcSnapshot {
    return {
      dc: this.dc,
      connections: this.connections,
      connectionsCreated: this.connectionsCreated,
      bytesFromClients: this.bytesFromClients,
      bytesToClients: this.bytesToClients,
      packetsFromClients: this.packetsFromClients,
      packetsToClients: this.packetsToClients,
      droppedQueries: this.droppedQueries,
      fallbacks: this.fallbacks,
    };
  }
}

/** One per process, built by main.ts and passed down in `deps.stats`. */
export class ProxyStats implements ScalarCounters {
  activeConnections = 0;
  activeDhConnections = 0;
  outboundConnections = 0;
  readyOutboundConnections = 0;
  activeOutboundConnections = 0;
  outboundConnectionsCreated = 0;
  totalConnectFailures = 0;
  inboundConnections = 0;
  activeInboundConnections = 0;
  inboundConnectionsAccepted = 0;
  listeningConnections = 0;
  unusedConnectionsClosed = 0;
  readyTargets = 0;
  allocatedTargets = 0;
  activeTargets = 0;
  inactiveTargets = 0;
  freeTargets = 0;
  activeSpecialConnections = 0;
  maxSpecialConnections = 0;
  curAcceptRateRemaining = 0;
  maxConnection = 0;
  tcpReadCalls = 0;
  tcpReadBytes = 0;
  tcpWriteCalls = 0;
  tcpWriteBytes = 0;
  acceptCallsFailed = 0;
  acceptNonblockSetFailed = 0;
  acceptConnectionLimitFailed = 0;
  acceptRateLimitFailed = 0;
  acceptInitAcceptedFailed = 0;
  bufferedBytes = 0;
  bufferedChunks = 0;
  allocatedAesCrypto = 0;
  dhRounds1 = 0;
  dhRounds2 = 0;
  dhRounds3 = 0;
  totForwardedQueries = 0;
  droppedQueries = 0;
  totForwardedResponses = 0;
  droppedResponses = 0;
  totForwardedSimpleAcks = 0;
  droppedSimpleAcks = 0;
  rpcCloseConnSent = 0;
  connectionsFailedLru = 0;
  connectionsFailedFlood = 0;
  extConnections = 0;
  extConnectionsCreated = 0;
  httpConnections = 0;
  httpQueries = 0;
  httpBadHeaders = 0;
  bytesFromClients = 0;
  bytesToClients = 0;
  packetsFromClients = 0;
  packetsToClients = 0;
  rejectedReplay = 0;
  rejectedBadTimestamp = 0;
  rejectedUnknownSni = 0;
  rejectedBadHmac = 0;
  rejectedBadHandshake = 0;
  frontedConnections = 0;
  blackholedConnections = 0;
  specialLimitRejected = 0;
  middleSilentCloses = 0;
  dcFallbacks = 0;

  aesPwdHash = "none";
  /** Indexed by secret position in -S order (0-based here, 1-based in output). */
  readonly secrets: readonly SecretCounters[];
  readonly #dcs = new Map<number, DcCounters>();
  /** The applied config and the reload figures, as the reloader (process/config-reload.ts) keeps them. */
  config: ConfigStatsSnapshot | null = null;

  constructor(opts: { secretCount?: number } = {}) {
    const n = opts.secretCount ?? 0;
    this.secrets = Array.from({ length: n }, () => new SecretCounters());
  }

  /** The counters of one DC, created on first use: call at connection boundaries, keep the reference. */
  dc(dc: number): DcCounters {
    let c = this.#dcs.get(dc);
    if (c === undefined) {
      c = new DcCounters(dc);
      this.#dcs.set(dc, c);
    }
    return c;
  }

  snapshot(): StatsSnapshot {
    const out = {} as ScalarCounters;
    for (const k of SCALAR_FIELDS) out[k] = this[k];
    const dcs = [...this.#dcs.values()].map((d) => d.snapshot()).sort((a, b) => a.dc - b.dc);
    return {
      ...out,
      secrets: this.secrets.map((s) => s.snapshot()),
      dcs,
      config: this.config === null ? null : { ...this.config },
      refresh: null,
      aesPwdHash: this.aesPwdHash,
    };
  }
}

/** A snapshot with every figure at zero (what a process that counted nothing reports). */
export function emptySnapshot(): StatsSnapshot {
  return new ProxyStats().snapshot();
}

/**
 * Field-wise sum of snapshots (C compute_stats_sum/add_stats over the worker slots). Secrets are
 * summed by position, DCs by id. Config, refresh and aesPwdHash come from the first snapshot that has one:
 * they are per-process facts, never summed.
 */
export function sumSnapshots(list: readonly StatsSnapshot[]): StatsSnapshot {
  const sum = emptySnapshot();
  const dcs = new Map<number, DcSnapshot>();
  for (const s of list) {
    for (const k of SCALAR_FIELDS) sum[k] += s[k];
    s.secrets.forEach((sec, i) => {
      const t = (sum.secrets[i] ??= {
        activeIps: 0,
        activeAuthKeys: 0,
        connections: 0,
        connectionsCreated: 0,
        bytesFromClients: 0,
        bytesToClients: 0,
      });
      t.activeIps += sec.activeIps;
      t.activeAuthKeys += sec.activeAuthKeys;
      t.connections += sec.connections;
      t.connectionsCreated += sec.connectionsCreated;
      t.bytesFromClients += sec.bytesFromClients;
      t.bytesToClients += sec.bytesToClients;
    });
    for (const d of s.dcs) {
      const t = dcs.get(d.dc);
      if (t === undefined) {
        dcs.set(d.dc, { ...d });
        continue;
      }
      t.connections += d.connections;
      t.connectionsCreated += d.connectionsCreated;
      t.bytesFromClients += d.bytesFromClients;
      t.bytesToClients += d.bytesToClients;
      t.packetsFromClients += d.packetsFromClients;
      t.packetsToClients += d.packetsToClients;
      t.droppedQueries += d.droppedQueries;
      t.fallbacks += d.fallbacks;
    }
    if (sum.config === null && s.config !== null) sum.config = { ...s.config };
    if (sum.refresh === null && s.refresh !== null) sum.refresh = { ...s.refresh };
    if (sum.aesPwdHash === "none" && s.aesPwdHash !== "none") sum.aesPwdHash = s.aesPwdHash;
  }
  sum.dcs = [...dcs.values()].sort((a, b) => a.dc - b.dc);
  return sum;
}
