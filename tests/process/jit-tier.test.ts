// The server runs without JSC's FTL tier: the compiled binary re-executes itself once, same pid and
// argv, with BUN_JSC_useFTLJIT=0, unless the user chose a value (src/process/jit-tier.ts).
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FTL_OPTION_ENV, ftlOffReexecEnv, isCompiledEntry } from "../../src/process/jit-tier.ts";
import { childPids, Cleanup, freePort, startProxy, USER_ARGS } from "../supervisor/process-harness.ts";

describe("ftlOffReexecEnv", () => {
  test("a compiled binary without the option: the same environment plus the option off", () => {
    expect(ftlOffReexecEnv({ PATH: "/bin", SECRET: "x", UNSET: undefined }, true)).toEqual({ PATH: "/bin", SECRET: "x", [FTL_OPTION_ENV]: "0" });
  });

  test.each([["1"], ["0"], [""]])("the option already set to %p (by the user or our own exec): run as is", (value) => {
    expect(ftlOffReexecEnv({ [FTL_OPTION_ENV]: value }, true)).toBeNull();
  });

  test("`bun src/main.ts` is never re-executed (its runtime flags would be lost)", () => {
    expect(ftlOffReexecEnv({}, false)).toBeNull();
  });

  test("the compiled entry is told apart by Bun's embedded file system", () => {
    expect(isCompiledEntry("/$bunfs/root/mtproto-proxy")).toBe(true);
    expect(isCompiledEntry("/work/main/src/main.ts")).toBe(false);
  });
});

const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
const SECRET = "0123456789abcdef0123456789abcdef";

describe.skipIf(!process.env.MTPROXY_BIN)("the compiled binary", () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  test("serves as the pid it was started as, with FTL off, and says `Invoking engine` once", async () => {
    expect(process.env[FTL_OPTION_ENV]).toBeUndefined(); // the binary starts without the option
    const p = startProxy([...USER_ARGS, "--direct", "-H", String(freePort()), "-S", SECRET], cleanup);
    await p.waitForLine(/main loop/, 10_000);
    expect(environ(p.pid)).toContain(`${FTL_OPTION_ENV}=0`);
    expect(p.lines.filter((l) => l.includes("Invoking engine"))).toHaveLength(1);
  });

  test("-M workers inherit the option and are not re-executed again", async () => {
    const p = startProxy([...USER_ARGS, "--direct", "-M", "2", "-H", String(freePort()), "-S", SECRET], cleanup);
    await p.waitForLine(/\[worker \d+\] main loop/, 15_000, 2);
    const workers = childPids(p.pid);
    expect(workers).toHaveLength(2);
    for (const pid of [p.pid, ...workers]) expect(environ(pid)).toContain(`${FTL_OPTION_ENV}=0`);
    expect(p.lines.filter((l) => l.includes("Invoking engine"))).toHaveLength(1);
  });

  test("a user's own value is kept", async () => {
    const p = startProxy([...USER_ARGS, "--direct", "-H", String(freePort()), "-S", SECRET], cleanup, { env: { [FTL_OPTION_ENV]: "1" } });
    await p.waitForLine(/main loop/, 10_000);
    expect(environ(p.pid)).toContain(`${FTL_OPTION_ENV}=1`);
  });
});
