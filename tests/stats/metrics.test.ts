import { expect, test } from "bun:test";
import { configSnapshot } from "./config-snapshot.ts";
import { ProxyStats, sumSnapshots } from "../../src/stats/counters.ts";
import { buildMetricFamilies } from "../../src/stats/metrics.ts";
import { writeExposition } from "../../src/stats/prometheus.ts";
import type { StatsProcessInfo } from "../../src/stats/stats-text.ts";
import { parseExposition } from "./prometheus-parse.ts";


const info: StatsProcessInfo = {
  pid: 1,
  startTime: 1000,
  pidIp: "127.0.0.1",
  pidPort: 8888,
  pidUtime: 1000,
  workers: 2,
  maxConnections: 1000,
  maxAcceptRate: 0,
  defaultRpcFlags: 2048,
  maxAllocatedBufferBytes: 1 << 28,
  windowClamp: 131072,
  proxyTagSet: false,
  configFileName: 'odd "name"\\x.conf',
  version: "mtproxy-ts test",
  memory: { vmSize: 10, vmRss: 5, vmData: 3 },
  cpu: null,
};

function build() {
  const own = new ProxyStats({ secretCount: 2 });
  own.config = configSnapshot({ fileName: "p.conf", bytes: 84, md5: "2e1b", loadedAt: 990, authClusters: 2, reloadFailures: 1, lastReloadError: "bad\nline", lastReloadErrorAt: 995 });
  own.totForwardedQueries = 1;
  const w = new ProxyStats({ secretCount: 2 });
  w.totForwardedQueries = 9;
  w.acceptConnectionLimitFailed = 4;
  w.rejectedReplay = 2;
  w.dc(2).bytesFromClients = 100;
  w.dc(-2).connections = 1;
  w.secrets[0]!.clientBound("10.0.0.1");
  w.secrets[1]!.bytesToClients = 77;
  w.dc(7).fallbacks = 3;
  w.dcFallbacks = 3;
  const ownSnap = own.snapshot();
  ownSnap.refresh = { attempts: 4, ok: 3, failed: 1, lastError: "x", lastOkAt: 1050, lastChangedAt: 1020 };
  return writeExposition(buildMetricFamilies({ own: ownSnap, workerSum: sumSnapshots([w.snapshot()]), info, nowSec: 1060 }));
}

test("/metrics parses as strict Prometheus text: HELP/TYPE first, valid lines, no duplicate series", () => {
  const { types, samples } = parseExposition(build());
  expect(types.size).toBeGreaterThan(30);
  expect(samples.every((s) => s.name.startsWith("mtproxy_"))).toBe(true);
});

test("/metrics carries the same figures, summed honestly over the serving process and workers", () => {
  const { samples } = parseExposition(build());
  const get = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  expect(get("mtproxy_forwarded_queries_total")).toBe(10);
  expect(get("mtproxy_accept_failures_total", { reason: "connection_limit" })).toBe(4);
  expect(get("mtproxy_rejected_handshakes_total", { reason: "replay" })).toBe(2);
  expect(get("mtproxy_dc_bytes_total", { dc: "2", direction: "in" })).toBe(100);
  expect(get("mtproxy_dc_connections", { dc: "-2" })).toBe(1);
  expect(get("mtproxy_secret_active_ips", { secret: "1" })).toBe(1);
  expect(get("mtproxy_secret_bytes_total", { secret: "2", direction: "out" })).toBe(77);
  expect(get("mtproxy_config_size_bytes")).toBe(84);
  expect(get("mtproxy_config_loaded_timestamp_seconds")).toBe(990);
  expect(get("mtproxy_config_reloads_total", { result: "failure" })).toBe(1);
  expect(get("mtproxy_uptime_seconds")).toBe(60);
  expect(get("mtproxy_workers")).toBe(2);
  expect(get("mtproxy_config_info", { filename: 'odd "name"\\x.conf', md5: "2e1b" })).toBe(1);
  expect(get("mtproxy_dc_fallbacks_total", { dc: "7" })).toBe(3);
  expect(get("mtproxy_unknown_dc_fallbacks_total")).toBe(3);
  expect(get("mtproxy_config_refresh_total", { result: "ok" })).toBe(3);
  expect(get("mtproxy_config_refresh_total", { result: "failed" })).toBe(1);
  expect(get("mtproxy_config_refresh_attempts_total")).toBe(4);
  expect(get("mtproxy_config_refresh_last_success_timestamp_seconds")).toBe(1050);
  expect(get("mtproxy_config_refresh_last_change_timestamp_seconds")).toBe(1020);
});

test("secret labels are positions, never secret bytes", () => {
  const { samples } = parseExposition(build());
  for (const s of samples) if (s.labels.secret !== undefined) expect(s.labels.secret).toMatch(/^[12]$/);
});

test("the writer rejects duplicate families and skips empty ones", () => {
  expect(() =>
    writeExposition([
      { name: "a", type: "gauge", help: "h", samples: [{ value: 1 }] },
      { name: "a", type: "gauge", help: "h", samples: [{ value: 1 }] },
    ]),
  ).toThrow();
  expect(writeExposition([{ name: "e", type: "gauge", help: "h", samples: [] }])).toBe("");
  expect(writeExposition([{ name: "n", type: "gauge", help: "a\\b\nc", samples: [{ value: NaN }] }])).toBe(
    "# HELP n a\\\\b\\nc\n# TYPE n gauge\nn NaN\n",
  );
});
