// Differential check against the C binary, when one is available: MTPROXY_C_BIN=/path/to/mtproto-proxy.
// For inputs where we keep C's behaviour, stderr (kprintf prefix and argv[0] normalised), the presence
// of usage on stdout and the exit code must match. Not compared (deliberate differences): messages we
// add where C prints only usage (-H, -p, positionals), clean errors where C aborts (-H 70000, -M 300,
// the 17th -S), and ambiguity lists that include our own long options (--t, --d, --di).
import { describe, expect, test } from "bun:test";
import { proxyCommand } from "../support/proxy-bin.ts";

const C_BIN = process.env.MTPROXY_C_BIN;
const HEX = "0123456789abcdef0123456789abcdef";

async function run(cmd: string[], argv0: string) {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const err = stderr
      .split("\n")
      .filter((l) => !l.includes("Invoking engine"))
      .map((l) => l.replace(/^\[\d+\]\[[^\]]+\] /, "").replaceAll(argv0, "ARGV0"))
      .join("\n")
      .trim();
    return { code, usage: stdout.startsWith(`usage: ${argv0} `), err };
  } finally {
    clearTimeout(timer);
  }
}

const CASES: string[][] = [
  ["--help"], ["-h", "--bogus"], ["--bogus", "-h"], ["--help=1"], ["-x"], ["--bogus=1"], ["-p"], ["--port"], ["--ipv6=1"],
  ["--tcp", "1"], ["-v3"], ["--verb=1", "-h"], ["--ver", "-x"],
  ["-S", "zz"], ["-S", `${HEX.slice(0, 31)}g`], ["-P", "12"], ["-P", `${HEX.slice(0, 31)}Z`], ["-S", HEX, "--proxy-tag=0123"],
  ["--nat-info", "1.2.3.4", "c"], ["--nat-info", "1.2.3.4:x", "c"], ["--nat-info", "01.2.3.4:1.2.3.4", "c"], ["--nat-info", "a:b:1.2.3.4", "c"],
  ["--msg-buffers-size", "abc", "c"], ["--msg-buffers-size", "10x", "c"], ["--msg-buffers-size", "+", "c"],
  ["-u", "a", "-u", "b", "c"], ["-u", "", "-u", "x"], ["--address", "1.2.3", "c"], ["--address", "localhost", "c"],
];

describe.skipIf(!C_BIN)("parity with the C binary", () => {
  const ours = proxyCommand([]);
  const ourArgv0 = ours.length === 1 ? ours[0]! : ours[1]!;
  test.each(CASES)("%p", async (...args) => {
    const [c, ts] = await Promise.all([run([C_BIN!, ...args], C_BIN!), run([...ours, ...args], ourArgv0)]);
    expect(ts).toEqual(c);
  });
});
