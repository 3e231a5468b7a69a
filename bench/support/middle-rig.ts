// The middle-end bench rig shared by bench/middle.ts and bench/middle-ee.ts: the fake ME echoing in
// its own process (so the proxy's CPU and RSS stay the proxy's alone), the proxy-secret and
// proxy-multi.conf that point at it, and a proxy binary started on a free port and stopped again.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { runLoad, type LoadOptions } from "../../tests/support/load-gen.ts";
import { fmt, lineReader, until } from "./proc.ts";

const arg = (name: string, dflt: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const QUICK = process.argv.includes("--quick");

/** What the middle-end tables run, from their command line and BENCH_* (scripts/bench.sh). */
export const BENCH = {
  quick: QUICK,
  /** --bin: our binary. */
  ourBin: resolve(arg("bin", "dist/mtproto-proxy")),
  /** The C MTProxy binary, or "" to run ours alone. */
  cBin: process.env.MTPROXY_C_BIN ?? "",
  /** Seconds per measured row. */
  seconds: Number(process.env.BENCH_SECONDS ?? (QUICK ? 1.5 : 4)),
  /** Alternating rounds, a fresh proxy each. */
  rounds: Math.max(1, Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3))),
  /** Seconds of the 16 KiB load before a round's warm rows. */
  warmupSeconds: Number(process.env.BENCH_WARMUP ?? (QUICK ? 1 : 3)),
} as const;

/** The proxies to compare: ours, then C when its binary is given. */
export const BENCH_BINS: [string, string][] = [["ours", BENCH.ourBin], ...(BENCH.cBin ? ([["C", BENCH.cBin]] as [string, string][]) : [])];

/** The client secret every bench proxy is started with (-S). */
export const BENCH_SECRET = Buffer.from("0123456789abcdef0123456789abcdef", "hex");

export interface MiddleRig {
  readonly secretFile: string;
  readonly confFile: string;
  /** Starts `bin` with `args` (its -H port, -S and files are added), waits until it serves a
   * client of `base`, runs `body` with its pid, and stops it whatever happens. */
  withProxy<T>(name: string, bin: string, args: string[], base: Omit<LoadOptions, "port">, body: (pid: number, base: LoadOptions) => Promise<T>): Promise<T>;
  /** Stops the fake ME and removes the files. */
  stop(): Promise<void>;
}

export async function startMiddleRig(): Promise<MiddleRig> {
  const dir = mkdtempSync(join(tmpdir(), "mtproxy-bench-"));
  const children: Subprocess[] = [];
  process.on("exit", () => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  const secretFile = join(dir, "proxy-secret");
  writeFileSync(secretFile, Buffer.from(Array.from({ length: 128 }, (_, i) => (i * 37 + 11) & 0xff)));
  const me = Bun.spawn([process.execPath, resolve(import.meta.dir, "../fixtures/fake-me-process.ts"), secretFile], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  children.push(me);
  const mePort = Number((await lineReader(me.stdout).next(10_000)).split(" ")[1]);
  const confFile = join(dir, "proxy-multi.conf");
  writeFileSync(confFile, `default 2;\nproxy_for 2 127.0.0.1:${mePort};\n`);

  return {
    secretFile,
    confFile,
    async withProxy(name, bin, args, partial, body) {
      const port = await freePort();
      const user = process.getuid?.() === 0 ? ["-u", "nobody"] : [];
      const proxy = Bun.spawn([bin, ...user, ...args, "-H", String(port), "-S", BENCH_SECRET.toString("hex"), "--aes-pwd", secretFile, confFile], {
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      });
      children.push(proxy);
      const errText = new Response(proxy.stderr).text();
      const base: LoadOptions = { ...partial, port };
      try {
        const up = await until(async () => (await runLoad({ ...base, clients: 1, timeoutMs: 1000 })).connected === 1, 15_000, 200);
        if (!up) throw new Error(`${name} proxy never served a client: ${(await Promise.race([errText, Bun.sleep(500).then(() => "")])).slice(-600)}`);
        await Bun.sleep(300);
        return await body(proxy.pid, base);
      } finally {
        proxy.kill("SIGTERM");
        const gone = await Promise.race([proxy.exited.then(() => true), Bun.sleep(3000).then(() => false)]);
        if (!gone) proxy.kill("SIGKILL");
      }
    },
    async stop() {
      me.stdin.write("quit\n");
      me.stdin.flush();
      await Promise.race([me.exited, Bun.sleep(2000)]);
    },
  };
}

export async function freePort(): Promise<number> {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = l.port;
  l.stop(true);
  return p;
}

/** The median of a row's rounds, then every round's figure: "2.68 (2.49, 2.98, …)". */
export function fmtRounds(v: number[], digits: number): string {
  return `${fmt(median(v), digits)}${v.length > 1 ? ` (${v.map((x) => fmt(x, digits)).join(", ")})` : ""}`;
}

export function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
