import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { CoarseTimers } from "../../src/io/timers.ts";

function manual(tickMs = 100) {
  let now = 1_000_000;
  const timers = new CoarseTimers({ tickMs, clock: () => now, autoTick: false });
  const fired: string[] = [];
  return {
    timers,
    fired,
    advance(ms: number): void {
      now += ms;
      timers.tick();
    },
    get now() {
      return now;
    },
  };
}

describe("CoarseTimers", () => {
  test("fires no earlier than the delay and at most one tick late", () => {
    const m = manual(100);
    m.timers.after(250, () => m.fired.push("a"));
    m.advance(240);
    expect(m.fired).toEqual([]);
    m.advance(100); // t = 340: within delay + one tick
    expect(m.fired).toEqual(["a"]);
    expect(m.timers.size).toBe(0);
    // One step that jumps well past the deadline still fires once.
    m.timers.after(50, () => m.fired.push("b"));
    m.advance(1000);
    expect(m.fired).toEqual(["a", "b"]);
  });

  test("refresh pushes the deadline on (an idle timeout with traffic), cancel stops it", () => {
    const m = manual(100);
    const idle = m.timers.after(1000, () => m.fired.push("idle"));
    const other = m.timers.after(500, () => m.fired.push("other"));
    other.cancel();
    expect(other.active).toBe(false);
    for (let i = 0; i < 30; i++) {
      m.advance(100);
      idle.refresh();
    }
    expect(m.fired).toEqual([]);
    expect(m.timers.size).toBe(1);
    m.advance(900);
    expect(m.fired).toEqual([]);
    m.advance(200);
    expect(m.fired).toEqual(["idle"]);
    expect(idle.active).toBe(false);
  });

  test("refresh to a shorter delay moves the timer earlier; refresh after firing re-arms it", () => {
    const m = manual(100);
    const t = m.timers.after(10_000, () => m.fired.push("t"));
    t.refresh(300);
    m.advance(400);
    expect(m.fired).toEqual(["t"]);
    t.refresh(200);
    expect(t.active).toBe(true);
    m.advance(300);
    expect(m.fired).toEqual(["t", "t"]);
    // Cancelled, then armed again before its old slot came round: fires once.
    const u = m.timers.after(400, () => m.fired.push("u"));
    u.cancel();
    u.refresh(100);
    m.advance(500);
    expect(m.fired.filter((x) => x === "u")).toEqual(["u"]);
  });

  test("delays longer than one revolution of the wheel (512 ticks) wait their turn", () => {
    const m = manual(10);
    m.timers.after(60_000, () => m.fired.push("long"));
    for (let i = 0; i < 5999; i++) m.advance(10);
    expect(m.fired).toEqual([]);
    m.advance(20);
    expect(m.fired).toEqual(["long"]);
  });

  test("random arm/refresh/cancel against a model: never early, at most one tick late (bounded)", () => {
    const rnd = seededRandom(5);
    const m = manual(50);
    const due = new Map<number, number>(); // id → deadline of live timers
    const handles: ReturnType<CoarseTimers["after"]>[] = [];
    const late: number[] = [];
    for (let id = 0; id < 300; id++) {
      const delay = rnd.int(3000);
      due.set(id, m.now + delay);
      handles.push(
        m.timers.after(delay, () => {
          const d = due.get(id)!;
          expect(m.now).toBeGreaterThanOrEqual(d);
          late.push(m.now - d);
          due.delete(id);
        }),
      );
    }
    for (let step = 0; step < 400; step++) {
      const id = rnd.int(handles.length);
      const k = rnd.int(4);
      if (k === 0) {
        handles[id]!.cancel();
        due.delete(id);
      } else if (k === 1) {
        const delay = rnd.int(3000);
        handles[id]!.refresh(delay);
        due.set(id, m.now + delay);
      }
      m.advance(rnd.int(40));
    }
    for (let i = 0; i < 100; i++) m.advance(50);
    expect(due.size).toBe(0);
    expect(m.timers.size).toBe(0);
    expect(late.length).toBeGreaterThan(100);
    // Steps are < 50 ms apart, so lateness stays within one tick plus one step.
    expect(Math.max(...late)).toBeLessThan(100);
  });

  test("with the real clock the interval fires timers and stops when none are left", async () => {
    const timers = new CoarseTimers({ tickMs: 10 });
    try {
      const t0 = performance.now();
      const at = await new Promise<number>((resolve) => timers.after(30, () => resolve(performance.now())));
      expect(at - t0).toBeGreaterThanOrEqual(30);
      expect(at - t0).toBeLessThan(1000);
      expect(timers.size).toBe(0);
    } finally {
      timers.stop();
    }
  });
});
