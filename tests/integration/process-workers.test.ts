// -M N through the real program (config-and-cli.md §D.3): N workers re-executed by the supervisor share
// the -H port (SO_REUSEPORT), signals fan out, a crashed worker is restarted (beyond C), SIGTERM ends
// everything with exit 0, and workers do not outlive a SIGKILLed supervisor.
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { seededRandom } from "../../src/crypto/random.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { connectTestClient, createTestClientCodec } from "../support/test-client.ts";
import {
  childPids,
  Cleanup,
  freePort,
  getStats,
  isAlive,
  socketCount,
  startProxy,
  tempDir,
  USER_ARGS,
  waitUntil,
  writeFile,
  type ProxyProcess,
} from "../supervisor/process-harness.ts";

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const SECRET_HEX = "0123456789abcdef0123456789abcdef";

async function startWorkers(extra: string[] = [], n = 2): Promise<{ p: ProxyProcess; port: number; workers: number[] }> {
  const port = freePort();
  const p = startProxy(["--direct", "-S", SECRET_HEX, "-H", String(port), "-M", String(n), ...USER_ARGS, ...extra], cleanup);
  await p.waitForLine(/\[worker \d+\] main loop/, 10_000, n);
  const workers = childPids(p.pid);
  expect(workers.length).toBe(n);
  return { p, port, workers };
}

async function openClients(port: number, count: number): Promise<{ close(): void }> {
  const sockets = await Promise.all(
    Array.from({ length: count }, () => Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })),
  );
  const close = () => {
    for (const s of sockets) s.end();
  };
  cleanup.add(close);
  return { close };
}

describe("-M 2", () => {
  test("both workers accept clients on the one -H port; the supervisor serves none", async () => {
    const { p, port, workers } = await startWorkers();
    const before = workers.map(socketCount);
    const supBefore = socketCount(p.pid);
    const N = 200;
    await openClients(port, N);
    let spread: number[] = [];
    await waitUntil(
      () => {
        spread = workers.map((w, i) => socketCount(w) - before[i]!);
        return spread.reduce((a, b) => a + b, 0) >= N;
      },
      5000,
      "every client accepted",
    );
    console.log(`reusePort spread over ${N} connections: ${spread.join(" / ")}`);
    for (const n of spread) expect(n).toBeGreaterThan(N / 10);
    expect(socketCount(p.pid)).toBe(supBefore);
  }, 20_000);

  test("SIGUSR1 and SIGHUP reach every worker; -l collects the reopened logs", async () => {
    const dir = tempDir(cleanup);
    const logFile = `${dir}/proxy.log`;
    const { p, workers } = await startWorkers(["-l", logFile, "-v"]);
    p.proc.kill("SIGUSR1");
    const pids = [p.pid, ...workers];
    await waitUntil(() => pids.every((pid) => p.lines.some((l) => l === `[pid ${pid}] [time ${l.split("[time ")[1]?.split("]")[0]}] received signal 10`)), 3000, "USR1 everywhere");
    await waitUntil(() => existsSync(logFile) && readFileSync(logFile, "utf8").includes("logs reopened."), 3000, "supervisor reopened -l");
    p.proc.kill("SIGHUP");
    // after the reopen every process logs into the file
    await waitUntil(() => pids.every((pid) => readFileSync(logFile, "utf8").includes(`[pid ${pid}] [time`)), 3000, "HUP in the file from every process");
    expect(readFileSync(logFile, "utf8").match(/received signal 01/g)?.length).toBe(3);
    p.proc.kill("SIGTERM");
    expect(await p.exited(6000)).toBe(0);
  }, 20_000);

  test("a killed worker is restarted after 1 s while the other keeps its pid; /stats sums the workers", async () => {
    const statsPort = freePort();
    const { p, port, workers } = await startWorkers(["--http-stats", "-p", String(statsPort), "-v"]);
    // a worker that dies before the supervisor heard `ready` counts as a start-up failure (abort)
    await p.waitForLine(/worker \d \(pid \d+\) ready/, 3000, 2);
    const [victim, survivor] = workers as [number, number];
    process.kill(victim, "SIGKILL");
    await p.waitForLine(new RegExp(`Child ${victim} \\(worker \\d\\) terminated \\(killed by SIGKILL\\), restarting it in 1\\.0 s`), 3000);
    await p.waitForLine(/\[worker \d\] main loop/, 6000, 3);
    const now = childPids(p.pid);
    expect(now.length).toBe(2);
    expect(now).toContain(survivor);
    expect(now).not.toContain(victim);
    expect(isAlive(p.pid)).toBe(true);

    // both workers report over IPC: their open clients add up on the supervisor's page (W column)
    await openClients(port, 20);
    let open = 0;
    const deadline = performance.now() + 4000;
    while (performance.now() < deadline) {
      const s = await getStats(statsPort);
      open = Number(s.get("total_special_connections") ?? -1);
      expect(s.get("workers")).toBe("2");
      if (open === 20) break;
      await Bun.sleep(200);
    }
    expect(open).toBe(20);
  }, 20_000);

  test("SIGTERM: workers stop, then the supervisor, exit 0, nothing left", async () => {
    const { p, workers } = await startWorkers();
    p.proc.kill("SIGTERM");
    expect(await p.exited(6000)).toBe(0);
    expect(p.lines.some((l) => l.endsWith("Terminated by SIGTERM.") && !l.includes("[worker"))).toBe(true);
    expect(p.lines.filter((l) => /\[worker \d\] Terminated by SIGTERM\./.test(l)).length).toBe(2);
    await waitUntil(() => workers.every((w) => !isAlive(w)), 2000, "workers gone");
  }, 15_000);

  test("SIGKILL of the supervisor: every worker exits within 2 s", async () => {
    const { p, workers } = await startWorkers();
    p.proc.kill("SIGKILL");
    await waitUntil(() => workers.every((w) => !isAlive(w)), 2000, "orphaned workers exit");
  }, 15_000);
});

describe("-M 2 in middle-end mode", () => {
  const PROXY_SECRET = new Uint8Array(128).map((_, i) => (i * 53 + 5) & 0xff);

  async function echo(port: number, dc: number, seed: number): Promise<void> {
    const codec = createTestClientCodec({ secret: Buffer.from(SECRET_HEX, "hex"), mode: "plain", transport: "abridged", dc, random: seededRandom(seed) });
    const c = await connectTestClient("127.0.0.1", port, codec);
    cleanup.add(() => c.close());
    const payload = new Uint8Array(64).map((_, i) => (i * 11 + seed) & 0xff);
    payload[0] = 0x55;
    c.send([{ payload }]);
    const e = await c.next(4000);
    expect(e.kind === "packet" && Buffer.from(e.payload).equals(Buffer.from(payload))).toBe(true);
    c.close();
  }

  test("every worker links to the middle end and serves; SIGHUP gives every worker the new cluster", async () => {
    const me1 = FakeMiddleEnd.start({ secret: PROXY_SECRET });
    const me2 = FakeMiddleEnd.start({ secret: PROXY_SECRET });
    cleanup.add(() => me1.stop());
    cleanup.add(() => me2.stop());
    const dir = tempDir(cleanup);
    const secretFile = writeFile(dir, "proxy-secret", PROXY_SECRET);
    // min_connections 1: each worker opens exactly one link per target, so two links = two workers
    const cfg = writeFile(dir, "proxy-multi.conf", `min_connections 1;\ndefault 2;\nproxy_for 2 127.0.0.1:${me1.port};\n`);
    const port = freePort();
    const p = startProxy(["-H", String(port), "-S", SECRET_HEX, "--aes-pwd", secretFile, "-M", "2", ...USER_ARGS, cfg], cleanup);
    await p.waitForLine(/\[worker \d\] main loop/, 10_000, 2);
    // one link from each worker; the supervisor opens none (C's supervisor would add its own idle one)
    await me1.waitFor(() => me1.connections.filter((c) => c.stage === "tunnel").length === 2, 5000, "links from both workers");
    await Bun.sleep(300);
    expect(me1.connections.length).toBe(2);
    for (let i = 0; i < 6; i++) await echo(port, 2, i + 1);
    expect(me1.requests.length).toBe(6);

    writeFile(dir, "proxy-multi.conf", `min_connections 1;\ndefault 2;\nproxy_for 2 127.0.0.1:${me1.port};\nproxy_for 4 127.0.0.1:${me2.port};\n`);
    p.proc.kill("SIGHUP");
    // supervisor + 2 workers each re-read it
    await p.waitForLine(/configuration file .* re-read successfully/, 5000, 6);
    await me2.waitFor(() => me2.connections.filter((c) => c.stage === "tunnel").length === 2, 5000, "new cluster linked by both workers");
    for (let i = 0; i < 6; i++) await echo(port, 4, 10 + i);
    expect(me2.requests.length).toBe(6);
    p.proc.kill("SIGTERM");
    expect(await p.exited(6000)).toBe(0);
  }, 30_000);
});
