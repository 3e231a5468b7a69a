// The config refresher against a loopback HTTP server: a changed file is written atomically and
// applied, an unchanged one is not, and every kind of broken download or bad file keeps the running
// config, is counted and logs exactly one line.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_CONFIG_SIZE } from "../../src/config/load.ts";
import type { ProxySecret } from "../../src/config/proxy-secret.ts";
import { createConfigRefresher, type ConfigRefresherOptions, type RefreshTimers } from "../../src/config/refresh.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import { createMemoryLogger } from "../../src/log.ts";

const CONF_A = "proxy_for 1 149.154.175.50:8888;\nproxy_for -1 149.154.175.50:8888;\ndefault 1;\n";
const CONF_B = "proxy_for 1 149.154.175.50:8888;\nproxy_for 2 149.154.161.144:8888;\ndefault 2;\n";
const SECRET_A = "a".repeat(128);
const SECRET_B = "b".repeat(128);

type Route = { status?: number; body?: string | Uint8Array | (() => ReadableStream<Uint8Array>); delayMs?: number };

let dir: string;
let routes: Record<string, Route>;
let hits: string[];
/** The client port of each request: a new port is a new connection. */
let peerPorts: number[];
let server: ReturnType<typeof Bun.serve>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "refresh-"));
  writeFileSync(join(dir, "proxy-multi.conf"), CONF_A);
  writeFileSync(join(dir, "secret"), SECRET_A, { mode: 0o600 });
  routes = { "/config": { body: CONF_A }, "/secret": { body: SECRET_A } };
  hits = [];
  peerPorts = [];
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req, srv) {
      const path = new URL(req.url).pathname;
      hits.push(path);
      peerPorts.push(srv.requestIP(req)?.port ?? -1);
      const r = routes[path];
      if (!r) return new Response("no", { status: 404 });
      if (r.delayMs) await Bun.sleep(r.delayMs);
      const body = typeof r.body === "function" ? r.body() : r.body;
      return new Response(body ?? "", { status: r.status ?? 200 });
    },
  });
});

afterEach(() => {
  server.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

function setup(over: Partial<ConfigRefresherOptions> = {}) {
  const { log, lines } = createMemoryLogger(0);
  const applied: ProxyConfig[] = [];
  const secrets: ProxySecret[] = [];
  const refresher = createConfigRefresher({
    configPath: join(dir, "proxy-multi.conf"),
    secretPath: null,
    configUrl: `http://127.0.0.1:${server.port}/config`,
    secretUrl: `http://127.0.0.1:${server.port}/secret`,
    intervalSec: 3600,
    apply: (c) => void applied.push(c),
    applySecret: (s) => void secrets.push(s),
    log,
    timeoutMs: 1000,
    random: seededRandom(7),
    nowMs: () => 1_700_000_000_000,
    ...over,
  });
  const disk = (name = "proxy-multi.conf") => readFileSync(join(dir, name), "utf8");
  return { refresher, applied, secrets, lines, disk };
}

describe("config refresh: changes", () => {
  test("a changed config is written in place atomically and applied once", async () => {
    routes["/config"] = { body: CONF_B };
    const { refresher, applied, lines, disk } = setup();
    const r = await refresher.refreshNow();
    expect(r).toEqual({ ok: true, configChanged: true, secretChanged: false, errors: [] });
    expect(applied).toHaveLength(1);
    expect([...applied[0]!.clusters.keys()]).toEqual([1, 2]);
    expect(applied[0]!.defaultClusterId).toBe(2);
    expect(applied[0]!.meta.fileName).toBe(join(dir, "proxy-multi.conf"));
    expect(disk()).toBe(CONF_B);
    // No temporary file left beside it.
    expect(readdirSync(dir).sort()).toEqual(["proxy-multi.conf", "secret"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("new configuration active");
    expect(refresher.stats).toMatchObject({ attempts: 1, ok: 1, failed: 0, configChanges: 1, lastChangedAt: 1_700_000_000, lastOkAt: 1_700_000_000 });
  });

  test("an unchanged config (same md5 as the file) is not applied, but counts as ok", async () => {
    const { refresher, applied, lines } = setup();
    const r = await refresher.refreshNow();
    expect(r).toEqual({ ok: true, configChanged: false, secretChanged: false, errors: [] });
    expect(applied).toHaveLength(0);
    expect(lines).toHaveLength(0);
    expect(refresher.stats).toMatchObject({ attempts: 1, ok: 1, failed: 0, configChanges: 0, lastChangedAt: null });
  });

  test("a missing local file is created from the download", async () => {
    rmSync(join(dir, "proxy-multi.conf"));
    const { refresher, applied, disk } = setup();
    expect((await refresher.refreshNow()).configChanged).toBe(true);
    expect(applied).toHaveLength(1);
    expect(disk()).toBe(CONF_A);
  });

  test("with --aes-pwd the secret is refreshed too: applied before the config, file mode kept", async () => {
    routes["/config"] = { body: CONF_B };
    routes["/secret"] = { body: SECRET_B };
    const order: string[] = [];
    const { refresher, disk } = setup({
      secretPath: join(dir, "secret"),
      apply: () => void order.push("config"),
      applySecret: (s) => void order.push(`secret ${Buffer.from(s.bytes).toString()}`),
    });
    const r = await refresher.refreshNow();
    expect(r).toMatchObject({ ok: true, configChanged: true, secretChanged: true });
    expect(order).toEqual([`secret ${SECRET_B}`, "config"]);
    expect(disk("secret")).toBe(SECRET_B);
    expect(statSync(join(dir, "secret")).mode & 0o777).toBe(0o600);
    expect(refresher.stats).toMatchObject({ secretChanges: 1, configChanges: 1 });
  });

  test("without --aes-pwd the secret URL is never fetched", async () => {
    const { refresher } = setup();
    await refresher.refreshNow();
    expect(hits).toEqual(["/config"]);
  });

  test("every download opens its own connection: no pooled socket that may have gone stale", async () => {
    const { refresher } = setup();
    for (let i = 0; i < 3; i++) expect((await refresher.refreshNow()).ok).toBe(true);
    expect(hits).toEqual(["/config", "/config", "/config"]);
    expect(new Set(peerPorts).size).toBe(3);
  });

  test("concurrent refreshNow calls share one round", async () => {
    routes["/config"] = { body: CONF_B, delayMs: 50 };
    const { refresher, applied } = setup();
    const [a, b] = await Promise.all([refresher.refreshNow(), refresher.refreshNow()]);
    expect(a).toBe(b);
    expect(hits).toEqual(["/config"]);
    expect(applied).toHaveLength(1);
    expect(refresher.stats.attempts).toBe(1);
  });
});

describe("config refresh: failures keep the running config", () => {
  const closedPort = () => {
    const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const port = s.port;
    s.stop(true);
    return port;
  };
  const cases: [string, () => Partial<ConfigRefresherOptions>, string][] = [
    ["HTTP 500", () => ((routes["/config"] = { status: 500, body: CONF_B }), {}), "download failed: HTTP 500"],
    ["connection refused", () => ({ configUrl: `http://127.0.0.1:${closedPort()}/config` }), "download failed:"],
    ["timeout", () => ((routes["/config"] = { body: CONF_B, delayMs: 1500 }), { timeoutMs: 200 }), "no complete answer in 200 ms"],
    [
      "oversize (declared length)",
      () => ((routes["/config"] = { body: new Uint8Array(MAX_CONFIG_SIZE + 1).fill(0x20) }), {}),
      `too large: ${MAX_CONFIG_SIZE + 1} bytes`,
    ],
    [
      "oversize (streamed without a length)",
      () => {
        const chunk = new Uint8Array(1 << 20).fill(0x20);
        let sent = 0;
        routes["/config"] = {
          body: () =>
            new ReadableStream<Uint8Array>({
              pull(c) {
                if (sent++ > 17) return c.close();
                c.enqueue(chunk);
              },
            }),
        };
        return {};
      },
      `too large: more than ${MAX_CONFIG_SIZE} bytes`,
    ],
    ["malformed file", () => ((routes["/config"] = { body: "<html>maintenance</html>" }), {}), "bad file: fatal: 'proxy <ip>:<port>;' expected"],
    ["empty file", () => ((routes["/config"] = { body: "" }), {}), "bad file:"],
  ];
  for (const [name, arrange, expected] of cases) {
    test(`${name} → no apply, counted, one log line`, async () => {
      const over = arrange();
      const { refresher, applied, lines, disk } = setup(over);
      const r = await refresher.refreshNow();
      expect(r.ok).toBe(false);
      expect(r.configChanged).toBe(false);
      expect(applied).toHaveLength(0);
      expect(disk()).toBe(CONF_A);
      expect(readdirSync(dir).sort()).toEqual(["proxy-multi.conf", "secret"]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(expected);
      expect(lines[0]).toContain("keeping the running configuration");
      expect(lines[0]!.trimEnd().split("\n")).toHaveLength(1);
      expect(refresher.stats).toMatchObject({ attempts: 1, ok: 0, failed: 1, configChanges: 0, lastOkAt: null });
      expect(refresher.stats.lastError).toContain(expected);
    }, 10_000);
  }

  test("a bad secret (too short) keeps the running secret; a good config in the same round still applies", async () => {
    routes["/secret"] = { body: "short" };
    routes["/config"] = { body: CONF_B };
    const { refresher, applied, secrets, lines, disk } = setup({ secretPath: join(dir, "secret") });
    const r = await refresher.refreshNow();
    expect(r).toMatchObject({ ok: false, configChanged: true, secretChanged: false });
    expect(secrets).toHaveLength(0);
    expect(applied).toHaveLength(1);
    expect(disk("secret")).toBe(SECRET_A);
    expect(lines.filter((l) => l.includes("keeping the running proxy secret"))).toHaveLength(1);
    expect(lines.find((l) => l.includes("proxy secret"))).toContain("expected 32..256");
    expect(refresher.stats).toMatchObject({ failed: 1, ok: 0, configChanges: 1 });
  });

  test("an unwritable directory fails the round without applying", async () => {
    routes["/config"] = { body: CONF_B };
    const { refresher, applied, lines } = setup({ configPath: join(dir, "missing-dir", "proxy-multi.conf") });
    const r = await refresher.refreshNow();
    expect(r.ok).toBe(false);
    expect(applied).toHaveLength(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("cannot write");
  });

  test("after a failure the next good round applies", async () => {
    routes["/config"] = { status: 503 };
    const { refresher, applied } = setup();
    await refresher.refreshNow();
    routes["/config"] = { body: CONF_B };
    await refresher.refreshNow();
    expect(applied).toHaveLength(1);
    expect(refresher.stats).toMatchObject({ attempts: 2, ok: 1, failed: 1 });
  });
});

describe("config refresh: scheduling", () => {
  function fakeTimers() {
    const pending: { fn: () => void; ms: number; cleared: boolean }[] = [];
    const timers: RefreshTimers = {
      setTimeout(fn, ms) {
        const t = { fn, ms, cleared: false };
        pending.push(t);
        return t;
      },
      clearTimeout(h) {
        (h as { cleared: boolean }).cleared = true;
      },
    };
    return { timers, pending };
  }

  test("first round after min(interval, 60 s), then every interval, each jittered within ±10 %", async () => {
    const { timers, pending } = fakeTimers();
    const { refresher } = setup({ intervalSec: 600, timers });
    refresher.start();
    refresher.start(); // idempotent
    expect(pending).toHaveLength(1);
    expect(pending[0]!.ms).toBeGreaterThanOrEqual(54_000);
    expect(pending[0]!.ms).toBeLessThanOrEqual(66_000);
    pending[0]!.fn();
    for (let i = 0; i < 100 && pending.length < 2; i++) await Bun.sleep(10);
    expect(refresher.stats.attempts).toBe(1);
    expect(pending).toHaveLength(2);
    expect(pending[1]!.ms).toBeGreaterThanOrEqual(540_000);
    expect(pending[1]!.ms).toBeLessThanOrEqual(660_000);
    refresher.stop();
    expect(pending[1]!.cleared).toBe(true);
  });

  test("jitter differs between rounds (not a fixed period)", async () => {
    const { timers, pending } = fakeTimers();
    const { refresher } = setup({ intervalSec: 10, timers });
    refresher.start();
    for (let round = 0; round < 4; round++) {
      pending.at(-1)!.fn();
      for (let i = 0; i < 100 && pending.length < round + 2; i++) await Bun.sleep(10);
    }
    refresher.stop();
    const delays = new Set(pending.slice(1).map((p) => p.ms));
    expect(delays.size).toBeGreaterThan(1);
  });

  test("stop() before a round finishes: nothing is applied afterwards, nothing rescheduled", async () => {
    const { timers, pending } = fakeTimers();
    routes["/config"] = { body: CONF_B, delayMs: 100 };
    const { refresher, applied } = setup({ intervalSec: 5, timers });
    refresher.start();
    pending[0]!.fn();
    refresher.stop();
    await Bun.sleep(300);
    expect(applied).toHaveLength(0);
    expect(pending).toHaveLength(1);
  });

  test("interval 0 never schedules", () => {
    const { timers, pending } = fakeTimers();
    const { refresher } = setup({ intervalSec: 0, timers });
    refresher.start();
    expect(pending).toHaveLength(0);
  });
});
