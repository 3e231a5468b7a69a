// `make bench` fake-TLS (ee) table: ours against the C MTProxy (when $MTPROXY_C_BIN is set), clients
// speaking fake TLS to `-D localhost`, the mode most proxies are run in. Both proxies probe the
// domain's TLS answer at start-up, so a stand-in (the tests' fake ServerHello) listens on
// 127.0.0.1:443; where this process may not listen there (root or CAP_NET_BIND_SERVICE) or the port
// is taken, the table is skipped with a line saying why. Alternating rounds with a fresh proxy each
// (BENCH_ROUNDS, default 3), each after BENCH_WARMUP seconds (default 3) of the 16 KiB load.
// Usage: bun bench/middle-ee.ts [--bin=dist/mtproto-proxy] [--quick]   (MTPROXY_C_BIN=/path/to/C/binary)
import { runLoad, type LoadOptions, type LoadResult } from "../tests/support/load-gen.ts";
import { startFakeTlsDomain } from "../tests/support/fake-tls-domain.ts";
import { BENCH, BENCH_BINS, BENCH_SECRET, fmtRounds, startMiddleRig } from "./support/middle-rig.ts";
import { printTable, procCpuMs } from "./support/proc.ts";

const DOMAIN = "localhost";

type Figure = { label: string; digits: number; of: (r: LoadResult, cpuMs: number) => number };
/** Each load runs once per round; its figures are read from that one run. */
const LOADS: { load: Partial<LoadOptions>; figures: Figure[] }[] = [
  {
    load: { messageSize: 16 << 10 },
    figures: [
      { label: "ee 16 KiB × 100 clients: MB/s echoed", digits: 1, of: (r) => r.bytesEchoed / 1e6 / (r.elapsedMs / 1000) },
      { label: "ee 16 KiB × 100 clients: proxy CPU ms per MB", digits: 2, of: (r, cpu) => cpu / (r.bytesEchoed / 1e6) },
    ],
  },
  {
    load: { messageSize: 128, window: 4 },
    figures: [
      { label: "ee 128 B × 100 clients × 4 in flight: messages/s", digits: 0, of: (r) => r.messages / (r.elapsedMs / 1000) },
      { label: "ee 128 B × 100 clients × 4 in flight: proxy CPU µs per message", digits: 1, of: (r, cpu) => (cpu * 1000) / r.messages },
    ],
  },
];
const FIGURES = LOADS.flatMap((l) => l.figures);

let domain: ReturnType<typeof startFakeTlsDomain>;
try {
  domain = startFakeTlsDomain({ port: 443 });
} catch (err) {
  console.log(`skipped: cannot listen on 127.0.0.1:443, where both proxies probe -D ${DOMAIN} (${err instanceof Error ? err.message : String(err)}; needs root or CAP_NET_BIND_SERVICE)`);
  process.exit(0);
}

const rig = await startMiddleRig();
const base = { clients: 100, secret: BENCH_SECRET, mode: "ee", domain: DOMAIN, transport: "intermediate", dc: 2, timeoutMs: 20_000 } as const;
/** Per proxy, per figure (FIGURES order), one value per round. */
const rounds = new Map<string, number[][]>(BENCH_BINS.map(([name]) => [name, FIGURES.map(() => [])]));
for (let r = 0; r < BENCH.rounds; r++) {
  for (const [name, bin] of r % 2 === 0 ? BENCH_BINS : [...BENCH_BINS].reverse()) {
    const values = await rig.withProxy(name, bin, ["-c", "1000", "-D", DOMAIN], base, async (pid, b) => {
      await runLoad({ ...b, messageSize: 16 << 10, durationMs: BENCH.warmupSeconds * 1000 });
      const out: number[] = [];
      for (const { load, figures } of LOADS) {
        let c0 = 0;
        let c1 = 0;
        const res = await runLoad({ ...b, ...load, durationMs: BENCH.seconds * 1000, onMeasureStart: () => (c0 = procCpuMs(pid)), onMeasureEnd: () => (c1 = procCpuMs(pid)) });
        for (const f of figures) out.push(res.errors > 0 ? Number.NaN : f.of(res, c1 - c0));
      }
      return out;
    });
    values.forEach((v, i) => rounds.get(name)![i]!.push(v));
  }
}
await rig.stop();
domain.stop(true);

const rows = FIGURES.map((f, i) => [f.label, ...BENCH_BINS.map(([name]) => fmtRounds(rounds.get(name)![i]!, f.digits))]);
printTable(`fake TLS (ee), -D ${DOMAIN} answered on 127.0.0.1:443, one worker, median of ${BENCH.rounds} alternating rounds (${BENCH.seconds} s per row)`, ["figure", ...BENCH_BINS.map(([n]) => n)], rows);
if (!BENCH.cBin) console.log("C proxy: not available (set MTPROXY_C_BIN)");
process.exit(0);
