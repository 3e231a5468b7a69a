// The compiled binary ignores .env and bunfig.toml in the directory it is started from: Bun's
// standalone executables load both by default, and bunfig's `preload` runs scripts, so a file left in
// an operator's working directory could change the proxy's settings or run code inside it.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProxy } from "../support/proxy-bin.ts";

const dir = mkdtempSync(join(tmpdir(), "mtproxy-cwd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Only the compiled binary (make test sets MTPROXY_BIN): `bun src/main.ts` is Bun itself, which reads both by design.
test.skipIf(!process.env.MTPROXY_BIN)("a .env and a bunfig.toml preload in the working directory change nothing", async () => {
  writeFileSync(join(dir, ".env"), "MTPROXY_NATIVE_CRC32C=0\n");
  writeFileSync(join(dir, "evil.ts"), 'console.log("PRELOADED-FROM-CWD");\n');
  writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
  const r = await runProxy(["doctor", "--time-url", "http://127.0.0.1:1/", "--check-timeout", "1", join(dir, "missing.conf")], { cwd: dir, timeoutMs: 15_000 });
  expect(r.stdout + r.stderr).not.toContain("PRELOADED-FROM-CWD");
  const crypto = r.stdout.split("\n").find((l) => l.includes("crypto paths:")) ?? "";
  expect(crypto).not.toBe("");
  // the .env would have turned the crc32-instruction path off on any x86-64 host with SSE4.2
  const sse42 = process.arch === "x64" && /\bsse4_2\b/.test(await Bun.file("/proc/cpuinfo").text().catch(() => ""));
  expect(crypto.includes("CRC32C crc32 instruction")).toBe(sse42);
}, 20_000);
