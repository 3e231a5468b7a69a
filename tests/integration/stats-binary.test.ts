// /stats and /metrics of the real program (compiled under make test) after real traffic through a fake
// middle end: every C key in C's order with live values, strict Prometheus text carrying the same
// figures (per DC with the unknown-DC fallback, per secret, rejections), and with -M 2 the supervisor
// summing both workers (stats.md §4, §6; issues 5, 7, 8).
import { afterEach, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { connectTestClient, createTestClientCodec, type TestConnection } from "../support/test-client.ts";
import { Cleanup, freePort, getStats, startProxy, tempDir, USER_ARGS, writeFile } from "../supervisor/process-harness.ts";
import { parseExposition, sampleValue, type Sample } from "../stats/prometheus-parse.ts";
import ref from "../stats/vectors/c-stats-keys.json";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SECRETS = [Buffer.from("0123456789abcdef0123456789abcdef", "hex"), Buffer.from("fedcba9876543210fedcba9876543210", "hex")];
const PROXY_SECRET = new Uint8Array(128).map((_, i) => (i * 29 + 3) & 0xff);

interface Setup {
  port: number;
  statsPort: number;
  me: FakeMiddleEnd;
}

async function startWithMe(extra: string[], workers: number): Promise<Setup> {
  const me = FakeMiddleEnd.start({ secret: PROXY_SECRET });
  cleanup.add(() => me.stop());
  const dir = tempDir(cleanup);
  const secretFile = writeFile(dir, "proxy-secret", PROXY_SECRET);
  // DC 2 only: any other DC falls back to the default cluster (C: choose_proxy_target)
  const cfg = writeFile(dir, "proxy-multi.conf", `min_connections 1;\ndefault 2;\nproxy_for 2 127.0.0.1:${me.port};\n`);
  const port = freePort();
  const statsPort = freePort();
  const secretArgs = SECRETS.flatMap((s) => ["-S", s.toString("hex")]);
  const p = startProxy(["-H", String(port), ...secretArgs, "--aes-pwd", secretFile, "--http-stats", "-p", String(statsPort), ...extra, ...USER_ARGS, cfg], cleanup);
  await p.waitForLine(workers > 0 ? /\[worker \d\] main loop/ : /main loop/, 10_000, Math.max(1, workers));
  await me.waitFor(() => me.openTunnels.length >= Math.max(1, workers), 5000, "middle-end links up");
  return { port, statsPort, me };
}

/** One client: `count` echoes through the proxy for `dc` with secret `secretIndex`; left open. */
async function client(port: number, dc: number, secretIndex: number, seed: number, count = 1): Promise<TestConnection> {
  const codec = createTestClientCodec({ secret: SECRETS[secretIndex]!, mode: "plain", transport: "intermediate", dc, random: seededRandom(seed) });
  const c = await connectTestClient("127.0.0.1", port, codec);
  cleanup.add(() => c.close());
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(64).map((_, k) => (k * 13 + seed + i) & 0xff);
    payload[0] = 0x66; // auth_key_id ≠ 0: an encrypted MTProto packet
    c.send([{ payload }]);
    const e = await c.next(4000);
    expect(e.kind === "packet" && Buffer.from(e.payload).equals(Buffer.from(payload))).toBe(true);
  }
  return c;
}

/** Random bytes instead of an obfuscated2 header: no secret matches, so (without -D) C holds it silently. */
async function garbage(port: number): Promise<void> {
  const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
  cleanup.add(() => s.end());
  s.write(new Uint8Array(64).map((_, i) => (i * 91 + 7) & 0xff));
}

async function metrics(statsPort: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${statsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
  expect(res.status).toBe(200);
  return parseExposition(await res.text()).samples;
}

async function pollStats(statsPort: number, ok: (s: Map<string, string>) => boolean, timeoutMs: number): Promise<Map<string, string>> {
  const end = performance.now() + timeoutMs;
  let s = await getStats(statsPort);
  while (!ok(s) && performance.now() < end) {
    await Bun.sleep(100);
    s = await getStats(statsPort);
  }
  return s;
}

const n = (s: Map<string, string>, k: string): number => Number(s.get(k) ?? Number.NaN);

describe("/stats and /metrics through the real program", () => {
  test("single process: C's keys with live values; /metrics is strict Prometheus text with the same figures", async () => {
    const { port, statsPort, me } = await startWithMe([], 0);
    await client(port, 2, 0, 1, 3).then((c) => c.close());
    await client(port, 2, 1, 2, 1).then((c) => c.close());
    await client(port, 5, 0, 3, 2).then((c) => c.close()); // unknown DC 5 → default cluster
    const open = await client(port, -5, 1, 4, 1); // stays open: live connection figures
    await garbage(port);
    expect(me.requests.length).toBe(7);

    const s = await pollStats(statsPort, (x) => n(x, "inbound_connections") === 3 && n(x, "ext_connections") === 1, 3000);
    // every C key, in C's order, before anything of ours
    const keys = [...s.keys()];
    expect(keys.slice(0, ref.keys.length)).toEqual(ref.keys);
    expect(n(s, "tot_forwarded_queries")).toBe(7);
    expect(n(s, "tot_forwarded_responses")).toBe(7);
    expect(n(s, "dropped_queries")).toBe(0);
    expect(n(s, "ready_outbound_connections")).toBe(1);
    expect(n(s, "total_ready_targets")).toBe(1);
    expect(n(s, "total_declared_targets")).toBe(1);
    expect(n(s, "inbound_connections_accepted")).toBeGreaterThanOrEqual(6); // 5 clients + this request
    // the open client, the held garbage connection and this request's HTTP socket
    expect(n(s, "inbound_connections")).toBe(3);
    expect(n(s, "total_special_connections")).toBe(2);
    expect(n(s, "ext_connections")).toBe(1);
    expect(n(s, "ext_connections_created")).toBe(4);
    expect(n(s, "http_connections")).toBe(1);
    expect(n(s, "listening_connections")).toBe(2);
    expect(n(s, "max_connection")).toBeGreaterThan(0);
    expect(s.get("workers")).toBe("0");
    expect(s.has("secret_1_active_connections") && s.has("secret_2_active_auth_keys")).toBe(true);
    expect(n(s, "config_reload_ok")).toBe(0);
    expect(n(s, "config_reload_failed")).toBe(0);
    expect(s.has("config_refresh_attempts")).toBe(false); // no --config-refresh

    const m = await metrics(statsPort);
    expect(sampleValue(m, "mtproxy_forwarded_queries_total")).toBe(7);
    expect(sampleValue(m, "mtproxy_forwarded_responses_total")).toBe(7);
    expect(sampleValue(m, "mtproxy_ext_connections_created_total")).toBe(4);
    expect(sampleValue(m, "mtproxy_client_packets_total", { direction: "in" })).toBe(7);
    expect(sampleValue(m, "mtproxy_client_packets_total", { direction: "out" })).toBe(7);
    // per DC: the client's own DC index, the fallback counted against it
    expect(sampleValue(m, "mtproxy_dc_packets_total", { dc: "2", direction: "in" })).toBe(4);
    expect(sampleValue(m, "mtproxy_dc_packets_total", { dc: "5", direction: "out" })).toBe(2);
    expect(sampleValue(m, "mtproxy_dc_bytes_total", { dc: "5", direction: "in" })).toBe(128);
    expect(sampleValue(m, "mtproxy_dc_connections_created_total", { dc: "2" })).toBe(2);
    expect(sampleValue(m, "mtproxy_dc_connections", { dc: "-5" })).toBe(1);
    expect(sampleValue(m, "mtproxy_dc_connections", { dc: "2" })).toBe(0);
    expect(sampleValue(m, "mtproxy_dc_fallbacks_total", { dc: "5" })).toBe(1);
    expect(sampleValue(m, "mtproxy_dc_fallbacks_total", { dc: "-5" })).toBe(1);
    expect(sampleValue(m, "mtproxy_dc_fallbacks_total", { dc: "2" })).toBe(0);
    expect(sampleValue(m, "mtproxy_unknown_dc_fallbacks_total")).toBe(2);
    // per secret (1-based -S position): handshakes
    expect(sampleValue(m, "mtproxy_secret_connections_created_total", { secret: "1" })).toBe(2);
    expect(sampleValue(m, "mtproxy_secret_connections_created_total", { secret: "2" })).toBe(2);
    // the garbage connection: no secret matched, held silently (no -D)
    expect(sampleValue(m, "mtproxy_blackholed_connections_total")).toBe(1);
    expect(sampleValue(m, "mtproxy_rejected_handshakes_total", { reason: "bad_handshake" })).toBe(1);
    expect(sampleValue(m, "mtproxy_rejected_handshakes_total", { reason: "replay" })).toBe(0);
    expect(sampleValue(m, "mtproxy_ready_outbound_connections")).toBe(n(s, "ready_outbound_connections"));
    expect(sampleValue(m, "mtproxy_config_size_bytes")).toBe(n(s, "config_size"));
    open.close();
  }, 30_000);

  test("-M 2: the supervisor's /stats and /metrics sum what both workers forwarded", async () => {
    const { port, statsPort, me } = await startWithMe(["-M", "2"], 2);
    // min_connections 1: each worker has exactly one ME link, so requests per link = clients per worker
    const links = (): Set<number> => new Set(me.requests.map((r) => r.conn));
    let clients = 0;
    while (clients < 60 && (clients < 4 || links().size < 2)) {
      await client(port, clients % 2 === 0 ? 2 : 3, clients % 2, 100 + clients, 2).then((c) => c.close());
      clients++;
    }
    expect(links().size).toBe(2);
    const total = clients * 2;
    expect(me.requests.length).toBe(total);
    // workers report once a second
    const s = await pollStats(statsPort, (x) => n(x, "tot_forwarded_queries") === total && n(x, "ext_connections") === 0, 4000);
    expect(n(s, "tot_forwarded_queries")).toBe(total);
    expect(n(s, "tot_forwarded_responses")).toBe(total);
    expect(n(s, "ext_connections_created")).toBe(clients);
    expect(n(s, "ext_connections")).toBe(0);
    expect(s.get("workers")).toBe("2");
    // W: each worker's ready target, summed
    expect(n(s, "total_ready_targets")).toBe(2);
    expect(n(s, "total_encrypted_connections")).toBe(2);
    const m = await metrics(statsPort);
    expect(sampleValue(m, "mtproxy_forwarded_queries_total")).toBe(total);
    expect(sampleValue(m, "mtproxy_dc_fallbacks_total", { dc: "3" })).toBe(Math.floor(clients / 2));
    expect(sampleValue(m, "mtproxy_dc_packets_total", { dc: "2", direction: "in" })).toBe(2 * Math.ceil(clients / 2));
    expect(sampleValue(m, "mtproxy_secret_connections_created_total", { secret: "1" })).toBe(Math.ceil(clients / 2));
    expect(sampleValue(m, "mtproxy_workers")).toBe(2);
  }, 40_000);
});
