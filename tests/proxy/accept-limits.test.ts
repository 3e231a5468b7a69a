// -C and --max-accept-rate admission (net_accept_new_connections): a full bucket of R, R/s refill.
import { describe, expect, test } from "bun:test";
import { AcceptLimiter } from "../../src/proxy/accept-limits.ts";

describe("AcceptLimiter", () => {
  test("the bucket starts full: R sockets at once, then refused until it refills at R per second", () => {
    const l = new AcceptLimiter(0, 5);
    const verdicts = Array.from({ length: 7 }, () => l.admit(0, 1000));
    expect(verdicts).toEqual(["ok", "ok", "ok", "ok", "ok", "rate", "rate"]);
    expect(l.remaining).toBe(0);
    expect(l.admit(0, 1100)).toBe("rate"); // 0.5 token
    expect(l.remaining).toBeCloseTo(0.5, 6); // what /stats shows as cur_accept_rate_remaining
    expect(l.admit(0, 1200)).toBe("ok"); // 1 token after 200 ms
    expect(l.admit(0, 1200)).toBe("rate");
    // refill is capped at R
    const after = Array.from({ length: 7 }, () => l.admit(0, 100_000));
    expect(after.filter((v) => v === "ok").length).toBe(5);
  });

  test("-C: at the cap the socket is refused without spending a token; 0 means no limit", () => {
    const l = new AcceptLimiter(2, 2);
    expect(l.admit(2, 0)).toBe("cap");
    expect(l.admit(1, 0)).toBe("ok");
    expect(l.admit(1, 0)).toBe("ok");
    expect(l.admit(1, 0)).toBe("rate");
    const free = new AcceptLimiter(0, 0);
    expect(Array.from({ length: 1000 }, (_, i) => free.admit(i * 100, 0)).every((v) => v === "ok")).toBe(true);
  });
});
