// The single-process lifecycle through the real program (config-and-cli.md §D): start-up failures with
// C's messages and exit codes, a client served through a fake middle end, /stats and /metrics, SIGHUP
// reload (good config applied, bad config kept and counted), SIGUSR1 log reopen, SIGTERM exit 0.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { seededRandom } from "../../src/crypto/random.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { runProxy } from "../support/proxy-bin.ts";
import { connectTestClient, createTestClientCodec } from "../support/test-client.ts";
import { Cleanup, freePort, getStats, startProxy, tempDir, USER_ARGS, waitUntil, writeFile } from "../supervisor/process-harness.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const CLIENT_SECRET = Buffer.from("0123456789abcdef0123456789abcdef", "hex");
const PROXY_SECRET = new Uint8Array(128).map((_, i) => (i * 37 + 11) & 0xff);

function startMe(): FakeMiddleEnd {
  const me = FakeMiddleEnd.start({ secret: PROXY_SECRET });
  cleanup.add(() => me.stop());
  return me;
}

/** An echo through the proxy from a plain intermediate client for `dc`. */
async function echo(port: number, dc: number, seed: number): Promise<void> {
  const codec = createTestClientCodec({ secret: CLIENT_SECRET, mode: "plain", transport: "intermediate", dc, random: seededRandom(seed) });
  const c = await connectTestClient("127.0.0.1", port, codec);
  cleanup.add(() => c.close());
  // an encrypted-looking MTProto packet: auth_key_id ≠ 0, ≥ 56 bytes, a multiple of 4
  const payload = new Uint8Array(64).map((_, i) => (i * 7 + seed) & 0xff);
  payload[0] = 0x44;
  c.send([{ payload }]);
  const e = await c.next(4000);
  expect(e.kind).toBe("packet");
  if (e.kind === "packet") expect(Buffer.from(e.payload).equals(Buffer.from(payload))).toBe(true);
  c.close();
}

describe("start-up failures: C's messages and exit codes", () => {
  test("a missing config file: `cannot re-read config file`, `config check failed! (code -1)`, exit 1", async () => {
    const r = await runProxy(["-H", String(freePort()), ...USER_ARGS, "/nonexistent/proxy-multi.conf"], { timeoutMs: 8000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("cannot re-read config file /nonexistent/proxy-multi.conf: No such file or directory");
    expect(r.stderr).toContain("config check failed! (code -1)");
    expect(r.stderr).not.toContain("main loop");
  });

  test("a config syntax error fails the check before any port is bound (exit 1)", async () => {
    const dir = tempDir(cleanup);
    const cfg = writeFile(dir, "bad.conf", "proxy_for 2 127.0.0.1:;\n");
    const r = await runProxy(["-H", String(freePort()), ...USER_ARGS, cfg], { timeoutMs: 8000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("config check failed! (code -1)");
  });

  test("--http-stats without -p: `fatal: port isn't defined`, exit 1", async () => {
    const r = await runProxy(["--direct", "-S", CLIENT_SECRET.toString("hex"), "-H", String(freePort()), "--http-stats", ...USER_ARGS], { timeoutMs: 8000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("fatal: port isn't defined");
  });

  test("a busy -H port: C's bind message, exit 1", async () => {
    using busy = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } });
    const r = await runProxy(["--direct", "-S", CLIENT_SECRET.toString("hex"), "-H", String(busy.port), ...USER_ARGS], { timeoutMs: 8000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`cannot open http/tcp server socket at port ${busy.port}: Address already in use`);
  });

  test.skipIf(process.getuid?.() !== 0)("as root, an unknown -u user: C's two lines, exit 1", async () => {
    const r = await runProxy(["--direct", "-S", CLIENT_SECRET.toString("hex"), "-H", String(freePort()), "-u", "no-such-user-x"], { timeoutMs: 8000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("change_user_group: can't find the user no-such-user-x to switch to");
    expect(r.stderr).toContain("fatal: cannot change user to no-such-user-x");
  });
});

describe("middle-end mode, one process", () => {
  test("serves a client, reports it on /stats, applies a good SIGHUP config and keeps serving after a bad one", async () => {
    const me1 = startMe();
    const me2 = startMe();
    const dir = tempDir(cleanup);
    const secretFile = writeFile(dir, "proxy-secret", PROXY_SECRET);
    const cfg = writeFile(dir, "proxy-multi.conf", `default 2;\nproxy_for 2 127.0.0.1:${me1.port};\n`);
    const port = freePort();
    const statsPort = freePort();
    const p = startProxy(
      ["-H", String(port), "-S", CLIENT_SECRET.toString("hex"), "--aes-pwd", secretFile, "--http-stats", "-p", String(statsPort), ...USER_ARGS, cfg],
      cleanup,
    );
    await p.waitForLine(/main loop/, 8000);
    expect(p.lines.some((l) => l.includes(`configuration file ${cfg} re-read successfully`))).toBe(true);
    await me1.waitFor(() => me1.connections.some((c) => c.stage === "tunnel"), 5000, "ME link up");

    await echo(port, 4, 1); // DC 4 is not configured: the default cluster (me1) takes it
    expect(me1.requests.length).toBe(1);
    const s1 = await getStats(statsPort);
    expect(s1.get("tot_forwarded_queries")).toBe("1");
    expect(s1.get("config_filename")).toBe(cfg);
    expect(s1.get("config_auth_clusters")).toBe("1");
    expect(Number(s1.get("ready_outbound_connections"))).toBeGreaterThan(0);

    // a good config: DC 4 gets its own cluster on me2
    writeFile(dir, "proxy-multi.conf", `default 2;\nproxy_for 2 127.0.0.1:${me1.port};\nproxy_for 4 127.0.0.1:${me2.port};\n`);
    p.proc.kill("SIGHUP");
    await p.waitForLine(/configuration file .* re-read successfully/, 5000, 2);
    await me2.waitFor(() => me2.connections.some((c) => c.stage === "tunnel"), 5000, "new ME link up");
    await echo(port, 4, 2);
    expect(me2.requests.length).toBe(1);
    expect((await getStats(statsPort)).get("config_auth_clusters")).toBe("2");

    // a broken config: C's line, old config kept, counted
    writeFile(dir, "proxy-multi.conf", "proxy_for 4 127.0.0.1:;\n");
    p.proc.kill("SIGHUP");
    await p.waitForLine(new RegExp(`error while re-reading config file ${cfg}, new configuration NOT applied`), 5000);
    await echo(port, 4, 3);
    expect(me2.requests.length).toBe(2);
    const metrics = await (await fetch(`http://127.0.0.1:${statsPort}/metrics`)).text();
    expect(metrics).toContain('mtproxy_config_reloads_total{result="failure"} 1');
    expect(metrics).toContain('mtproxy_config_reloads_total{result="success"} 1');

    p.proc.kill("SIGTERM");
    expect(await p.exited(5000)).toBe(0);
    expect(p.lines.some((l) => l.endsWith("SIGTERM handled."))).toBe(true);
    expect(p.lines.some((l) => l.endsWith("Terminated by SIGTERM."))).toBe(true);
  }, 30_000);
});

describe("signals", () => {
  test("SIGUSR1 moves logging to the -l file (0640, appended); SIGTERM then exits 0", async () => {
    const dir = tempDir(cleanup);
    const logFile = `${dir}/proxy.log`;
    const p = startProxy(["--direct", "-S", CLIENT_SECRET.toString("hex"), "-H", String(freePort()), "-l", logFile, "-v", ...USER_ARGS], cleanup);
    await p.waitForLine(/main loop/, 8000);
    expect(existsSync(logFile)).toBe(false); // -l takes effect only on a reopen (C)
    p.proc.kill("SIGUSR1");
    await waitUntil(() => existsSync(logFile) && readFileSync(logFile, "utf8").includes("logs reopened."), 3000, "log reopened");
    expect(p.lines.some((l) => l.endsWith("received signal 10"))).toBe(true);
    p.proc.kill("SIGTERM");
    expect(await p.exited(5000)).toBe(0);
    const text = readFileSync(logFile, "utf8");
    expect(text).toContain("SIGTERM handled.");
    expect(text).toContain("Terminated by SIGTERM.");
    expect((await Bun.file(logFile).stat()).mode & 0o777).toBe(0o640);
  }, 15_000);
});
