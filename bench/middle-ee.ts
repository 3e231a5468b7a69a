// `make bench` fake-TLS (ee) table: ours against the C MTProxy (when $MTPROXY_C_BIN is set), clients
// speaking fake TLS to `-D localhost`, the mode most proxies are run in. Both proxies probe the
// domain's TLS answer at start-up, so a stand-in (the tests' fake ServerHello) listens on
// 127.0.0.1:443; where this process may not listen there (root or CAP_NET_BIND_SERVICE) or the port
// is taken, the table is skipped with a line saying why. Alternating rounds with a fresh proxy each
// (BENCH_ROUNDS, default 3), each after BENCH_WARMUP seconds (default 3) of the 16 KiB load.
// Usage: bun bench/middle-ee.ts [--bin=dist/mtproto-proxy] [--quick]   (MTPROXY_C_BIN=/path/to/C/binary)
import { resolve } from "node:path";
import { runLoad, type LoadOptions, type LoadResult } from "../tests/support/load-gen.ts";
import { startFakeTlsDomain } from "../tests/support/fake-tls-domain.ts";
import { BENCH_SECRET, median, startMiddleRig } from "./support/middle-rig.ts";
import { fmt, printTable, procCpuMs } from "./support/proc.ts";

const arg = (name: string, dflt: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const QUICK = process.argv.includes("--quick");
const OUR_BIN = resolve(arg("bin", "dist/mtproto-proxy"));
const C_BIN = process.env.MTPROXY_C_BIN ?? "";
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 1.5 : 4));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3)));
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? (QUICK ? 1 : 3));
const DOMAIN = "localhost";

/** One measured load per row: what it sends, and how its figure is read from the run. */
const ROWS: { label: string; load: Partial<LoadOptions>; figure: (r: LoadResult, cpuMs: number) => number; digits: number }[] = [
  { label: "ee 16 KiB × 100 clients: MB/s echoed", load: { messageSize: 16 << 10 }, figure: (r) => r.bytesEchoed / 1e6 / (r.elapsedMs / 1000), digits: 1 },
  { label: "ee 16 KiB × 100 clients: proxy CPU ms per MB", load: { messageSize: 16 << 10 }, figure: (r, cpu) => cpu / (r.bytesEchoed / 1e6), digits: 2 },
  { label: "ee 128 B × 100 clients × 4 in flight: messages/s", load: { messageSize: 128, window: 4 }, figure: (r) => r.messages / (r.elapsedMs / 1000), digits: 0 },
  { label: "ee 128 B × 100 clients × 4 in flight: proxy CPU µs per message", load: { messageSize: 128, window: 4 }, figure: (r, cpu) => (cpu * 1000) / r.messages, digits: 1 },
];

let domain: ReturnType<typeof startFakeTlsDomain>;
try {
  domain = startFakeTlsDomain({ port: 443 });
} catch (err) {
  console.log(`skipped: cannot listen on 127.0.0.1:443, where both proxies probe -D ${DOMAIN} (${err instanceof Error ? err.message : String(err)}; needs root or CAP_NET_BIND_SERVICE)`);
  process.exit(0);
}

const rig = await startMiddleRig();
const bins: [string, string][] = [["ours", OUR_BIN], ...(C_BIN ? ([["C", C_BIN]] as [string, string][]) : [])];
const base = { clients: 100, secret: BENCH_SECRET, mode: "ee", domain: DOMAIN, transport: "intermediate", dc: 2, timeoutMs: 20_000 } as const;
const figures = new Map<string, number[][]>(bins.map(([name]) => [name, ROWS.map(() => [])]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, bin] of r % 2 === 0 ? bins : [...bins].reverse()) {
    await rig.withProxy(name, bin, ["-c", "1000", "-D", DOMAIN], base, async (pid, b) => {
      await runLoad({ ...b, messageSize: 16 << 10, durationMs: WARMUP_SECONDS * 1000 });
      // each distinct load runs once; rows sharing a load read their figures from the same run
      const runs = new Map<string, { r: LoadResult; cpuMs: number }>();
      for (const [i, row] of ROWS.entries()) {
        const key = JSON.stringify(row.load);
        let run = runs.get(key);
        if (!run) {
          let c0 = 0;
          let c1 = 0;
          const res = await runLoad({ ...b, ...row.load, durationMs: SECONDS * 1000, onMeasureStart: () => (c0 = procCpuMs(pid)), onMeasureEnd: () => (c1 = procCpuMs(pid)) });
          run = { r: res, cpuMs: c1 - c0 };
          runs.set(key, run);
        }
        figures.get(name)![i]!.push(run.r.errors > 0 ? Number.NaN : row.figure(run.r, run.cpuMs));
      }
    });
  }
}
await rig.stop();
domain.stop(true);

const rows = ROWS.map((row, i) => [
  row.label,
  ...bins.map(([name]) => {
    const v = figures.get(name)![i]!;
    return `${fmt(median(v), row.digits)}${v.length > 1 ? ` (${v.map((x) => fmt(x, row.digits)).join(", ")})` : ""}`;
  }),
]);
printTable(`fake TLS (ee), -D ${DOMAIN} answered on 127.0.0.1:443, one worker, median of ${ROUNDS} alternating rounds (${SECONDS} s per row)`, ["figure", ...bins.map(([n]) => n)], rows);
if (!C_BIN) console.log("C proxy: not available (set MTPROXY_C_BIN)");
process.exit(0);
