// The libc conversions behind C's option handlers.
import { describe, expect, test } from "bun:test";
import { atof, atoi, isIpv4Literal, parseMemoryLimit, scanPortRange } from "../../src/cli/c-number.ts";

describe("atoi", () => {
  test.each([
    ["42", 42], ["  -7x", -7], ["+3", 3], ["\t\n12", 12], ["", 0], ["abc", 0], ["- 1", 0], ["12.9", 12],
    // strtol clamps to LONG_MAX, then the int truncation keeps the low 32 bits (-1 on LP64).
    ["99999999999999999999", -1], ["2147483648", -2147483648], ["4294967297", 1],
  ])("atoi(%p) = %p", (s, v) => expect(atoi(s)).toBe(v));
});

describe("atof", () => {
  test.each([
    ["2.5", 2.5], [" 1e2x", 100], ["1e", 1], [".5", 0.5], ["-0.25", -0.25], ["abc", 0], ["0x10", 16], ["0x1p3", 8], ["inf", Infinity],
  ])("atof(%p) = %p", (s, v) => expect(atof(s)).toBe(v));
  test("nan", () => expect(atof("nan")).toBeNaN());
});

describe("sscanf %d:%d", () => {
  test.each([
    ["80", 1, 80], ["80:90", 2, 80], ["80:", 1, 80], ["80x:90", 1, 80], [" 80: 90", 2, 80], ["x", 0, 0], [":5", 0, 0], ["", -1, 0], ["  ", -1, 0],
  ] as const)("%p → %p conversions", (s, count, start) => {
    const r = scanPortRange(s);
    expect(r.count).toBe(count);
    if (count > 0) expect(r.start).toBe(start);
  });
});

describe("parse_memory_limit", () => {
  test("suffixes and their absence", () => {
    expect(parseMemoryLimit("7")).toEqual({ ok: true, bytes: 7 });
    expect(parseMemoryLimit("7K")).toEqual({ ok: true, bytes: 7 << 10 });
    expect(parseMemoryLimit("-1k")).toEqual({ ok: true, bytes: -1024 });
    expect(parseMemoryLimit("5 ")).toEqual({ ok: true, bytes: 5 });
  });
  test("errors", () => {
    expect(parseMemoryLimit("k")).toEqual({ ok: false, reason: "number" });
    expect(parseMemoryLimit("7q")).toEqual({ ok: false, reason: "suffix", suffix: "q" });
    expect(parseMemoryLimit("7@")).toEqual({ ok: false, reason: "suffix", suffix: "@" });
  });
});

describe("inet_pton AF_INET", () => {
  test.each([["1.2.3.4", true], ["0.0.0.0", true], ["255.255.255.255", true], ["256.1.1.1", false], ["01.2.3.4", false], ["1.2.3", false], ["1.2.3.4.5", false], [" 1.2.3.4", false], ["1.2.3.4 ", false], ["localhost", false], ["", false]])(
    "%p → %p",
    (s, v) => expect(isIpv4Literal(s)).toBe(v),
  );
});
