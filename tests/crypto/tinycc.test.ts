import { expect, test } from "bun:test";
import { compileC } from "../../src/crypto/tinycc.ts";

test("compiled functions, linked by address, keep working after the compile's own objects are collected", () => {
  const add = (() => compileC("test-add", "int mtp_add(int a, int b) { return a + b; }", { mtp_add: { args: ["i32", "i32"], returns: "i32" } }).symbols.mtp_add)();
  for (let i = 0; i < 5; i++) Bun.gc(true);
  let sum = 0;
  for (let i = 0; i < 10_000; i++) sum += add(i, 1);
  expect(sum).toBe((9_999 * 10_000) / 2 + 10_000);
});

test("a source TinyCC refuses throws, and leaves no temp file behind", async () => {
  const { readdirSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const before = readdirSync(tmpdir()).filter((f) => f.startsWith(`mtproxy-test-bad-${process.pid}-`));
  expect(() => compileC("test-bad", "int mtp_bad( { nope", { mtp_bad: { args: [], returns: "i32" } })).toThrow();
  expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`mtproxy-test-bad-${process.pid}-`))).toEqual(before);
});
