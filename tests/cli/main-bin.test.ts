// The command line end to end: the real entry point (compiled binary under `make test`), asserting
// stdout, stderr and the exit code as C produces them (config-and-cli.md §C.1–§C.4).
import { describe, expect, test } from "bun:test";
import { proxyCommand, runProxy } from "../support/proxy-bin.ts";

const base = proxyCommand([]);
/** What the program sees as argv[0]: the binary, or the script under `bun`. */
const ARGV0 = base.length === 1 ? base[0]! : base[1]!;
const HEX = "0123456789abcdef0123456789abcdef";
const KPRINTF = /^\[\d+\]\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} local\] /;

/** stderr lines with the kprintf prefix replaced by `K: `. */
function errLines(stderr: string): string[] {
  return stderr.trimEnd().split("\n").map((l) => (KPRINTF.test(l) ? `K: ${l.replace(KPRINTF, "")}` : l));
}

describe("mtproto-proxy command line", () => {
  test("--help: usage on stdout, exit 2, after `Invoking engine` on stderr", async () => {
    const r = await runProxy(["--help"]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout.split("\n")[0]).toBe(`usage: ${ARGV0} [-v] [-6] [-p<port>] [-H<http-port>{,<http-port>}] [-M<workers>] [-u<username>] [-b<backlog>] [-c<max-conn>] [-l<log-name>] [-W<window-size>] <config-file>`);
    expect(r.stdout.split("\n")[1]).toMatch(/^mtproxy-ts-\S+ compiled at .+ by bun \S+ 64-bit after commit \S+$/);
    expect(r.stdout).toContain("\t--mtproto-secret/-S <arg>          \t16-byte secret in hex mode\n");
    expect(errLines(r.stderr)).toEqual([`K: Invoking engine ${r.stdout.split("\n")[1]}`]);
  });

  test.each([
    [["--bogus=1", "c"], `${ARGV0}: unrecognized option '--bogus=1'`],
    [["-x", "c"], `${ARGV0}: invalid option -- 'x'`],
    [["c", "-p"], `${ARGV0}: option requires an argument -- 'p'`],
    [["c", "--port"], `${ARGV0}: option '--port' requires an argument`],
    [["--ipv6=1", "c"], `${ARGV0}: option '--ipv6' doesn't allow an argument`],
    [["--tcp=1", "c"], `${ARGV0}: option '--tcp=1' is ambiguous; possibilities: '--tcp-cpu-threads' '--tcp-iothreads'`],
  ])("%p: getopt's message, `Unrecognized option`, usage, exit 2", async (args, message) => {
    const r = await runProxy(args);
    expect(r.exitCode).toBe(2);
    expect(errLines(r.stderr).slice(1)).toEqual([message, "K: Unrecognized option"]);
    expect(r.stdout).toStartWith(`usage: ${ARGV0} `);
  });

  test.each([
    [["-S", "xyz", "c"], "'S' option requires exactly 32 hex digits"],
    [["-P", `${HEX.slice(0, 31)}g`, "c"], "'S' option requires exactly 32 hex digits. 'g' is not hexdigit"],
    [[], "missing <config-file> argument (or use --direct)"],
    [["a.conf", "b.conf"], "extra arguments after the config file 'a.conf': 'b.conf'"],
  ])("%p: the message, usage, exit 2", async (args, message) => {
    const r = await runProxy(args);
    expect(r.exitCode).toBe(2);
    expect(errLines(r.stderr).slice(1)).toEqual([`K: ${message}`]);
    expect(r.stdout).toStartWith("usage: ");
  });

  test.each([
    [["-D", "example.com", "c"], 2, ["K: config_filename = 'c'", "K: You must specify at least one mtproto-secret to use when using TLS-transport"]],
    [["--address", "example.com", "c"], 4, ["K: Can not convert 'example.com' to ip addr: Success"]],
    [["-u", "a", "-u", "b", "c"], 1, ["K: wrong option -ub, username is already defined as 'a'."]],
  ] as const)("%p: exit %p without usage", async (args, code, lines) => {
    const r = await runProxy([...args]);
    expect(r.exitCode).toBe(code);
    expect(errLines(r.stderr).slice(1)).toEqual([...lines]);
    expect(r.stdout).toBe("");
  });

  test("--version prints the version string alone, exit 0 (an extension: C has none)", async () => {
    const r = await runProxy(["--version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^mtproxy-ts-\S+ compiled at .+ after commit \S+\n$/);
    expect(r.stderr).toBe("");
  });
});

// `bun script.ts -- x` swallows the first `--` itself, so only the compiled binary shows getopt's rule.
test.skipIf(!process.env.MTPROXY_BIN)("`--` ends options: `-- -h` names a config file called -h", async () => {
  const r = await runProxy(["--", "-h"]);
  expect(errLines(r.stderr)[1]).toBe("K: config_filename = '-h'");
  expect(r.stdout).toBe("");
});
