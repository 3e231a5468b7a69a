// Supervisor behaviour with stand-in workers (fixtures/worker-fixture.ts): C's abort when a worker
// dies while starting, our restart back-off afterwards, report collection, SIGTERM then SIGKILL.
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { createMemoryLogger } from "../../src/log.ts";
import { Supervisor } from "../../src/supervisor/supervisor.ts";
import { Cleanup, isAlive, waitUntil } from "./process-harness.ts";

const FIXTURE = resolve(import.meta.dir, "fixtures/worker-fixture.ts");
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

function make(mode: string, workers = 2, extra: Partial<ConstructorParameters<typeof Supervisor>[0]> = {}) {
  const mem = createMemoryLogger(1);
  const fatal: number[] = [];
  const sup = new Supervisor({
    workers,
    command: [process.execPath, FIXTURE],
    log: mem.log,
    env: { ...process.env, FIXTURE_MODE: mode },
    onFatal: (code) => fatal.push(code),
    restart: { initialDelayMs: 100, maxDelayMs: 400, stableUptimeMs: 60_000 },
    stopGraceMs: 500,
    ...extra,
  });
  cleanup.add(() => {
    for (const w of sup.workers) {
      try {
        process.kill(w.pid, "SIGKILL");
      } catch (error) {
        if (!(error instanceof Error)) throw error;
      }
    }
  });
  return { sup, lines: mem.lines, fatal };
}

describe("Supervisor", () => {
  test("a worker that dies before it is ready aborts everything with exit 1 (C: `Child <pid> terminated, aborting`)", async () => {
    const { sup, lines, fatal } = make("die-early", 2);
    sup.start();
    await waitUntil(() => fatal.length > 0, 5000, "fatal");
    expect(fatal).toEqual([1]);
    expect(lines.some((l) => /Child \d+ terminated, aborting/.test(l))).toBe(true);
    expect(lines[0]).toContain("creating 2 workers");
  }, 10_000);

  test("a worker that crashes after ready is restarted with a doubling delay (not C: C aborts)", async () => {
    const { sup, lines, fatal } = make("crash", 1);
    sup.start();
    await waitUntil(() => sup.workers[0]!.restarts >= 3, 5000, "three restarts");
    await sup.stop("SIGTERM");
    const delays = lines.filter((l) => l.includes("restarting it in")).map((l) => /in ([\d.]+) s/.exec(l)![1]);
    expect(delays.slice(0, 3)).toEqual(["0.1", "0.2", "0.4"]);
    expect(lines.some((l) => /Child \d+ \(worker 0\) terminated \(exit code 7\)/.test(l))).toBe(true);
    expect(fatal).toEqual([]);
  }, 10_000);

  test("collect() gathers a fresh report from every ready worker", async () => {
    const { sup } = make("serve", 2);
    sup.start();
    await sup.allReady();
    const reports = await sup.collect(2000);
    expect(reports.map((r) => r.snapshot.totForwardedQueries).sort()).toEqual([10, 11]);
    await sup.stop("SIGTERM");
  }, 10_000);

  test("forward() sends SIGHUP to every worker", async () => {
    const { sup } = make("serve", 2);
    sup.start();
    await sup.allReady();
    const pids = sup.workers.map((w) => w.pid);
    sup.forward("SIGHUP");
    // the fixture survives SIGHUP (a default-action SIGHUP would kill it)
    await Bun.sleep(200);
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    await sup.stop("SIGTERM");
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 10_000);

  test("stop(): a worker that ignores SIGTERM is SIGKILLed after the grace period with C's WARNING line", async () => {
    const { sup, lines } = make("stubborn", 2);
    sup.start();
    await sup.allReady();
    const pids = sup.workers.map((w) => w.pid);
    const t0 = performance.now();
    await sup.stop("SIGTERM");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
    expect(lines.some((l) => l.includes("WARNING: 2 children unfinished --> they are now killed"))).toBe(true);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  }, 10_000);
});
