// Every option's effect, validation and message (config-and-cli.md §C.2), through parseCommandLine.
import { describe, expect, test } from "bun:test";
import type { CommandLineError } from "../../src/cli/command-line-error.ts";
import { parseCommandLine, type ParseResult } from "../../src/cli/parse-args.ts";
import type { ProxyOptions } from "../../src/cli/proxy-options.ts";
import type { ReadFile } from "../../src/cli/secret-file.ts";

const HEX = "0123456789abcdef0123456789ABCDEF";
const BYTES = Uint8Array.from(Buffer.from(HEX, "hex"));
const noFiles: ReadFile = () => ({ ok: false, stage: "open", error: "No such file or directory" });

function parse(args: string[], readFile: ReadFile = noFiles): ParseResult {
  return parseCommandLine(args, "prog", readFile);
}

function ok(args: string[], readFile?: ReadFile): ProxyOptions {
  const r = parse(args.includes("--direct") ? args : [...args, "proxy.conf"], readFile);
  if (r.kind !== "run") throw new Error(`expected run, got ${JSON.stringify(r.kind === "error" ? r.error.lines : r)}`);
  return r.options;
}

function err(args: string[], readFile?: ReadFile): CommandLineError {
  const r = parse(args, readFile);
  if (r.kind !== "error") throw new Error(`expected an error, got ${r.kind}`);
  return r.error;
}

/** The error's lines, its exit code and whether C prints usage after it. */
function fails(args: string[], readFile?: ReadFile) {
  const e = err(args, readFile);
  return { lines: e.lines.map((l) => (l.via === "stderr" ? `stderr: ${l.text}` : l.text)), exit: e.exitCode, usage: e.showUsage };
}

describe("defaults", () => {
  test("C's defaults when only the config file is given", () => {
    const o = ok([]);
    expect(o).toMatchObject({
      verbosity: 0, ipv6: false, port: null, user: null, backlog: 8192, maxConnections: 65536, daemonize: false,
      msgBuffersSize: 268435456, workers: 0, maxSpecialConnections: 65536, pingIntervalSec: 5, windowClamp: 0,
      httpStats: false, configFile: "proxy.conf", direct: false, tlsStrict: false, proxyTag: null,
    });
    expect(o.secrets).toEqual([]);
    expect(o.httpPorts).toEqual([]);
    expect(Object.isFrozen(o)).toBe(true);
  });
});

describe("engine options", () => {
  test("-v counts, --verbosity=N sets (atoi)", () => {
    expect(ok(["-vvv"]).verbosity).toBe(3);
    expect(ok(["-v", "--verbosity=7", "-v"]).verbosity).toBe(8);
    expect(ok(["--verbosity=x"]).verbosity).toBe(0);
  });
  test("-d toggles, --daemonize=N sets", () => {
    expect(ok(["-d"]).daemonize).toBe(true);
    expect(ok(["-dd"]).daemonize).toBe(false);
    expect(ok(["--daemonize=0"]).daemonize).toBe(false);
    expect(ok(["--daemonize=5"]).daemonize).toBe(true);
  });
  test("-u twice is fatal with C's message, exit 1, no usage", () => {
    expect(ok(["-u", "nobody"]).user).toBe("nobody");
    expect(fails(["-u", "a", "-ub", "x"])).toEqual({
      lines: ["wrong option -ub, username is already defined as 'a'."], exit: 1, usage: false,
    });
  });
  test("-l, --aes-pwd: last wins", () => {
    expect(ok(["-l", "a.log", "--log=b.log"]).logFile).toBe("b.log");
    expect(ok(["--aes-pwd", "s1", "--aes-pwd", "s2"]).aesPwdFile).toBe("s2");
  });
  test("--nice adds up like nice(2)", () => {
    expect(ok(["--nice", "5", "--nice=3"]).nice).toBe(8);
    expect(ok([]).nice).toBeNull();
  });
  test("--msg-buffers-size suffixes k/m/g/t in either case", () => {
    expect(ok(["--msg-buffers-size", "100"]).msgBuffersSize).toBe(100);
    expect(ok(["--msg-buffers-size", "4k"]).msgBuffersSize).toBe(4096);
    expect(ok(["--msg-buffers-size", "2M"]).msgBuffersSize).toBe(2 << 20);
    expect(ok(["--msg-buffers-size", "1g"]).msgBuffersSize).toBe(2 ** 30);
    expect(ok(["--msg-buffers-size", "1T"]).msgBuffersSize).toBe(2 ** 40);
    expect(ok(["--msg-buffers-size", " 3 "]).msgBuffersSize).toBe(3);
    expect(ok(["--msg-buffers-size", "3kb"]).msgBuffersSize).toBe(3072);
  });
  test("--msg-buffers-size errors", () => {
    expect(fails(["--msg-buffers-size", "abc", "c"])).toEqual({ lines: ["Parsing limit for option fail: abc"], exit: 2, usage: true });
    expect(fails(["--msg-buffers-size", "10x", "c"])).toEqual({ lines: ["Parsing limit fail. Unknown suffix 'x'."], exit: 2, usage: true });
  });
  test("-b, -c, -C with atoi; -c lowers -C; -c ≤ 0 means 65536", () => {
    expect(ok(["-b", "100"]).backlog).toBe(100);
    expect(ok(["-c", "1000"])).toMatchObject({ maxConnections: 1000, maxSpecialConnections: 1000 });
    expect(ok(["-c", "0"]).maxConnections).toBe(65536);
    expect(ok(["-C", "50", "-c", "1000"]).maxSpecialConnections).toBe(50);
    expect(ok(["-C", "0", "-c", "1000"]).maxSpecialConnections).toBe(1000);
    expect(ok(["-c", "1000", "-C", "0"]).maxSpecialConnections).toBe(0);
    expect(ok(["-C", "-5"]).maxSpecialConnections).toBe(0);
    expect(ok(["-c", "12abc"]).maxConnections).toBe(12);
  });
  test("-p: a port, or a range", () => {
    expect(ok(["-p", "8888"]).port).toEqual({ start: 8888, end: 8888, isRange: false });
    expect(ok(["-p8888:8890"]).port).toEqual({ start: 8888, end: 8890, isRange: true });
    expect(ok(["--port=80x"]).port).toEqual({ start: 80, end: 80, isRange: false });
  });
  test.each([["abc"], ["0"], ["-1"], ["5:3"], ["0:5"], [""], [":5"]])("-p %p → usage, exit 2", (value) => {
    const f = fails(["-p", value, "c"]);
    expect(f.exit).toBe(2);
    expect(f.usage).toBe(true);
    expect(f.lines[0]).toContain(`'${value}'`);
  });
  test("-p beyond 65535 is refused instead of wrapping", () => {
    expect(fails(["-p", "70000", "c"]).lines).toEqual(["invalid port '70000' in -p: ports are 1..65535"]);
  });
  test("flags", () => {
    expect(ok(["-6", "--disable-tcp", "--crc32c", "--allow-skip-dh", "--force-dh", "--http-stats"])).toMatchObject({
      ipv6: true, disableTcp: true, crc32c: true, allowSkipDh: true, forceDh: true, httpStats: true,
    });
  });
  test("accept rates and thread options", () => {
    expect(ok(["--max-accept-rate", "10", "--max-dh-accept-rate=3"])).toMatchObject({ maxAcceptRate: 10, maxDhAcceptRate: 3 });
    expect(ok(["--cpu-threads", "4", "--multithread", "--tcp-iothreads=2"]).ignoredThreadOptions).toEqual({
      "cpu-threads": "4", multithread: true, "tcp-iothreads": "2",
    });
  });
  test("--nat-info: IPv4 literals, last colon, at most 16", () => {
    expect(ok(["--nat-info", "10.0.0.1:1.2.3.4"]).natInfo).toEqual([{ local: "10.0.0.1", global: "1.2.3.4" }]);
    expect(fails(["--nat-info", "10.0.0.1", "c"])).toEqual({
      lines: ["stderr: expected <local-addr>:<global-addr> in --nat-info"], exit: 2, usage: true,
    });
    expect(fails(["--nat-info", "host:1.2.3.4", "c"]).lines).toEqual(["stderr: cannot translate host 'host' in --nat-info"]);
    expect(fails(["--nat-info", "1.2.3.4:01.2.3.4", "c"]).lines).toEqual(["stderr: cannot translate host '01.2.3.4' in --nat-info"]);
    const many = Array.from({ length: 17 }, (_, i) => ["--nat-info", `10.0.0.${i}:1.1.1.1`]).flat();
    expect(fails([...many, "c"]).lines).toEqual(["stderr: too many rules in --nat-info"]);
  });
  test("--address: an IPv4 literal or exit 4", () => {
    expect(ok(["--address", "10.1.2.3"]).address).toBe("10.1.2.3");
    expect(fails(["--address", "localhost", "c"])).toEqual({
      lines: ["Can not convert 'localhost' to ip addr: Success"], exit: 4, usage: false,
    });
  });
});

describe("mtproto-proxy options", () => {
  test("-H: comma lists, repeats, trailing comma", () => {
    expect(ok(["-H", "443,80,", "--http-ports=8443", "-H1"]).httpPorts).toEqual([443, 80, 8443, 1]);
  });
  test.each([["0443"], ["443x"], [""], ["1,,2"], ["1, 2"], [" 1"], ["-1"]])("-H %p → usage, exit 2", (value) => {
    const f = fails(["-H", value, "c"]);
    expect(f).toMatchObject({ exit: 2, usage: true });
    expect(f.lines[0]).toContain(`'${value}'`);
  });
  test("-H beyond 65535: C aborts (exit 1); we say which port", () => {
    expect(fails(["-H", "443,70000", "c"])).toEqual({ lines: ["port 70000 in -H '443,70000' is out of range 1..65535"], exit: 1, usage: false });
  });
  test("-H: 128 ports in total", () => {
    const ports = Array.from({ length: 128 }, (_, i) => i + 1).join(",");
    expect(ok(["-H", ports]).httpPorts).toHaveLength(128);
    expect(fails(["-H", ports, "-H", "999", "c"])).toMatchObject({ exit: 2, usage: true });
  });
  test("-M 0..256; outside: exit 1 naming the value", () => {
    expect(ok(["-M", "256"]).workers).toBe(256);
    expect(fails(["-M", "257", "c"])).toEqual({ lines: ["invalid -M '257': the number of workers must be 0..256"], exit: 1, usage: false });
    expect(fails(["--slaves=-1", "c"]).exit).toBe(1);
  });
  test("-S: case-insensitive hex, repeatable, in order", () => {
    const o = ok(["-S", HEX, "--mtproto-secret", HEX.toLowerCase(), `-S${"f".repeat(32)}`]);
    expect(o.secrets).toEqual([BYTES, BYTES, new Uint8Array(16).fill(0xff)]);
  });
  test("-S and -P messages, including the sic 'S' for a bad -P digit", () => {
    expect(fails(["-S", "abc", "c"])).toEqual({ lines: ["'S' option requires exactly 32 hex digits"], exit: 2, usage: true });
    expect(fails(["-S", `${HEX.slice(0, 31)}g`, "c"]).lines).toEqual(["'S' option requires exactly 32 hex digits. 'g' is not hexdigit"]);
    expect(fails(["-P", "abc", "c"]).lines).toEqual(["'P' option requires exactly 32 hex digits"]);
    expect(fails(["-P", `z${HEX.slice(1)}`, "c"]).lines).toEqual(["'S' option requires exactly 32 hex digits. 'z' is not hexdigit"]);
    // strlen counts bytes: 31 hex digits and a two-byte character is 33 bytes long.
    expect(fails(["-S", `${HEX.slice(0, 31)}é`, "c"]).lines).toEqual(["'S' option requires exactly 32 hex digits"]);
  });
  test("-P: the last one wins", () => {
    expect(ok(["-P", "f".repeat(32), "--proxy-tag", HEX]).proxyTag).toEqual(BYTES);
  });
  test("128 secrets, the 129th is refused cleanly (C aborts at the 17th)", () => {
    const s = Array.from({ length: 128 }, () => ["-S", HEX]).flat();
    expect(ok(s).secrets).toHaveLength(128);
    expect(fails([...s, "-S", HEX, "c"])).toEqual({ lines: ["too many mtproto secrets: 129 (max 128)"], exit: 2, usage: true });
  });
  test("-T: atof, ≤ 0 (and nan/inf) → 5", () => {
    expect(ok(["-T", "2.5"]).pingIntervalSec).toBe(2.5);
    expect(ok(["-T", "1e1s"]).pingIntervalSec).toBe(10);
    expect(ok(["-T", "0"]).pingIntervalSec).toBe(5);
    expect(ok(["-T", "-3"]).pingIntervalSec).toBe(5);
    expect(ok(["-T", "abc"]).pingIntervalSec).toBe(5);
    expect(ok(["-T", "nan"]).pingIntervalSec).toBe(5);
  });
  test("-W, -D", () => {
    expect(ok(["-W", "4096"]).windowClamp).toBe(4096);
    expect(ok(["-D", "a.com", "--domain=b.com", "-S", HEX]).domains).toEqual(["a.com", "b.com"]);
  });
  test("-D needs a secret: C's message after the config file name, exit 2, no usage", () => {
    expect(fails(["-D", "a.com", "c"])).toEqual({
      lines: ["config_filename = 'c'", "You must specify at least one mtproto-secret to use when using TLS-transport"],
      exit: 2, usage: false,
    });
    expect(fails(["-D", "a.com", "-M", "2", "c"]).lines[1]).toBe("It is recommended to not use workers with TLS-transport");
  });
  test("--mtproto-secret-file counts with -S, in command-line order", () => {
    const read: ReadFile = (p) => (p === "f" ? { ok: true, text: `${"a".repeat(32)}\n` } : noFiles(p));
    const o = ok(["-S", HEX, "--mtproto-secret-file", "f", "-S", "f".repeat(32)], read);
    expect(o.secrets.map((s) => s[0])).toEqual([0x01, 0xaa, 0xff]);
    const s127 = Array.from({ length: 127 }, () => ["-S", HEX]).flat();
    const two: ReadFile = () => ({ ok: true, text: `${HEX} ${HEX}` });
    expect(fails([...s127, "--mtproto-secret-file", "f", "c"], two).lines).toEqual(["too many mtproto secrets: 129 (max 128)"]);
  });
  test("--mtproto-secret-file read errors → usage, exit 2", () => {
    expect(fails(["--mtproto-secret-file", "nope", "c"])).toEqual({
      lines: ["cannot open mtproto secret file 'nope': No such file or directory"], exit: 2, usage: true,
    });
  });
});

describe("positional arguments and beyond-C options", () => {
  test("exactly one config file, options before or after it", () => {
    expect(parse(["-6", "a.conf", "-v"])).toMatchObject({ kind: "run", options: { configFile: "a.conf", ipv6: true, verbosity: 1 } });
    expect(fails([])).toEqual({ lines: ["missing <config-file> argument (or use --direct)"], exit: 2, usage: true });
    expect(fails(["a", "b", "c"]).lines).toEqual(["extra arguments after the config file 'a': 'b' 'c'"]);
  });
  test("help stops parsing where it appears", () => {
    expect(parse(["-h"]).kind).toBe("help");
    expect(parse(["-6", "--help", "--bogus"]).kind).toBe("help");
    expect(fails(["--bogus", "-h"])).toEqual({
      lines: ["stderr: prog: unrecognized option '--bogus'", "Unrecognized option"], exit: 2, usage: true,
    });
  });
  test("getopt errors come before 'Unrecognized option'", () => {
    expect(fails(["-p"]).lines).toEqual(["stderr: prog: option requires an argument -- 'p'", "Unrecognized option"]);
  });
  test("--direct makes the config file optional", () => {
    expect(ok(["--direct"])).toMatchObject({ direct: true, configFile: null });
    expect(parse(["--direct", "x.conf"])).toMatchObject({ kind: "run", options: { configFile: "x.conf" } });
  });
  test("--direct-dc: dc=host:port, negative DCs, [v6], last wins", () => {
    const o = ok(["--direct", "--direct-dc", "2=149.154.167.51:443", "--direct-dc=-2=[2001:db8::1]:8443", "--direct-dc", "2=dc.example:80"]);
    expect([...o.directDcs]).toEqual([
      [2, { host: "dc.example", port: 80 }],
      [-2, { host: "2001:db8::1", port: 8443 }],
    ]);
  });
  test.each([["2"], ["x=1.2.3.4:443"], ["0=1.2.3.4:443"], ["2=1.2.3.4"], ["2=1.2.3.4:0"], ["2=1.2.3.4:70000"], ["2=2001:db8::1:443"], ["2=[zz]:443"], ["2=:443"]])(
    "--direct-dc %p → exit 2 naming the value",
    (value) => {
      const f = fails(["--direct", "--direct-dc", value]);
      expect(f.exit).toBe(2);
      expect(f.lines[0]).toStartWith(`invalid --direct-dc '${value}': `);
    },
  );
  test("--tls-strict", () => {
    expect(ok(["--tls-strict"]).tlsStrict).toBe(true);
  });
});
