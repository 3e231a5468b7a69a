// C's signal semantics (engine-signals.c): before the main loop SIGTERM/SIGINT exit 1 at once with
// `... handled immediately.`; in the loop the first one stops gracefully, a second exits 1 at once.
import { describe, expect, test } from "bun:test";
import { installSignals, kwriteLine, type SignalActions } from "../../src/process/signals.ts";

class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function harness() {
  const handlers = new Map<string, () => void>();
  const lines: string[] = [];
  const ctl = installSignals({
    writeRaw: (l) => lines.push(l),
    exit: (code) => {
      throw new ExitCalled(code);
    },
    on: (sig, fn) => handlers.set(sig, fn),
    off: (sig) => handlers.delete(sig),
    pid: 77,
    unixNow: () => 1_700_000_000,
  });
  const raise = (sig: string): number | null => {
    try {
      handlers.get(sig)!();
      return null;
    } catch (e) {
      if (e instanceof ExitCalled) return e.code;
      throw e;
    }
  };
  return { ctl, lines, raise, handlers };
}

function recorder(): SignalActions & { calls: string[] } {
  const calls: string[] = [];
  return { calls, terminate: (s) => calls.push(`terminate ${s}`), usr1: () => calls.push("usr1"), hup: () => calls.push("hup") };
}

describe("signals", () => {
  test("kwrite format: [pid N] [time T] text", () => {
    expect(kwriteLine(5, 9, "SIGTERM handled.")).toBe("[pid 5] [time 9] SIGTERM handled.\n");
  });

  test("SIGTERM before the main loop: `SIGTERM handled immediately.` and exit 1", () => {
    const h = harness();
    expect(h.raise("SIGTERM")).toBe(1);
    expect(h.lines).toEqual(["[pid 77] [time 1700000000] SIGTERM handled immediately.\n"]);
  });

  test("in the main loop: the first SIGINT stops gracefully, a second one exits 1 at once", () => {
    const h = harness();
    const a = recorder();
    h.ctl.enterMainLoop(a);
    expect(h.raise("SIGINT")).toBeNull();
    expect(a.calls).toEqual(["terminate SIGINT"]);
    expect(h.lines.at(-1)).toEndWith("SIGINT handled.\n");
    expect(h.raise("SIGTERM")).toBe(1);
    expect(h.lines.at(-1)).toEndWith("SIGTERM handled immediately.\n");
    expect(a.calls).toEqual(["terminate SIGINT"]);
  });

  test("SIGUSR1 and SIGHUP log C's `received signal NN` and reach their actions", () => {
    const h = harness();
    const a = recorder();
    h.ctl.enterMainLoop(a);
    h.raise("SIGUSR1");
    h.raise("SIGHUP");
    expect(a.calls).toEqual(["usr1", "hup"]);
    expect(h.lines.map((l) => l.slice(l.lastIndexOf("]") + 2))).toEqual(["received signal 10\n", "received signal 01\n"]);
  });

  test("uninstall removes every handler", () => {
    const h = harness();
    expect(h.handlers.size).toBeGreaterThan(0);
    h.ctl.uninstall();
    expect(h.handlers.size).toBe(0);
  });
});
