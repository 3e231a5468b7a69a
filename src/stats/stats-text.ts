// The C `/stats` body (stats.md §3–§6): prepare_stats (net-stats.c) + module sections, sb_memory
// (common-stats.c), then mtfront_prepare_stats (mtproto-proxy.c) and the fork's per-secret lines.
// Pure: snapshots, process facts and the clock in, text out. Keys, order and formats are C's.

import { cFixed, cInt } from "./format.ts";
import type { StatsSnapshot } from "./counters.ts";

export interface ProcessMemory {
  vmSize: number;
  vmRss: number;
  vmData: number;
}

/** Facts about the serving process (the supervisor in -M mode) that are not counters. */
export interface StatsProcessInfo {
  pid: number;
  /** Unix seconds when the engine started. */
  startTime: number;
  /** The `PID [ip:port:pid:utime]` line (backend-rpc.md §7); port is -p or -1. */
  pidIp: string;
  pidPort: number;
  pidUtime: number;
  /** -M value; 0 in single-process mode. */
  workers: number;
  /** -c value in effect. */
  maxConnections: number;
  /** --max-accept-rate. */
  maxAcceptRate: number;
  /** 2048, or 2056 with --allow-skip-dh. */
  defaultRpcFlags: number;
  /** --msg-buffers-size. */
  maxAllocatedBufferBytes: number;
  /** Effective -W. */
  windowClamp: number;
  proxyTagSet: boolean;
  /** The config path as given on the command line. */
  configFileName: string;
  /** The full `version` value: `mtproxy-0.01 compiled at … after commit …` or ours. */
  version: string;
  /** /proc/self/statm figures; the lines are omitted when null (as C does when /proc is unreadable). */
  memory: ProcessMemory | null;
  /** Process CPU time so far (feeds the jobs load figures); null = zeros. */
  cpu: { userSec: number; sysSec: number } | null;
}

export interface StatsTextInput {
  /** The serving process's own figures. */
  own: StatsSnapshot;
  /** sumSnapshots(worker snapshots) in -M mode; null in single-process mode. */
  workerSum: StatsSnapshot | null;
  info: StatsProcessInfo;
  /** Unix seconds, now (integer part used, as C's `now`). */
  nowSec: number;
  /** Monotonic seconds (for stats_generate_time); omitted = 0.000000. */
  monotonicSec?: () => number;
}

const JOB_CLASSES = 16;
const JC_MAIN = 3;

export function renderStatsText(input: StatsTextInput): string {
  const { own, info } = input;
  const ws = input.workerSum;
  const t0 = input.monotonicSec?.() ?? 0;
  const now = Math.floor(input.nowSec);
  const uptime = now - info.startTime;
  const lines: string[] = [];
  const kv = (k: string, v: string): void => {
    lines.push(`${k}\t${v}\n`);
  };
  const i = (k: string, v: number): void => kv(k, cInt(v));
  const f3 = (k: string, v: number): void => kv(k, cFixed(v, 3));
  const f6 = (k: string, v: number): void => kv(k, cFixed(v, 6));
  const section = (name: string, body: () => void): void => {
    lines.push(`>>>>>>${name}>>>>>>\tstart\n`);
    body();
    lines.push(`<<<<<<${name}<<<<<<\tend\n`);
  };
  const div = (x: number, y: number): number => (y > 0 ? x / y : 0);

  // ---- prepare_stats: the serving process only. We cannot observe epoll: idle figures are 0.
  i("pid", info.pid);
  i("start_time", info.startTime);
  i("current_time", now);
  i("uptime", uptime);
  f3("tot_idle_time", 0);
  f3("average_idle_percent", 0);
  f3("recent_idle_percent", 0);
  i("active_network_events", own.activeConnections + own.listeningConnections);
  f6("time_after_epoll", 0);
  i("epoll_calls", 0);
  i("epoll_intr", 0);
  kv("PID", `[${info.pidIp}:${info.pidPort}:${info.pid}:${info.pidUtime}]`);

  section("connections", () => {
    i("active_connections", own.activeConnections);
    i("active_dh_connections", own.activeDhConnections);
    i("outbound_connections", own.outboundConnections);
    i("ready_outbound_connections", own.readyOutboundConnections);
    i("active_outbound_connections", own.activeOutboundConnections);
    i("outbound_connections_created", own.outboundConnectionsCreated);
    i("total_connect_failures", own.totalConnectFailures);
    i("inbound_connections", own.inboundConnections);
    i("active_inbound_connections", own.activeInboundConnections);
    i("inbound_connections_accepted", own.inboundConnectionsAccepted);
    i("listening_connections", own.listeningConnections);
    i("unused_connections_closed", own.unusedConnectionsClosed);
    i("ready_targets", own.readyTargets);
    i("allocated_targets", own.allocatedTargets);
    i("active_targets", own.activeTargets);
    i("inactive_targets", own.inactiveTargets);
    i("free_targets", own.freeTargets);
    i("max_connections", info.maxConnections);
    i("active_special_connections", own.activeSpecialConnections);
    i("max_special_connections", own.maxSpecialConnections);
    i("max_accept_rate", info.maxAcceptRate);
    f6("cur_accept_rate_remaining", own.curAcceptRateRemaining);
    i("max_connection", own.maxConnection);
    i("conn_generation", own.inboundConnectionsAccepted + own.outboundConnectionsCreated);
    i("allocated_connections", allocated(own));
    i("allocated_outbound_connections", own.outboundConnections);
    i("allocated_inbound_connections", own.inboundConnections);
    i("allocated_socket_connections", allocated(own) + own.listeningConnections);
    i("tcp_readv_calls", own.tcpReadCalls);
    i("tcp_readv_intr", 0);
    i("tcp_readv_bytes", own.tcpReadBytes);
    i("tcp_writev_calls", own.tcpWriteCalls);
    i("tcp_writev_intr", 0);
    i("tcp_writev_bytes", own.tcpWriteBytes);
    i("free_later_size", 0);
    i("free_later_total", 0);
    i("accept_calls_failed", own.acceptCallsFailed);
    i("accept_nonblock_set_failed", own.acceptNonblockSetFailed);
    i("accept_connection_limit_failed", own.acceptConnectionLimitFailed);
    i("accept_rate_limit_failed", own.acceptRateLimitFailed);
    i("accept_init_accepted_failed", own.acceptInitAcceptedFailed);
  });
  section("raw_msg", () => {
    i("rwm_total_msgs", own.bufferedChunks);
    i("rwm_total_msg_parts", own.bufferedChunks);
  });
  section("raw_msg_buffer", () => {
    i("total_used_buffers_size", own.bufferedBytes);
    i("total_used_buffers", own.bufferedChunks);
    i("allocated_buffer_bytes", own.bufferedBytes);
    i("buffer_chunk_alloc_ops", 0);
    i("allocated_buffer_chunks", 0);
    i("max_allocated_buffer_chunks", 0);
    i("max_buffer_chunks", 0);
    i("max_allocated_buffer_bytes", info.maxAllocatedBufferBytes);
  });
  section("tl_parse", () => {
    i("rpc_queries_received", 0);
    i("rpc_answers_error", 0);
    i("rpc_answers_received", 0);
    i("rpc_sent_errors", 0);
    i("rpc_sent_answers", 0);
    i("rpc_sent_queries", own.totForwardedQueries + own.rpcCloseConnSent + own.totForwardedResponses);
    i("tl_in_allocated", 0);
    i("tl_out_allocated", 0);
    f6("rpc_qps", 0);
    kv("default_rpc_flags", String(info.defaultRpcFlags >>> 0));
  });
  section("crypto_aes", () => {
    i("allocated_aes_crypto", own.allocatedAesCrypto);
    i("allocated_aes_crypto_temp", 0);
    kv("aes_pwd_hash", own.aesPwdHash);
  });
  section("crypto_dh", () => {
    kv("tot_dh_rounds", `${cInt(own.dhRounds1)} ${cInt(own.dhRounds2)} ${cInt(own.dhRounds3)}`);
  });
  section("jobs", () => {
    // One JS thread: everything is the main class. Load = CPU time per wall second, in percent.
    const threads = perClass((c) => (c === JC_MAIN ? 1 : 0));
    const user = info.cpu?.userSec ?? 0;
    const sys = info.cpu?.sysSec ?? 0;
    const avgU = div(user * 100, uptime);
    const avgS = div(sys * 100, uptime);
    const main = (v: number): number[] => perClass((c) => (c === JC_MAIN ? v : 0));
    kv("thread_average_idle_percent", list16(perClass(() => 0), 3));
    kv("thread_recent_idle_percent", list16(perClass(() => 0), 3));
    kv("tot_threads", list16(threads, -1));
    kv("thread_load_average_user", list16(main(avgU), 3));
    kv("thread_load_average_sys", list16(main(avgS), 3));
    kv("thread_load_average", list16(main(avgU + avgS), 3));
    kv("thread_load_recent_user", list16(main(avgU), 3));
    kv("thread_load_recent_sys", list16(main(avgS), 3));
    kv("thread_load_recent", list16(main(avgU + avgS), 3));
    for (const prefix of ["load_average", "load_recent", "max_average", "max_recent"]) {
      f3(`${prefix}_user`, avgU);
      f3(`${prefix}_sys`, avgS);
      f3(`${prefix}_total`, avgU + avgS);
    }
    i("job_timers_allocated", 0);
    i("jobs_created", 0);
    i("jobs_active", 0);
    kv("jobs_running", list16(perClass(() => 0), -1));
    i("jobs_allocated_memory", 0);
    i("timer_ops", 0);
    i("timer_ops_scheduler", 0);
  });
  section("mp_queue", () => {
    for (const k of [
      "mpq_blocks_allocated",
      "mpq_blocks_allocated_max",
      "mpq_blocks_allocations",
      "mpq_blocks_true_allocations",
      "mpq_blocks_wasted",
      "mpq_blocks_prepared",
      "mpq_small_blocks_allocated",
      "mpq_small_blocks_allocated_max",
      "mpq_active",
      "mpq_allocated",
    ]) {
      i(k, 0);
    }
  });
  section("timers", () => {
    i("event_timer_insert_ops", 0);
    i("event_timer_remove_ops", 0);
    i("event_timer_alarms", 0);
    i("total_timers", 0);
  });
  section("rpc_targets", () => {
    i("total_rpc_targets", 0);
    i("total_connections_in_rpc_targets", 0);
  });
  f6("stats_generate_time", input.monotonicSec ? Math.max(0, input.monotonicSec() - t0) : 0);

  // ---- sb_memory
  if (info.memory !== null) {
    i("vmsize_bytes", info.memory.vmSize);
    i("vmrss_bytes", info.memory.vmRss);
    i("vmdata_bytes", info.memory.vmData);
  }

  // ---- mtfront_prepare_stats. S = own + workers; SW = workers only when there are workers (§6).
  const S = (get: (s: StatsSnapshot) => number): number => get(own) + (ws === null ? 0 : get(ws));
  const SW = (get: (s: StatsSnapshot) => number): number => get(ws ?? own);
  const cfg = own.config;
  kv("config_filename", info.configFileName);
  i("config_loaded_at", cfg?.loadedAt ?? 0);
  i("config_size", cfg?.bytes ?? 0);
  kv("config_md5", cfg?.md5 ?? "");
  i("config_auth_clusters", cfg?.authClusters ?? 0);
  i("workers", info.workers);
  i("queries_get", 0);
  f3("qps_get", 0);
  i("tot_forwarded_queries", S((s) => s.totForwardedQueries));
  i("expired_forwarded_queries", 0);
  i("dropped_queries", S((s) => s.droppedQueries));
  i("tot_forwarded_responses", S((s) => s.totForwardedResponses));
  i("dropped_responses", S((s) => s.droppedResponses));
  i("tot_forwarded_simple_acks", S((s) => s.totForwardedSimpleAcks));
  i("dropped_simple_acks", S((s) => s.droppedSimpleAcks));
  i("active_rpcs_created", 0);
  i("active_rpcs", 0);
  i("rpc_dropped_answers", 0);
  i("rpc_dropped_running", 0);
  i("window_clamp", info.windowClamp);
  i("total_ready_targets", SW((s) => s.readyTargets));
  i("total_allocated_targets", SW((s) => s.allocatedTargets));
  i("total_declared_targets", SW((s) => s.activeTargets));
  i("total_inactive_targets", SW((s) => s.inactiveTargets));
  i("total_connections", S((s) => s.activeConnections));
  i("total_encrypted_connections", S((s) => s.allocatedAesCrypto));
  i("total_allocated_connections", S(allocated));
  i("total_allocated_outbound_connections", S((s) => s.outboundConnections));
  i("total_allocated_inbound_connections", S((s) => s.inboundConnections));
  i("total_allocated_socket_connections", S((s) => allocated(s) + s.listeningConnections));
  i("total_dh_connections", S((s) => s.activeDhConnections));
  kv(
    "total_dh_rounds",
    `${cInt(S((s) => s.dhRounds1))} ${cInt(S((s) => s.dhRounds2))} ${cInt(S((s) => s.dhRounds3))}`,
  );
  i("total_special_connections", SW((s) => s.activeSpecialConnections));
  i("total_max_special_connections", SW((s) => s.maxSpecialConnections));
  // C's add_stats leaves out accept_connection_limit_failed: the third value is the server's own.
  kv(
    "total_accept_connections_failed",
    [
      S((s) => s.acceptInitAcceptedFailed),
      S((s) => s.acceptCallsFailed),
      own.acceptConnectionLimitFailed,
      S((s) => s.acceptRateLimitFailed),
      S((s) => s.acceptNonblockSetFailed),
    ]
      .map(cInt)
      .join(" "),
  );
  i("ext_connections", S((s) => s.extConnections));
  i("ext_connections_created", S((s) => s.extConnectionsCreated));
  i("total_active_network_events", S((s) => s.activeConnections + s.listeningConnections));
  i("total_network_buffers_used_size", SW((s) => s.bufferedBytes));
  i("total_network_buffers_allocated_bytes", SW((s) => s.bufferedBytes));
  i("total_network_buffers_used", SW((s) => s.bufferedChunks));
  i("total_network_buffer_chunks_allocated", 0);
  i("total_network_buffer_chunks_allocated_max", 0);
  i("mtproto_proxy_errors", 0);
  i("connections_failed_lru", S((s) => s.connectionsFailedLru));
  i("connections_failed_flood", S((s) => s.connectionsFailedFlood));
  i("http_connections", S((s) => s.httpConnections));
  i("pending_http_queries", 0);
  i("http_queries", S((s) => s.httpQueries));
  i("http_bad_headers", S((s) => s.httpBadHeaders));
  f6("http_qps", div(S((s) => s.httpQueries), uptime));
  i("proxy_mode", 2);
  i("proxy_tag_set", info.proxyTagSet ? 1 : 0);
  kv("version", info.version);

  // ---- the skrashevich fork: per-secret lines, summed over workers.
  const n = Math.max(own.secrets.length, ws?.secrets.length ?? 0);
  for (let k = 0; k < n; k++) {
    const a = own.secrets[k];
    const b = ws?.secrets[k];
    i(`secret_${k + 1}_active_connections`, (a?.activeIps ?? 0) + (b?.activeIps ?? 0));
    i(`secret_${k + 1}_active_auth_keys`, (a?.activeAuthKeys ?? 0) + (b?.activeAuthKeys ?? 0));
  }

  // ---- beyond C, after every C key so C scrapers see their block unchanged: SIGHUP/refresh reloads
  // (C's SIGHUP only logs, so it has no such keys) and the --config-refresh downloader.
  if (cfg) {
    i("config_reload_ok", cfg.reloadSuccesses);
    i("config_reload_failed", cfg.reloadFailures);
    kv("config_reload_last_error", oneLine(cfg.lastReloadError));
    i("config_reload_last_error_at", cfg.lastReloadErrorAt);
  }
  const rf = own.refresh ?? ws?.refresh ?? null;
  if (rf) {
    i("config_refresh_attempts", rf.attempts);
    i("config_refresh_ok", rf.ok);
    i("config_refresh_failed", rf.failed);
    kv("config_refresh_last_error", oneLine(rf.lastError));
    i("config_refresh_last_ok_at", rf.lastOkAt);
    i("config_refresh_last_changed_at", rf.lastChangedAt);
  }
  return lines.join("");
}

/** A value on one line: no TAB or LF may break the key<TAB>value<LF> shape; "" when there is none. */
function oneLine(text: string | null): string {
  return text === null ? "" : text.replace(/[\t\r\n]+/g, " ").trim();
}

function allocated(s: StatsSnapshot): number {
  return s.inboundConnections + s.outboundConnections;
}

function perClass(fn: (cls: number) => number): number[] {
  return Array.from({ length: JOB_CLASSES }, (_, c) => fn(c));
}

/** The jobs 16-value lists: a space between values, two after every 4th (jobs_prepare_stat). */
function list16(values: number[], digits: number): string {
  let out = "";
  values.forEach((v, k) => {
    if (k !== 0) out += k % 4 === 0 ? "  " : " ";
    out += digits < 0 ? cInt(v) : cFixed(v, digits);
  });
  return out;
}
