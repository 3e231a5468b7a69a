import { expect, test } from "bun:test";
import { cFixed, cInt } from "../../src/stats/format.ts";
import vectors from "./vectors/printf-fixed.json";

test("cFixed matches glibc %.3f and %.6f, including exact binary ties (round half to even)", () => {
  for (const c of vectors.cases) {
    expect(`${c.x} → ${cFixed(c.x, 3)}`).toBe(`${c.x} → ${c.f3}`);
    expect(`${c.x} → ${cFixed(c.x, 6)}`).toBe(`${c.x} → ${c.f6}`);
  }
});

test("cInt prints %d/%lld: truncated decimal, never exponent notation", () => {
  expect(cInt(5)).toBe("5");
  expect(cInt(-3.7)).toBe("-3");
  expect(cInt(2 ** 40)).toBe("1099511627776");
  expect(cInt(-0)).toBe("0");
});
