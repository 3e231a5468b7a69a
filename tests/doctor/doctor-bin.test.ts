// `mtproto-proxy doctor` as a process: a config path that does not exist is a FAIL line and exit 1;
// --help prints the subcommand usage; a C command-line error exits 2.
import { describe, expect, test } from "bun:test";
import { runProxy } from "../support/proxy-bin.ts";

const offline = ["--time-url", "http://127.0.0.1:1/", "--check-timeout", "1"];

describe("doctor subcommand (binary)", () => {
  test("a missing config file → FAIL config file line, exit 1", async () => {
    const r = await runProxy(["doctor", ...offline, "/nonexistent/proxy-multi.conf"], { timeoutMs: 15_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("FAIL config file: /nonexistent/proxy-multi.conf: cannot re-read config file /nonexistent/proxy-multi.conf: No such file or directory\n");
    expect(r.stdout).toContain("     hint: fetch a fresh one: curl -s https://core.telegram.org/getProxyConfig -o /nonexistent/proxy-multi.conf");
    expect(r.stdout).toMatch(/\nsummary: \d+ passed, \d+ warnings, [1-9]\d* failed\n$/);
  }, 20_000);

  test("--help prints the doctor usage, exit 0", async () => {
    const r = await runProxy(["doctor", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("mtproto-proxy doctor");
    expect(r.stdout).toContain("--time-url");
  }, 20_000);

  test("a bad proxy flag is a usage error, exit 2", async () => {
    const r = await runProxy(["doctor", "-H", "0", "proxy.conf"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("-H");
    expect(r.stdout).not.toContain("PASS");
  }, 20_000);
});
