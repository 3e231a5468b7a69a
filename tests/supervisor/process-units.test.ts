// Pure parts of the lifecycle: restart back-off, self re-exec command, /etc/passwd lookup and C's -u
// messages, the -c plan, the log sink's reopen rules, PID ip choice, SIGHUP reload bookkeeping.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigLoadError } from "../../src/config/load.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { createMemoryLogger } from "../../src/log.ts";
import { ConfigReloader } from "../../src/process/config-reload.ts";
import { createLogSink } from "../../src/process/log-file.ts";
import { readProcNofile } from "../../src/process/os-calls.ts";
import { changeUserGroup, findPasswdEntry, type IdentityOps } from "../../src/process/privileges.ts";
import { chooseMainIpv4, processIp, startedAsLine } from "../../src/process/process-id.ts";
import { planNofile, raiseFileLimit } from "../../src/process/rlimit.ts";
import { RestartBackoff } from "../../src/supervisor/restart-policy.ts";
import { parseWorkerId, selfCommand } from "../../src/supervisor/worker-command.ts";

describe("restart back-off", () => {
  test("1 s doubling to 30 s, back to 1 s after a run of 60 s", () => {
    const b = new RestartBackoff();
    expect([1, 2, 3, 4, 5, 6, 7].map(() => b.onExit(100))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(b.onExit(60_000)).toBe(1000);
    expect(b.onExit(10)).toBe(2000);
  });
});

describe("worker command", () => {
  test("compiled binary: the binary and the user's arguments; under bun: the script too", () => {
    expect(selfCommand("/usr/bin/mtproto-proxy", "/$bunfs/root/mtproto-proxy", ["-M", "2", "x.conf"])).toEqual(["/usr/bin/mtproto-proxy", "-M", "2", "x.conf"]);
    expect(selfCommand("/usr/bin/bun", "/repo/src/main.ts", ["-M", "2"])).toEqual(["/usr/bin/bun", "/repo/src/main.ts", "-M", "2"]);
  });
  test("MTPROXY_WORKER_ID: small non-negative integers only", () => {
    expect(parseWorkerId("0")).toBe(0);
    expect(parseWorkerId("17")).toBe(17);
    for (const bad of [undefined, "", "-1", "1.5", "x", "1234"]) expect(parseWorkerId(bad)).toBeNull();
  });
});

const PASSWD = "root:x:0:0:root:/root:/bin/bash\nmtproxy:x:999:998::/nonexistent:/usr/sbin/nologin\nbroken:x::1::/:/bin/sh\n";

function ops(uid: number, fail: "setgroups" | "setgid" | "setuid" | null = null): IdentityOps & { calls: string[] } {
  const calls: string[] = [];
  const step = (name: string, v: number | number[]) => {
    calls.push(`${name}(${String(v)})`);
    if (fail === name) throw new Error("Operation not permitted");
  };
  return {
    calls,
    getuid: () => uid,
    geteuid: () => uid,
    readPasswd: () => PASSWD,
    setgroups: (g) => step("setgroups", g),
    setgid: (g) => step("setgid", g),
    setuid: (u) => step("setuid", u),
    seteuid: (u) => step("seteuid", u),
    setegid: (g) => step("setegid", g),
  };
}

describe("-u (change_user_group)", () => {
  test("passwd lookup", () => {
    expect(findPasswdEntry(PASSWD, "mtproxy")).toEqual({ name: "mtproxy", uid: 999, gid: 998 });
    expect(findPasswdEntry(PASSWD, "nobody")).toBeNull();
    expect(findPasswdEntry(PASSWD, "broken")).toBeNull();
  });
  test("not root: nothing changes, -u is ignored", () => {
    const o = ops(1000);
    expect(changeUserGroup("whoever", o)).toEqual({ ok: true, switchedTo: null });
    expect(o.calls).toEqual([]);
  });
  test("root without -u switches to mtproxy: setgroups([gid]), setgid, setuid in C's order", () => {
    const o = ops(0);
    expect(changeUserGroup(null, o).ok).toBe(true);
    expect(o.calls).toEqual(["setgroups(998)", "setgid(998)", "setuid(999)"]);
  });
  test("C's failure lines", () => {
    expect(changeUserGroup("ghost", ops(0))).toEqual({
      ok: false,
      lines: ["change_user_group: can't find the user ghost to switch to", "fatal: cannot change user to ghost"],
    });
    const none = changeUserGroup(null, { ...ops(0), readPasswd: () => "" });
    expect(none.ok ? [] : none.lines).toEqual(["change_user_group: can't find the user mtproxy to switch to", "fatal: cannot change user to (none)"]);
    const gid = changeUserGroup("mtproxy", ops(0, "setgid"));
    expect(gid.ok ? "" : gid.lines[0]).toBe("change_user_group: setgid (998) failed. Operation not permitted");
    const uid = changeUserGroup("mtproxy", ops(0, "setuid"));
    expect(uid.ok ? "" : uid.lines[0]).toBe("change_user_group: failed to assume identity of user mtproxy");
  });
});

describe("-c and RLIMIT_NOFILE", () => {
  test("plan: nothing when the soft limit suffices; root raises both (n+16+3 as C); non-root up to the hard limit", () => {
    expect(planNofile({ soft: 70000, hard: 70000 }, 65536, false)).toBeNull();
    expect(planNofile({ soft: 1024, hard: 4096 }, 65536, true)).toEqual({ soft: 65555, hard: 65555 });
    expect(planNofile({ soft: 1024, hard: 4096 }, 65536, false)).toEqual({ soft: 4096, hard: 4096 });
    expect(planNofile({ soft: 4096, hard: 4096 }, 65536, false)).toBeNull();
  });
  test("a limit that cannot be raised caps the connections instead of exiting (beyond C)", () => {
    let lim = { soft: 1024, hard: 2048 };
    const os = { getNofile: () => lim, setNofile: (l: typeof lim) => ((lim = l), true), setsid: () => -1 };
    expect(raiseFileLimit(65536, false, os)).toEqual({ kind: "capped", maxConnections: 2032, limit: { soft: 2048, hard: 2048 }, wanted: 65552 });
    lim = { soft: 1024, hard: 2048 };
    expect(raiseFileLimit(65536, true, { ...os, setNofile: () => false }).maxConnections).toBe(1008);
    expect(raiseFileLimit(1000, false, os)).toMatchObject({ kind: "ok", maxConnections: 1000 });
    expect(raiseFileLimit(1000, false, null)).toEqual({ kind: "unknown", maxConnections: 1000 });
  });
  test("/proc/self/limits parse", () => {
    const text = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 unlimited            files\n";
    expect(readProcNofile(text)).toEqual({ soft: 1024, hard: Number.MAX_SAFE_INTEGER });
  });
});

describe("log sink", () => {
  test("stderr until a reopen; then appended to -l (created 0640); a failed open keeps the previous target", () => {
    const dir = mkdtempSync(join(tmpdir(), "mtproxy-log-"));
    try {
      const file = join(dir, "p.log");
      const err: string[] = [];
      const sink = createLogSink(file, { stderr: (l) => err.push(l) });
      sink.write("a\n");
      expect(sink.reopen("signal")).toEqual({ ok: true });
      sink.write("b\n");
      expect(sink.reopen("signal").ok).toBe(true);
      sink.write("c\n");
      expect(err).toEqual(["a\n"]);
      expect(readFileSync(file, "utf8")).toBe("b\nc\n");
      expect(statSync(file).mode & 0o777).toBe(0o640);
      const bad = createLogSink(join(dir, "no/such/dir.log"), { stderr: (l) => err.push(l) });
      expect(bad.reopen("signal").ok).toBe(false);
      bad.write("d\n");
      expect(err).toEqual(["a\n", "d\n"]);
      sink.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("without -l: SIGUSR1 keeps stderr (not C's /dev/null); -d silences, as C does", () => {
    const err: string[] = [];
    const sink = createLogSink(null, { stderr: (l) => err.push(l) });
    sink.reopen("signal");
    sink.write("kept\n");
    sink.reopen("daemonize");
    sink.write("dropped\n");
    expect(err).toEqual(["kept\n"]);
    expect(sink.target).toBe("null");
  });
});

describe("process id", () => {
  const iface = (address: string, netmask: string) => ({ address, netmask, family: "IPv4" as const, mac: "", internal: false, cidr: null });
  test("get_my_ipv4: a 10.x address wins, else the non-loopback one C picks by its mask comparison", () => {
    expect(chooseMainIpv4({ lo: [iface("127.0.0.1", "255.0.0.0")], eth0: [iface("192.0.2.2", "255.255.255.0")], eth1: [iface("10.1.2.3", "255.0.0.0")] })).toBe(0x0a010203);
    expect(chooseMainIpv4({ eth0: [iface("192.0.2.2", "255.255.255.0")] })).toBe(0xc0000202);
    expect(chooseMainIpv4({ lo: [iface("127.0.0.1", "255.0.0.0")] })).toBe(0);
  });
  test("a non-10.x --address is refused with C's line; Started as prints -1 without -p", () => {
    expect(processIp("192.0.2.9", {}).warning).toBe("Bad binded IP address 192.0.2.9, search in ifconfig");
    expect(processIp("10.0.0.5", {})).toEqual({ ip: 0x0a000005, warning: null });
    expect(startedAsLine(0x0a000005, -1, 70000, 1700000000)).toBe(`Started as [10.0.0.5:-1:${70000 & 0xffff}:1700000000]`);
  });
});

function config(bytes: number): ProxyConfig {
  return {
    clusters: new Map([[2, { id: 2, targets: [] }]]),
    defaultClusterId: 2,
    targets: [],
    timeoutMs: 300,
    meta: { fileName: "p.conf", bytes, md5: `md5-${bytes}`, loadedAt: 100 + bytes },
  };
}

describe("SIGHUP reload", () => {
  test("success applies and logs C's line; failure keeps the config, logs C's line and is counted", async () => {
    const mem = createMemoryLogger(0);
    const stderr: string[] = [];
    const applied: number[] = [];
    let next: "ok" | "bad" = "ok";
    const r = new ConfigReloader({
      path: "p.conf",
      initial: config(10),
      apply: (c) => applied.push(c.meta.bytes),
      log: mem.log,
      stderr: (l) => stderr.push(l),
      unixNow: () => 555,
      load: async () =>
        next === "ok"
          ? { ok: true, config: config(20) }
          : { ok: false, error: new ConfigLoadError(-1, ["expected ';' at line 1"], ["error while re-reading config file p.conf, new configuration NOT applied"]) },
    });
    await r.reload();
    expect(applied).toEqual([20]);
    expect(mem.lines.at(-1)).toContain("configuration file p.conf re-read successfully (20 bytes parsed), new configuration active");
    next = "bad";
    await r.reload();
    expect(applied).toEqual([20]);
    expect(r.config.meta.bytes).toBe(20);
    expect(stderr).toEqual(["expected ';' at line 1\n"]);
    expect(mem.lines.at(-1)).toContain("error while re-reading config file p.conf, new configuration NOT applied");
    // the running config's figures stay; the failure is counted with C's first error line
    expect(r.stats()).toMatchObject({ bytes: 20, md5: "md5-20", reloadSuccesses: 1, reloadFailures: 1, lastReloadError: "expected ';' at line 1", lastReloadErrorAt: 555, authClusters: 1 });
  });

  test("signals during a reload coalesce into one more reload", async () => {
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const r = new ConfigReloader({
      path: "p.conf",
      initial: config(1),
      apply: () => {},
      log: createMemoryLogger(0).log,
      stderr: () => {},
      load: async () => {
        loads++;
        await gate;
        return { ok: true, config: config(2) };
      },
    });
    const first = r.reload();
    void r.reload();
    void r.reload();
    release();
    await first;
    expect(loads).toBe(2);
  });
});
