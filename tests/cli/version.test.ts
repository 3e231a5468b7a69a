// The version string keeps C's FullVersionStr shape.
import { expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { formatCompileTime, FULL_VERSION_STR, fullVersionString, VERSION_STR } from "../../src/version.ts";

test("C's shape: <name> compiled at <date> <time> by <compiler> 64-bit after commit <hash>", () => {
  expect(VERSION_STR).toBe(`mtproxy-ts-${pkg.version}`);
  expect(FULL_VERSION_STR).toMatch(
    new RegExp(`^mtproxy-ts-${pkg.version.replaceAll(".", "\\.")} compiled at [A-Z][a-z]{2} [ \\d]\\d \\d{4} \\d\\d:\\d\\d:\\d\\d by bun ${Bun.version.replaceAll(".", "\\.")} 64-bit after commit \\S+$`),
  );
  expect(fullVersionString({ compiledAt: "Jan  5 2025 01:02:03", runtime: "bun 1.4.5", commit: "abc" })).toBe(
    `mtproxy-ts-${pkg.version} compiled at Jan  5 2025 01:02:03 by bun 1.4.5 64-bit after commit abc`,
  );
});

test("__DATE__ pads the day with a space, __TIME__ with zeros", () => {
  expect(formatCompileTime(new Date(2025, 0, 5, 1, 2, 3))).toBe("Jan  5 2025 01:02:03");
  expect(formatCompileTime(new Date(2024, 11, 25, 23, 59, 9))).toBe("Dec 25 2024 23:59:09");
});
