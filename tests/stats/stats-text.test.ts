import { expect, test } from "bun:test";
import { configSnapshot } from "./config-snapshot.ts";
import { ProxyStats, sumSnapshots } from "../../src/stats/counters.ts";
import { renderStatsText, type StatsProcessInfo } from "../../src/stats/stats-text.ts";
import ref from "./vectors/c-stats-keys.json";

const info: StatsProcessInfo = {
  pid: 19848,
  startTime: 1795294541,
  pidIp: "192.0.2.2",
  pidPort: 22188,
  pidUtime: 1795294541,
  workers: 0,
  maxConnections: 1000,
  maxAcceptRate: 0,
  defaultRpcFlags: 2048,
  maxAllocatedBufferBytes: 268435456,
  windowClamp: 131072,
  proxyTagSet: true,
  configFileName: "/etc/mtproxy/proxy-multi.conf",
  version: "mtproxy-0.01 compiled at Nov 21 2026 20:52:40 by gcc 12.2.0 64-bit after commit dc0c7f3de40530053189c572936ae4fd1567269b",
  memory: { vmSize: 1272754176, vmRss: 7356416, vmData: 259825664 },
  cpu: null,
};

function sample(): ProxyStats {
  const s = new ProxyStats();
  s.aesPwdHash = "0123456789abcdef0123456789abcdef";
  s.config = configSnapshot({ fileName: "/etc/mtproxy/proxy-multi.conf", bytes: 84, md5: "2e1ba892b928081d7f7400c86a25d0c9", loadedAt: 1795294541, authClusters: 2 });
  s.activeConnections = 5;
  s.totForwardedQueries = 4;
  return s;
}

/** Parses the body into [key, value] pairs; every line must be key<TAB>value<LF>. */
function parseBody(body: string): [string, string][] {
  expect(body.endsWith("\n")).toBe(true);
  return body
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const tab = line.indexOf("\t");
      expect(tab).toBeGreaterThan(0);
      return [line.slice(0, tab), line.slice(tab + 1)] as [string, string];
    });
}

/** Ours, after every C key: reload figures whenever a config is loaded (refresh ones only with a refresher). */
const RELOAD_KEYS = ["config_reload_ok", "config_reload_failed", "config_reload_last_error", "config_reload_last_error_at"];
const REFRESH_KEYS = [
  "config_refresh_attempts",
  "config_refresh_ok",
  "config_refresh_failed",
  "config_refresh_last_error",
  "config_refresh_last_ok_at",
  "config_refresh_last_changed_at",
];

const render = (s: ProxyStats, over: Partial<StatsProcessInfo> = {}, nowSec = 1795294600): string =>
  renderStatsText({ own: s.snapshot(), workerSum: null, info: { ...info, ...over }, nowSec });

test("every C key is present, in C's order, with section markers (stats.md §4)", () => {
  const pairs = parseBody(render(sample()));
  const keys = pairs.map(([k]) => k);
  expect(keys).toEqual([...ref.keys, ...RELOAD_KEYS]);
  for (const [k, v] of pairs) {
    if (k.startsWith(">>>>>>")) expect(v).toBe("start");
    if (k.startsWith("<<<<<<")) expect(v).toBe("end");
  }
});

test("the real C sample's lines come out identical where the values are the same facts (stats.md §5)", () => {
  const body = render(sample());
  for (const line of [
    "pid\t19848\n",
    "start_time\t1795294541\n",
    "PID\t[192.0.2.2:22188:19848:1795294541]\n",
    ">>>>>>connections>>>>>>\tstart\nactive_connections\t5\n",
    "<<<<<<rpc_targets<<<<<<\tend\nstats_generate_time\t",
    "vmsize_bytes\t1272754176\nvmrss_bytes\t7356416\nvmdata_bytes\t259825664\nconfig_filename\t/etc/mtproxy/proxy-multi.conf\n",
    "config_loaded_at\t1795294541\nconfig_size\t84\nconfig_md5\t2e1ba892b928081d7f7400c86a25d0c9\nconfig_auth_clusters\t2\nworkers\t0\nqueries_get\t0\nqps_get\t0.000\ntot_forwarded_queries\t4\n",
    "proxy_mode\t2\nproxy_tag_set\t1\nversion\tmtproxy-0.01 compiled at Nov 21 2026 20:52:40 by gcc 12.2.0 64-bit after commit dc0c7f3de40530053189c572936ae4fd1567269b\n",
  ]) {
    expect(body).toContain(line);
  }
  expect(body).toContain("current_time\t1795294600\nuptime\t59\n");
});

test("number formats follow C printf per key", () => {
  const s = sample();
  s.httpQueries = 7;
  s.curAcceptRateRemaining = 12.5;
  s.dhRounds1 = 1;
  s.dhRounds3 = 3;
  s.acceptCallsFailed = 2;
  const pairs = new Map(parseBody(render(s, { cpu: { userSec: 0.3, sysSec: 0.1 } }, info.startTime + 3)));
  for (const k of ref.fixed3) expect(`${k}=${pairs.get(k)}`).toMatch(/=\d+\.\d{3}$/);
  for (const k of ref.fixed6) expect(`${k}=${pairs.get(k)}`).toMatch(/=\d+\.\d{6}$/);
  for (const k of ref.list16Fixed3) expect(`${k}=${pairs.get(k)}`).toMatch(/=(\d+\.\d{3} ){3}\d+\.\d{3}(  (\d+\.\d{3} ){3}\d+\.\d{3}){3}$/);
  for (const k of ref.list16Int) expect(`${k}=${pairs.get(k)}`).toMatch(/=(\d+ ){3}\d+(  (\d+ ){3}\d+){3}$/);
  const nonInt = new Set([...ref.fixed3, ...ref.fixed6, ...ref.list16Fixed3, ...ref.list16Int, ...ref.strings, "config_reload_last_error"]);
  for (const [k, v] of pairs) if (!k.includes(">>>") && !k.includes("<<<") && !nonInt.has(k)) expect(`${k}=${v}`).toMatch(/=-?\d+$/);
  expect(pairs.get("http_qps")).toBe("2.333333");
  expect(pairs.get("cur_accept_rate_remaining")).toBe("12.500000");
  expect(pairs.get("tot_dh_rounds")).toBe("1 0 3");
  expect(pairs.get("total_dh_rounds")).toBe("1 0 3");
  expect(pairs.get("total_accept_connections_failed")).toBe("0 2 0 0 0");
  expect(pairs.get("aes_pwd_hash")).toBe("0123456789abcdef0123456789abcdef");
  expect(pairs.get("default_rpc_flags")).toBe("2048");
  expect(pairs.get("tot_threads")).toBe("0 0 0 1  0 0 0 0  0 0 0 0  0 0 0 0");
  // 0.4 CPU seconds over 3 s of uptime = 13.333 % of a core
  expect(pairs.get("load_average_total")).toBe("13.333");
});

test("memory lines are omitted when /proc is unreadable, like C", () => {
  const keys = parseBody(render(sample(), { memory: null })).map(([k]) => k);
  expect(keys).not.toContain("vmsize_bytes");
  expect(keys).toEqual([...ref.keys.filter((k) => !k.startsWith("vm")), ...RELOAD_KEYS]);
});

test("reload and refresh figures come after every C key, one line each, whatever the error text holds", () => {
  const s = sample();
  s.config = { ...s.config!, reloadFailures: 1, lastReloadError: "bad\tline\nat 3:1", lastReloadErrorAt: 1795294560 };
  const snap = s.snapshot();
  snap.refresh = { attempts: 3, ok: 1, failed: 2, lastError: "configuration from http://x/: download failed: HTTP 500", lastOkAt: 1795294500, lastChangedAt: 1795294400 };
  const pairs = parseBody(renderStatsText({ own: snap, workerSum: null, info, nowSec: 1795294600 }));
  expect(pairs.map(([k]) => k)).toEqual([...ref.keys, ...RELOAD_KEYS, ...REFRESH_KEYS]);
  const m = new Map(pairs);
  expect(m.get("config_reload_ok")).toBe("0");
  expect(m.get("config_reload_failed")).toBe("1");
  expect(m.get("config_reload_last_error")).toBe("bad line at 3:1");
  expect(m.get("config_reload_last_error_at")).toBe("1795294560");
  expect(m.get("config_refresh_attempts")).toBe("3");
  expect(m.get("config_refresh_ok")).toBe("1");
  expect(m.get("config_refresh_failed")).toBe("2");
  expect(m.get("config_refresh_last_error")).toBe("configuration from http://x/: download failed: HTTP 500");
  expect(m.get("config_refresh_last_ok_at")).toBe("1795294500");
  expect(m.get("config_refresh_last_changed_at")).toBe("1795294400");
  // under -M the refresher's figures are the supervisor's own and are not summed with the workers'
  const w = new ProxyStats().snapshot();
  w.refresh = { attempts: 50, ok: 50, failed: 0, lastError: null, lastOkAt: 1, lastChangedAt: 1 };
  const m2 = new Map(parseBody(renderStatsText({ own: snap, workerSum: sumSnapshots([w]), info, nowSec: 1795294600 })));
  expect(m2.get("config_refresh_attempts")).toBe("3");
});

test("fork per-secret lines follow version, 1-based in -S order", () => {
  const s = new ProxyStats({ secretCount: 2 });
  s.secrets[1]!.clientBound("10.0.0.1");
  s.secrets[1]!.authKeyBound("k1");
  s.secrets[1]!.authKeyBound("k2");
  const body = renderStatsText({ own: s.snapshot(), workerSum: null, info, nowSec: info.startTime });
  expect(body.slice(body.indexOf("version\t")).split("\n").slice(1)).toEqual([
    "secret_1_active_connections\t0",
    "secret_1_active_auth_keys\t0",
    "secret_2_active_connections\t1",
    "secret_2_active_auth_keys\t2",
    "",
  ]);
});

test("worker aggregation (stats.md §6): S = own + workers, W = workers only, generic block = own only", () => {
  const own = new ProxyStats({ secretCount: 1 });
  own.totForwardedQueries = 1;
  own.activeConnections = 3; // the supervisor's own idle ME links
  own.readyTargets = 1;
  own.readyOutboundConnections = 2;
  own.maxSpecialConnections = 100;
  own.acceptConnectionLimitFailed = 1;
  own.bufferedBytes = 50;
  const workers = [new ProxyStats({ secretCount: 1 }), new ProxyStats({ secretCount: 1 })];
  workers.forEach((w, n) => {
    w.totForwardedQueries = 10 * (n + 1);
    w.activeConnections = 5;
    w.readyTargets = 1;
    w.readyOutboundConnections = 4;
    w.maxSpecialConnections = 100;
    w.acceptConnectionLimitFailed = 7;
    w.acceptRateLimitFailed = 2;
    w.bufferedBytes = 1000;
    w.secrets[0]!.clientBound(`10.0.0.${n}`);
  });
  const body = renderStatsText({
    own: own.snapshot(),
    workerSum: sumSnapshots(workers.map((w) => w.snapshot())),
    info: { ...info, workers: 2 },
    nowSec: info.startTime + 10,
  });
  const kv = new Map(parseBody(body));
  expect(kv.get("workers")).toBe("2");
  expect(kv.get("tot_forwarded_queries")).toBe("31"); // S
  expect(kv.get("total_connections")).toBe("13"); // S
  expect(kv.get("total_ready_targets")).toBe("2"); // W: workers only
  expect(kv.get("total_max_special_connections")).toBe("200"); // W
  expect(kv.get("total_network_buffers_used_size")).toBe("2000"); // W
  // upstream add_stats omits accept_connection_limit_failed: the third value is the supervisor's own
  expect(kv.get("total_accept_connections_failed")).toBe("0 0 1 4 0");
  expect(kv.get("active_connections")).toBe("3"); // generic block: supervisor only
  expect(kv.get("ready_outbound_connections")).toBe("2");
  expect(kv.get("secret_1_active_connections")).toBe("2"); // fork lines are S
});

test("single-process mode: W keys take the process's own value", () => {
  const s = sample();
  s.readyTargets = 3;
  s.maxSpecialConnections = 50;
  const kv = new Map(parseBody(render(s)));
  expect(kv.get("total_ready_targets")).toBe("3");
  expect(kv.get("total_max_special_connections")).toBe("50");
});
