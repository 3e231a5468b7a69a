// The `/metrics` families (beyond C): the /stats figures as `mtproxy_*` Prometheus metrics. Totals
// are honest sums over the serving process and its workers (no C add_stats quirks); per-secret
// series are labelled by 1-based -S position, never by the secret itself.

import { sumSnapshots, type ScalarField, type StatsSnapshot } from "./counters.ts";
import type { MetricFamily, MetricSample, MetricType } from "./prometheus.ts";
import type { StatsTextInput } from "./stats-text.ts";

export type MetricsInput = Omit<StatsTextInput, "monotonicSec">;

type Simple = readonly [name: string, type: MetricType, field: ScalarField, help: string];

const SIMPLE: readonly Simple[] = [
  ["mtproxy_forwarded_queries_total", "counter", "totForwardedQueries", "RPC_PROXY_REQ packets sent to middle-ends."],
  ["mtproxy_dropped_queries_total", "counter", "droppedQueries", "Client packets dropped: no ready middle-end connection."],
  ["mtproxy_forwarded_responses_total", "counter", "totForwardedResponses", "RPC_PROXY_ANS answers delivered to clients."],
  ["mtproxy_dropped_responses_total", "counter", "droppedResponses", "RPC_PROXY_ANS answers for unknown connections."],
  ["mtproxy_forwarded_simple_acks_total", "counter", "totForwardedSimpleAcks", "Quick acks delivered to clients."],
  ["mtproxy_dropped_simple_acks_total", "counter", "droppedSimpleAcks", "Quick acks for unknown connections."],
  ["mtproxy_active_connections", "gauge", "activeConnections", "Established TCP connections of any kind."],
  ["mtproxy_inbound_connections", "gauge", "inboundConnections", "Accepted connections open now (clients and stats HTTP)."],
  ["mtproxy_inbound_connections_accepted_total", "counter", "inboundConnectionsAccepted", "Connections accepted."],
  ["mtproxy_outbound_connections", "gauge", "outboundConnections", "Middle-end connections open or connecting."],
  ["mtproxy_ready_outbound_connections", "gauge", "readyOutboundConnections", "Middle-end connections with the handshake done."],
  ["mtproxy_outbound_connections_created_total", "counter", "outboundConnectionsCreated", "Middle-end connections started."],
  ["mtproxy_connect_failures_total", "counter", "totalConnectFailures", "Middle-end connections that failed before becoming active."],
  ["mtproxy_encrypted_connections", "gauge", "allocatedAesCrypto", "Middle-end links with AES-CBC keys."],
  ["mtproxy_ext_connections", "gauge", "extConnections", "Current client to middle-end bindings."],
  ["mtproxy_ext_connections_created_total", "counter", "extConnectionsCreated", "Client to middle-end bindings made."],
  ["mtproxy_special_connections", "gauge", "activeSpecialConnections", "Client connections counted against -C."],
  ["mtproxy_max_special_connections", "gauge", "maxSpecialConnections", "Sum of the per-process -C limits."],
  ["mtproxy_special_limit_rejected_total", "counter", "specialLimitRejected", "Clients refused by the -C limit."],
  ["mtproxy_unused_connections_closed_total", "counter", "unusedConnectionsClosed", "Middle-end links closed because their target left the config."],
  ["mtproxy_middle_silent_closes_total", "counter", "middleSilentCloses", "Middle-end links closed for silence."],
  ["mtproxy_unknown_dc_fallbacks_total", "counter", "dcFallbacks", "Clients of an unknown DC sent to the default (middle-end default cluster, direct DC 2)."],
  ["mtproxy_buffered_bytes", "gauge", "bufferedBytes", "Bytes held in read and write queues."],
  ["mtproxy_fronted_connections_total", "counter", "frontedConnections", "Connections handed over to domain fronting."],
  ["mtproxy_blackholed_connections_total", "counter", "blackholedConnections", "Bad connections held open and ignored."],
  ["mtproxy_http_connections", "gauge", "httpConnections", "Open stats HTTP connections."],
  ["mtproxy_http_queries_total", "counter", "httpQueries", "Stats HTTP requests parsed."],
  ["mtproxy_http_bad_headers_total", "counter", "httpBadHeaders", "Malformed stats HTTP requests."],
];

type Labelled = readonly [labelValue: string, field: ScalarField];

const LABELLED: readonly (readonly [string, MetricType, string, string, readonly Labelled[]])[] = [
  ["mtproxy_client_bytes_total", "counter", "direction", "Client-side bytes.", [["in", "bytesFromClients"], ["out", "bytesToClients"]]],
  ["mtproxy_client_packets_total", "counter", "direction", "Client-side MTProto packets.", [["in", "packetsFromClients"], ["out", "packetsToClients"]]],
  ["mtproxy_socket_bytes_total", "counter", "direction", "Bytes on all sockets.", [["in", "tcpReadBytes"], ["out", "tcpWriteBytes"]]],
  [
    "mtproxy_targets",
    "gauge",
    "state",
    "Middle-end targets by state.",
    [["ready", "readyTargets"], ["allocated", "allocatedTargets"], ["declared", "activeTargets"], ["inactive", "inactiveTargets"]],
  ],
  ["mtproxy_dh_rounds_total", "counter", "round", "DH rounds.", [["1", "dhRounds1"], ["2", "dhRounds2"], ["3", "dhRounds3"]]],
  [
    "mtproxy_accept_failures_total",
    "counter",
    "reason",
    "Accepted connections dropped at accept time, by cause.",
    [
      ["init_accepted", "acceptInitAcceptedFailed"],
      ["accept", "acceptCallsFailed"],
      ["connection_limit", "acceptConnectionLimitFailed"],
      ["rate_limit", "acceptRateLimitFailed"],
      ["nonblock", "acceptNonblockSetFailed"],
    ],
  ],
  ["mtproxy_connections_failed_total", "counter", "reason", "Connections closed under pressure.", [["lru", "connectionsFailedLru"], ["flood", "connectionsFailedFlood"]]],
  [
    "mtproxy_rejected_handshakes_total",
    "counter",
    "reason",
    "Client handshakes refused, by cause.",
    [
      ["replay", "rejectedReplay"],
      ["bad_timestamp", "rejectedBadTimestamp"],
      ["unknown_sni", "rejectedUnknownSni"],
      ["bad_hmac", "rejectedBadHmac"],
      ["bad_handshake", "rejectedBadHandshake"],
    ],
  ],
];

export function buildMetricFamilies(input: MetricsInput): MetricFamily[] {
  const { own, info } = input;
  const all: StatsSnapshot = input.workerSum === null ? own : sumSnapshots([own, input.workerSum]);
  const now = Math.floor(input.nowSec);
  const fams: MetricFamily[] = [];
  const add = (name: string, type: MetricType, help: string, samples: MetricSample[]): void => {
    fams.push({ name, type, help, samples });
  };
  const one = (name: string, type: MetricType, help: string, value: number, labels?: Record<string, string>): void =>
    add(name, type, help, [labels === undefined ? { value } : { labels, value }]);

  one("mtproxy_info", "gauge", "Build information.", 1, { version: info.version });
  one("mtproxy_start_time_seconds", "gauge", "Unix time the serving process started.", info.startTime);
  one("mtproxy_uptime_seconds", "gauge", "Seconds since start.", now - info.startTime);
  one("mtproxy_workers", "gauge", "Worker processes (-M); 0 in single-process mode.", info.workers);
  one("mtproxy_proxy_tag_set", "gauge", "1 when -P is given.", info.proxyTagSet ? 1 : 0);
  one("mtproxy_window_clamp_bytes", "gauge", "Effective -W window clamp.", info.windowClamp);
  one("mtproxy_max_connections", "gauge", "The -c connection limit.", info.maxConnections);
  for (const [name, type, field, help] of SIMPLE) one(name, type, help, all[field]);
  for (const [name, type, label, help, rows] of LABELLED) {
    add(
      name,
      type,
      help,
      rows.map(([v, field]) => ({ labels: { [label]: v }, value: all[field] })),
    );
  }

  // Per DC, labelled by the signed DC index the client asked for.
  const dc = (pick: (d: StatsSnapshot["dcs"][number]) => number): MetricSample[] =>
    all.dcs.map((d) => ({ labels: { dc: String(d.dc) }, value: pick(d) }));
  const dcDir = (inp: (d: StatsSnapshot["dcs"][number]) => number, out: (d: StatsSnapshot["dcs"][number]) => number): MetricSample[] =>
    all.dcs.flatMap((d) => [
      { labels: { dc: String(d.dc), direction: "in" }, value: inp(d) },
      { labels: { dc: String(d.dc), direction: "out" }, value: out(d) },
    ]);
  add("mtproxy_dc_connections", "gauge", "Client connections open now, by requested DC.", dc((d) => d.connections));
  add("mtproxy_dc_connections_created_total", "counter", "Client connections made, by requested DC.", dc((d) => d.connectionsCreated));
  add("mtproxy_dc_bytes_total", "counter", "Client-side bytes, by requested DC.", dcDir((d) => d.bytesFromClients, (d) => d.bytesToClients));
  add("mtproxy_dc_packets_total", "counter", "Client-side packets, by requested DC.", dcDir((d) => d.packetsFromClients, (d) => d.packetsToClients));
  add("mtproxy_dc_dropped_queries_total", "counter", "Client packets dropped, by requested DC.", dc((d) => d.droppedQueries));
  add("mtproxy_dc_fallbacks_total", "counter", "Clients of an unknown DC sent to the default, by requested DC.", dc((d) => d.fallbacks));

  // Per secret, labelled by its 1-based -S position.
  const sec = (pick: (s: StatsSnapshot["secrets"][number]) => number): MetricSample[] =>
    all.secrets.map((s, k) => ({ labels: { secret: String(k + 1) }, value: pick(s) }));
  add("mtproxy_secret_active_ips", "gauge", "Distinct client IPs bound with this secret.", sec((s) => s.activeIps));
  add("mtproxy_secret_active_auth_keys", "gauge", "Distinct auth keys bound with this secret.", sec((s) => s.activeAuthKeys));
  add("mtproxy_secret_connections", "gauge", "Client connections open now with this secret.", sec((s) => s.connections));
  add("mtproxy_secret_connections_created_total", "counter", "Client connections made with this secret.", sec((s) => s.connectionsCreated));
  add(
    "mtproxy_secret_bytes_total",
    "counter",
    "Client-side bytes with this secret.",
    all.secrets.flatMap((s, k) => [
      { labels: { secret: String(k + 1), direction: "in" }, value: s.bytesFromClients },
      { labels: { secret: String(k + 1), direction: "out" }, value: s.bytesToClients },
    ]),
  );

  // Config meta: the serving process's own, never summed.
  const cfg = own.config;
  if (cfg !== null) {
    one("mtproxy_config_info", "gauge", "The config in effect.", 1, { filename: info.configFileName, md5: cfg.md5 });
    one("mtproxy_config_loaded_timestamp_seconds", "gauge", "Unix time the config was applied.", cfg.loadedAt);
    one("mtproxy_config_size_bytes", "gauge", "Config file size.", cfg.bytes);
    one("mtproxy_config_auth_clusters", "gauge", "Clusters (distinct proxy_for ids) in the config.", cfg.authClusters);
    add("mtproxy_config_reloads_total", "counter", "Config reloads by result.", [
      { labels: { result: "success" }, value: cfg.reloadSuccesses },
      { labels: { result: "failure" }, value: cfg.reloadFailures },
    ]);
    one("mtproxy_config_last_reload_failure_timestamp_seconds", "gauge", "Unix time of the last failed reload; 0 if none.", cfg.lastReloadErrorAt);
  }
  // The --config-refresh downloader, in the process that runs it (the supervisor under -M).
  const rf = own.refresh ?? input.workerSum?.refresh ?? null;
  if (rf !== null) {
    add("mtproxy_config_refresh_total", "counter", "Config refresh rounds by result.", [
      { labels: { result: "ok" }, value: rf.ok },
      { labels: { result: "failed" }, value: rf.failed },
    ]);
    one("mtproxy_config_refresh_attempts_total", "counter", "Config refresh rounds started.", rf.attempts);
    one("mtproxy_config_refresh_last_success_timestamp_seconds", "gauge", "Unix time of the last fully successful refresh; 0 if none.", rf.lastOkAt);
    one("mtproxy_config_refresh_last_change_timestamp_seconds", "gauge", "Unix time a refresh last applied a change; 0 if none.", rf.lastChangedAt);
  }
  one("mtproxy_aes_pwd_info", "gauge", "MD5 of the --aes-pwd file, or none.", 1, { md5: own.aesPwdHash });
  if (info.memory !== null) {
    one("mtproxy_process_virtual_memory_bytes", "gauge", "Serving process virtual memory size.", info.memory.vmSize);
    one("mtproxy_process_resident_memory_bytes", "gauge", "Serving process resident memory.", info.memory.vmRss);
  }
  return fams;
}
