// `doctor` against loopback fakes: all PASS with a healthy fake middle-end, time server and TLS origin;
// a precise FAIL for each broken one (unreachable target, handshake refused, fronting domain that is
// ourselves, skewed clock, bad secret file, busy port) and the exit code that goes with it.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { doctorMain } from "../../src/commands/doctor.ts";
import { CliError } from "../../src/errors.ts";
import { formatReport } from "../../src/doctor/run.ts";
import { systemDoctorDeps } from "../../src/doctor/system-deps.ts";
import type { CheckResult, DoctorDeps } from "../../src/doctor/types.ts";
import { startFakeTlsDomain } from "../support/fake-tls-domain.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { SECRET } from "../rpc/helpers.ts";

const LIMITS = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1048576              1048576              files\n";

let dir: string;
const cleanups: (() => void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "doctor-"));
});
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
  rmSync(dir, { recursive: true, force: true });
});

function fakeMe(secret: Uint8Array = SECRET): FakeMiddleEnd {
  const me = FakeMiddleEnd.start({ secret });
  cleanups.push(() => me.stop());
  return me;
}

/** An HTTP server whose Date header is `skewSec` ahead of the real clock. */
function timeServer(skewSec = 0): string {
  const s = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response("ok", { headers: { date: new Date(Date.now() + skewSec * 1000).toUTCString() } }),
  });
  cleanups.push(() => s.stop(true));
  return `http://127.0.0.1:${s.port}/`;
}

/** A TLS origin answering the probe's ClientHello with a ServerHello. */
function tlsOrigin(): number {
  const l = startFakeTlsDomain({ reversedOrder: true, encryptedSize: 2500 });
  cleanups.push(() => l.stop(true));
  return l.port;
}

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

function writeFiles(mePort: number, secret: Uint8Array = SECRET) {
  const conf = join(dir, "proxy-multi.conf");
  writeFileSync(conf, `proxy_for 2 127.0.0.1:${mePort};\nproxy_for -2 127.0.0.1:${mePort};\ndefault 2;\n`);
  const pwd = join(dir, "proxy-secret");
  writeFileSync(pwd, secret);
  return { conf, pwd };
}

/** Loopback world: example.com → 127.0.0.1 (not "us" unless told), its TLS on the fake origin's port. */
function loopbackDeps(over: Partial<DoctorDeps> = {}): Partial<DoctorDeps> {
  return {
    resolveAll: async (name) => (name === "example.com" ? ["127.0.0.1"] : []),
    isSelfAddress: (a) => a === "192.0.2.1",
    tlsPort: tlsOrigin(),
    readLimits: async () => LIMITS,
    ...over,
  };
}

async function doctor(args: string[], deps: Partial<DoctorDeps>): Promise<{ code: number; out: string; lines: string[] }> {
  let out = "";
  const code = await doctorMain(["--check-timeout", "2", ...args], { print: (t) => void (out += t), deps });
  return { code, out, lines: out.trimEnd().split("\n") };
}

const line = (lines: string[], prefix: string) => lines.find((l) => l.startsWith(prefix)) ?? `(no line starting "${prefix}")`;

function healthyArgs(me: FakeMiddleEnd, extra: string[] = []) {
  const { conf, pwd } = writeFiles(me.port);
  return ["--aes-pwd", pwd, "-H", String(freePort()), "-C", "1000", "-D", "example.com", "-S", "00112233445566778899aabbccddeeff", "--time-url", timeServer(), ...extra, conf];
}

describe("doctor against healthy fakes", () => {
  test("every check passes and the exit code is 0", async () => {
    const me = fakeMe();
    const r = await doctor(healthyArgs(me), loopbackDeps());
    expect(r.lines.filter((l) => /^(WARN|FAIL) /.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    expect(line(r.lines, "PASS config file:")).toContain("1 middle-end targets in 2 clusters, default 2");
    expect(line(r.lines, "PASS proxy secret:")).toContain(`${SECRET.length} bytes`);
    expect(line(r.lines, "PASS clock:")).toMatch(/^PASS clock: [01]\.\d s (behind|ahead of) 127\.0\.0\.1:\d+$/);
    expect(line(r.lines, `PASS middle-end 127.0.0.1:${me.port} (DC 2, -2):`)).toContain("RPC handshake completed");
    expect(line(r.lines, "PASS domain example.com:")).toContain("resolves to 127.0.0.1; TLS answer");
    expect(line(r.lines, "PASS open files limit:")).toContain("soft 1048576");
    expect(line(r.lines, "PASS client port")).toContain("is free");
    expect(r.lines.at(-1)).toMatch(/^summary: \d+ passed, 0 warnings, 0 failed$/);
    // The handshake really happened: the fake ME saw one connection complete it.
    expect(me.connections.length).toBe(1);
  }, 15_000);
});

describe("doctor: a precise FAIL for each broken piece", () => {
  test("unreachable middle-end target", async () => {
    const me = fakeMe();
    const args = healthyArgs(me);
    const dead = freePort();
    writeFileSync(args.at(-1)!, `proxy_for 2 127.0.0.1:${dead};\ndefault 2;\n`);
    const r = await doctor(args, loopbackDeps());
    expect(r.code).toBe(1);
    expect(line(r.lines, "FAIL middle-end")).toStartWith(`FAIL middle-end 127.0.0.1:${dead} (DC 2): unreachable: connect failed`);
    expect(r.lines[r.lines.indexOf(line(r.lines, "FAIL middle-end")) + 1]).toStartWith("     hint: check outbound TCP");
  }, 15_000);

  test("a middle-end that refuses the handshake (wrong proxy secret)", async () => {
    const me = fakeMe(Buffer.alloc(64, 9));
    const r = await doctor(healthyArgs(me), loopbackDeps());
    expect(r.code).toBe(1);
    expect(line(r.lines, "FAIL middle-end")).toStartWith(`FAIL middle-end 127.0.0.1:${me.port} (DC 2, -2): TCP ok, RPC handshake failed:`);
    expect(r.out).toContain("wrong or stale proxy secret");
  }, 15_000);

  test("fronting domain resolving to ourselves (127.0.0.1) with the real self-address rule", async () => {
    const me = fakeMe();
    const real = systemDoctorDeps();
    const r = await doctor(healthyArgs(me), loopbackDeps({ isSelfAddress: real.isSelfAddress }));
    expect(r.code).toBe(1);
    expect(line(r.lines, "FAIL domain")).toBe(
      "FAIL domain example.com: resolves to 127.0.0.1, an address of this host: fronted connections would loop back into the proxy",
    );
  }, 15_000);

  test("a domain that does not resolve, and one that does not answer TLS", async () => {
    const me = fakeMe();
    const silent = freePort();
    const r = await doctor(healthyArgs(me, ["-D", "nowhere.invalid"]), loopbackDeps({ tlsPort: silent }));
    expect(line(r.lines, "FAIL domain nowhere.invalid:")).toBe("FAIL domain nowhere.invalid: does not resolve");
    expect(line(r.lines, "FAIL domain example.com:")).toContain(`TLS on 127.0.0.1:${silent} failed`);
    expect(r.code).toBe(1);
  }, 15_000);

  test("clock 60 s off → FAIL, 15 s → WARN, unreachable time server → WARN", async () => {
    const me = fakeMe();
    const args = healthyArgs(me);
    const at = (url: string) => [...args.slice(0, -3), "--time-url", url, args.at(-1)!];
    const fail = await doctor(at(timeServer(60)), loopbackDeps());
    expect(line(fail.lines, "FAIL clock:")).toMatch(/^FAIL clock: (59|60|61)\.\d s behind 127\.0\.0\.1:\d+ \(more than 30 s\)$/);
    expect(fail.out).toContain("refuse handshakes more than 30 s off");
    expect(fail.code).toBe(1);
    const ahead = await doctor(at(timeServer(-60)), loopbackDeps());
    expect(line(ahead.lines, "FAIL clock:")).toContain("s ahead of");
    const warn = await doctor(at(timeServer(15)), loopbackDeps());
    expect(line(warn.lines, "WARN clock:")).toContain("(more than 10 s)");
    expect(warn.code).toBe(0);
    const gone = await doctor(at(`http://127.0.0.1:${freePort()}/`), loopbackDeps());
    expect(line(gone.lines, "WARN clock:")).toContain("cannot compare with 127.0.0.1:");
    expect(gone.code).toBe(0);
  }, 20_000);

  test("bad secret file (too short) → FAIL naming the 32..256 rule; the ME is only TCP-checked", async () => {
    const me = fakeMe();
    const args = healthyArgs(me);
    writeFileSync(args[1]!, "0123456789");
    const r = await doctor(args, loopbackDeps());
    expect(r.code).toBe(1);
    expect(line(r.lines, "FAIL proxy secret:")).toBe(
      `FAIL proxy secret: ${args[1]}: secret file ${args[1]} too long or too short: loaded 10 bytes, expected 32..256`,
    );
    expect(line(r.lines, "WARN middle-end")).toContain("handshake not tried without a proxy secret");
  }, 15_000);

  test("bad config file → FAIL with the loader's message; no middle-end lines", async () => {
    const me = fakeMe();
    const args = healthyArgs(me);
    writeFileSync(args.at(-1)!, "<html>maintenance</html>");
    const r = await doctor(args, loopbackDeps());
    expect(r.code).toBe(1);
    expect(line(r.lines, "FAIL config file:")).toContain("'proxy <ip>:<port>;' expected");
    expect(r.lines.some((l) => l.includes("middle-end"))).toBe(false);
  }, 15_000);

  test("a -H or -p port in use → FAIL naming the port", async () => {
    const me = fakeMe();
    using busy = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } });
    const args = healthyArgs(me);
    args[args.indexOf("-H") + 1] = String(busy.port);
    const r = await doctor(args, loopbackDeps());
    expect(line(r.lines, "FAIL client port")).toBe(`FAIL client port ${busy.port}: cannot bind 0.0.0.0:${busy.port}: address already in use`);
    expect(r.code).toBe(1);
    // The stats port binds on loopback, as the proxy's -p does.
    using stats = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const s = await doctor([...args.slice(0, -1), "-p", String(stats.port), args.at(-1)!], loopbackDeps());
    expect(line(s.lines, "FAIL stats port")).toBe(`FAIL stats port ${stats.port}: cannot bind 127.0.0.1:${stats.port}: address already in use`);
  }, 15_000);

  test("a low fd limit warns with the numbers to use", async () => {
    const me = fakeMe();
    const r = await doctor(healthyArgs(me), loopbackDeps({ readLimits: async () => "Max open files            512                  4096                 files\n" }));
    const w = line(r.lines, "WARN open files limit:");
    expect(w).toContain("soft 512, hard 4096; -C 1000 clients need about");
    expect(r.code).toBe(0);
  }, 15_000);
});

describe("doctor: --direct and -6", () => {
  test("--direct checks TCP to every DC; an override on loopback passes, a blocked DC fails", async () => {
    using dc = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const real = systemDoctorDeps();
    const r = await doctor(
      ["--direct", "--direct-dc", `2=127.0.0.1:${dc.port}`, "-H", String(freePort()), "-C", "100", "--time-url", timeServer()],
      loopbackDeps({
        tcpConnect: (host, port, ms) => (host === "127.0.0.1" ? real.tcpConnect(host, port, ms) : Promise.resolve({ ok: false, reason: "blocked by the test" })),
      }),
    );
    expect(r.lines.some((l) => l.includes("config file") || l.includes("proxy secret"))).toBe(false);
    expect(line(r.lines, "PASS DC 2 (--direct-dc):")).toContain(`127.0.0.1:${dc.port} in`);
    expect(line(r.lines, "FAIL DC 1:")).toBe("FAIL DC 1: unreachable: 149.154.175.50:443: blocked by the test");
    expect(r.code).toBe(1);
  }, 15_000);

  test("-6: listen, global address and outbound IPv6 are reported", async () => {
    const me = fakeMe();
    const r = await doctor(
      healthyArgs(me, ["-6"]),
      loopbackDeps({
        interfaceAddresses: () => [
          { address: "fe80::1", family: 6, internal: false },
          { address: "2001:db8::5", family: 6, internal: false },
        ],
        tcpConnect: async (host) => (host.includes(":") ? { ok: false, reason: "network unreachable" } : { ok: true, ms: 1 }),
      }),
    );
    expect(line(r.lines, "PASS IPv6 address:")).toBe("PASS IPv6 address: global: 2001:db8::5");
    expect(line(r.lines, "WARN IPv6 outbound:")).toContain("network unreachable");
    expect(r.lines.some((l) => l.startsWith("PASS IPv6 listen:") || l.startsWith("FAIL IPv6 listen:"))).toBe(true);
  }, 15_000);
});

describe("doctor: --config-refresh URLs", () => {
  test("a URL serving a valid file passes; a 404 and a non-config page fail", async () => {
    const me = fakeMe();
    const good = `proxy_for 2 127.0.0.1:${me.port};\ndefault 2;\n`;
    const web = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/good") return new Response(good);
        if (path === "/html") return new Response("<html>hi</html>");
        if (path === "/secret") return new Response(SECRET);
        return new Response("no", { status: 404 });
      },
    });
    cleanups.push(() => web.stop(true));
    const base = `http://127.0.0.1:${web.port}`;
    const run = (path: string) => {
      const args = healthyArgs(me, ["--config-refresh", "3600", "--config-url", `${base}${path}`, "--secret-url", `${base}/secret`]);
      return doctor(args, loopbackDeps());
    };
    const ok = await run("/good");
    expect(ok.lines.filter((l) => /^(WARN|FAIL) /.test(l))).toEqual([]);
    expect(line(ok.lines, "PASS config refresh URL:")).toContain("1 targets");
    expect(line(ok.lines, "PASS secret refresh URL:")).toContain(`${SECRET.length} bytes`);
    expect(ok.code).toBe(0);
    const missing = await run("/missing");
    expect(line(missing.lines, "FAIL config refresh URL:")).toBe(`FAIL config refresh URL: ${base}/missing: HTTP 404 Not Found`);
    const html = await run("/html");
    expect(line(html.lines, "FAIL config refresh URL:")).toContain("not a proxy-multi.conf");
    expect(html.code).toBe(1);
  }, 20_000);
});

describe("doctor: command line and report", () => {
  test("bad doctor options and C command-line errors are usage errors (exit 2)", async () => {
    for (const args of [["--check-timeout", "0", "x.conf"], ["--time-url", "ftp://x", "x.conf"], ["-D", "example.com", "x.conf"], ["--bogus", "x.conf"]]) {
      const e = await doctorMain(args, { print: () => undefined }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).exitCode).toBe(2);
    }
  });

  test("the report: one line per check, hints only under WARN/FAIL, a summary", () => {
    const results: CheckResult[] = [
      { status: "PASS", check: "a", detail: "fine", hint: "unused" },
      { status: "WARN", check: "b", detail: "meh", hint: "do x" },
      { status: "FAIL", check: "c", detail: "broken", hint: "do y" },
    ];
    expect(formatReport(results)).toBe(
      "PASS a: fine\nWARN b: meh\n     hint: do x\nFAIL c: broken\n     hint: do y\nsummary: 1 passed, 1 warnings, 1 failed\n",
    );
  });
});
