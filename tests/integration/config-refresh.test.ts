// The proxy process with --config-refresh 1 against a loopback config server: it picks up a changed
// proxy-multi.conf without a restart (new middle-end used, /stats config_md5 follows), then keeps
// serving through a broken download (HTTP 500) and a malformed file, logging one line for each and
// reporting both in /stats (config_refresh_* after C's keys) and on /metrics.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { md5Hex } from "../../src/crypto/hash.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import { packet } from "../proxy/harness.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { proxyCommand } from "../support/proxy-bin.ts";
import { USER_ARGS } from "../supervisor/process-harness.ts";
import { connectTestClient, createTestClientCodec, type TestConnection } from "../support/test-client.ts";
import { SECRET } from "../rpc/helpers.ts";
import { parseExposition, sampleValue } from "../stats/prometheus-parse.ts";

const CLIENT_SECRET = Buffer.from("0123456789abcdef0123456789abcdef", "hex");
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function echoThrough(port: number, seed: number): Promise<TestConnection> {
  const codec = createTestClientCodec({ secret: CLIENT_SECRET, mode: "plain", transport: "intermediate", dc: 2, random: seededRandom(seed) });
  const c = await connectTestClient("127.0.0.1", port, codec);
  cleanups.push(() => c.close());
  await expectEcho(c, seed);
  return c;
}

async function expectEcho(c: TestConnection, seed: number): Promise<void> {
  const p = packet(64, seed);
  c.send([{ payload: p }]);
  const e = await c.next(5000);
  expect(e.kind === "packet" && Buffer.from(e.payload).equals(p)).toBe(true);
}

test("--config-refresh: a changed config is applied live; a 500 and a malformed file keep it serving, one log line each", async () => {
  const dir = mkdtempSync(join(tmpdir(), "refresh-it-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const meOld = FakeMiddleEnd.start({ secret: SECRET });
  const meNew = FakeMiddleEnd.start({ secret: SECRET });
  cleanups.push(() => meOld.stop(), () => meNew.stop());
  const confA = `proxy_for 2 127.0.0.1:${meOld.port};\ndefault 2;\n`;
  const confB = `proxy_for 2 127.0.0.1:${meNew.port};\ndefault 2;\n`;
  const confPath = join(dir, "proxy-multi.conf");
  const pwdPath = join(dir, "proxy-secret");
  writeFileSync(confPath, confA);
  writeFileSync(pwdPath, SECRET);

  let route: { status: number; body: string } = { status: 200, body: confB };
  const hits: number[] = [];
  const web = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/secret") return new Response(SECRET);
      if (path !== "/config") return new Response("no", { status: 404 });
      hits.push(route.status);
      return new Response(route.body, { status: route.status });
    },
  });
  cleanups.push(() => web.stop(true));

  const port = freePort();
  const statsPort = freePort();
  const proc = Bun.spawn(
    proxyCommand([
      "-H", String(port), "-p", String(statsPort), "--http-stats", "-S", CLIENT_SECRET.toString("hex"), "--aes-pwd", pwdPath,
      ...USER_ARGS, "--config-refresh", "1", "--config-url", `http://127.0.0.1:${web.port}/config`,
      "--secret-url", `http://127.0.0.1:${web.port}/secret`, confPath,
    ]),
    { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  cleanups.push(async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  });
  let stderr = "";
  void (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr) stderr += dec.decode(chunk, { stream: true });
  })();
  const stats = async (): Promise<string> => {
    try {
      return await (await fetch(`http://127.0.0.1:${statsPort}/stats`)).text();
    } catch (e) {
      if (e instanceof Error) return "";
      throw e;
    }
  };
  const statsMd5 = async () => /config_md5\t(\S+)/.exec(await stats())?.[1] ?? null;
  const statsMap = async (): Promise<Map<string, string>> =>
    new Map((await stats()).split("\n").filter((l) => l.includes("\t")).map((l) => [l.slice(0, l.indexOf("\t")), l.slice(l.indexOf("\t") + 1)] as [string, string]));
  const num = (m: Map<string, string>, k: string): number => Number(m.get(k) ?? Number.NaN);

  // 1. The changed config arrives within the first round (min(interval, 60 s) ± 10 %), no restart.
  try {
    await until(async () => (await statsMd5()) === md5Hex(Buffer.from(confB)), 8000, "/stats config_md5 of the new config");
  } catch (e) {
    console.error(stderr, await stats(), hits);
    throw e;
  }
  expect(readFileSync(confPath, "utf8")).toBe(confB);
  await until(() => meNew.openTunnels.length > 0, 5000, "a link to the new middle-end");
  const client = await echoThrough(port, 1);
  expect(meNew.requests.length).toBe(1);
  expect(meOld.requests.length).toBe(0);
  const s1 = await statsMap();
  expect(num(s1, "config_refresh_ok")).toBeGreaterThanOrEqual(1);
  expect(num(s1, "config_refresh_failed")).toBe(0);
  expect(s1.get("config_refresh_last_error")).toBe("");
  expect(num(s1, "config_refresh_last_changed_at")).toBeGreaterThan(0);
  expect(num(s1, "config_refresh_last_ok_at")).toBeGreaterThanOrEqual(num(s1, "config_refresh_last_changed_at"));
  // the applied download is a reload like SIGHUP's
  expect(num(s1, "config_reload_ok")).toBeGreaterThanOrEqual(1);
  expect(num(s1, "config_reload_failed")).toBe(0);
  // C's keys keep their place: ours come after version and the per-secret lines
  const keys = [...s1.keys()];
  expect(keys.indexOf("config_refresh_attempts")).toBeGreaterThan(keys.indexOf("secret_1_active_auth_keys"));
  expect(keys.indexOf("secret_1_active_auth_keys")).toBeGreaterThan(keys.indexOf("version"));

  // 2. A broken download: counted and logged, the running config stays.
  route = { status: 500, body: "oops" };
  await until(() => stderr.includes("download failed: HTTP 500"), 6000, "the HTTP 500 log line");
  let s2 = await statsMap();
  await until(async () => num((s2 = await statsMap()), "config_refresh_failed") >= 1, 3000, "/stats counting the failed round");
  expect(s2.get("config_refresh_last_error")).toContain("download failed: HTTP 500");
  expect(num(s2, "config_refresh_attempts")).toBe(num(s2, "config_refresh_ok") + num(s2, "config_refresh_failed"));
  const failedAfter500 = num(s2, "config_refresh_failed");
  // 3. A malformed file: likewise.
  route = { status: 200, body: "<html>maintenance</html>" };
  await until(() => stderr.includes("bad file:"), 6000, "the malformed-file log line");
  let s3 = await statsMap();
  await until(async () => ((s3 = await statsMap()).get("config_refresh_last_error") ?? "").includes("bad file:"), 3000, "/stats naming the bad file");
  expect(num(s3, "config_refresh_failed")).toBeGreaterThan(failedAfter500);
  // no round succeeded while the server was broken
  expect(num(s3, "config_refresh_last_ok_at")).toBe(num(s2, "config_refresh_last_ok_at"));
  expect(num(s3, "config_refresh_ok")).toBe(num(s2, "config_refresh_ok"));
  expect(num(s3, "config_refresh_last_changed_at")).toBe(num(s1, "config_refresh_last_changed_at"));
  const metrics = parseExposition(await (await fetch(`http://127.0.0.1:${statsPort}/metrics`)).text()).samples;
  expect(sampleValue(metrics, "mtproxy_config_refresh_total", { result: "failed" })).toBeGreaterThanOrEqual(num(s3, "config_refresh_failed"));
  expect(sampleValue(metrics, "mtproxy_config_refresh_total", { result: "ok" })).toBeGreaterThanOrEqual(1);
  expect(sampleValue(metrics, "mtproxy_config_refresh_last_success_timestamp_seconds")).toBeGreaterThan(0);
  route = { status: 200, body: confB };
  const served500 = hits.filter((s) => s === 500).length;
  const lines500 = stderr.split("\n").filter((l) => l.includes("download failed: HTTP 500"));
  expect(lines500.length).toBeGreaterThanOrEqual(1);
  expect(lines500.length).toBeLessThanOrEqual(served500); // one line per failed round, never more
  expect(lines500[0]).toContain("keeping the running configuration");

  // Still serving, on the same config: the old client and a new one both echo through the new ME.
  await expectEcho(client, 2);
  await echoThrough(port, 3);
  expect(meNew.requests.length).toBe(3);
  expect(await statsMd5()).toBe(md5Hex(Buffer.from(confB)));
  expect(readFileSync(confPath, "utf8")).toBe(confB);
  expect(proc.exitCode).toBeNull();
  expect(stderr).not.toContain("keeping the running proxy secret");
  if (process.env.SHOW_STDERR) console.error(stderr);
}, 40_000);
