// `make bench` middle-end table: end-to-end figures through a proxy BINARY (ours: dist/mtproto-proxy;
// the C MTProxy when $MTPROXY_C_BIN is set) with the fake ME echoing in its own process and the load
// generator in this one, so the proxy's CPU (/proc utime+stime) and RSS (VmRSS) are its alone.
// The CPU-per-MB rows and the 1,000-client latency are measured in alternating rounds (ours, C, C, ours, ...; BENCH_ROUNDS, default
// 3) with fresh proxies each (one for the light 1,000-client load the moment it starts, one for the
// rest), and reported as the median with every round's figure: a 2-core machine
// shared with the load generator and the fake ME moves one run by ±10 %. Each round's first row is the
// proxy's first BENCH_WARMUP seconds (default 3) of the 16 KiB load: ours spends ~0.3 ms per MB of it
// compiling its JavaScript (JSC's JIT threads), C nothing. It is printed as its own row; the rows
// after it are the steady state a long-running proxy sees, measured on the same, now warm, proxy.
// Usage: bun bench/middle.ts [--bin=dist/mtproto-proxy] [--quick]   (MTPROXY_C_BIN=/path/to/C/binary)
import { openIdleClients, percentile, runLoad, type LoadOptions, type LoadResult } from "../tests/support/load-gen.ts";
import { BENCH, BENCH_BINS, BENCH_SECRET, fmtRounds, startMiddleRig } from "./support/middle-rig.ts";
import { fmt, printTable, procCpuMs, procRssKb, procThreadCpuMs } from "./support/proc.ts";
import { StallRecorder, tailShareInStalls, type TimedRun } from "./support/stalls.ts";

const { quick: QUICK, cBin: C_BIN, seconds: SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS } = BENCH;
const IDLE_BIG = Number(process.env.BENCH_IDLE_CLIENTS ?? 10_000);

interface Figures {
  [row: string]: string;
}

const rig = await startMiddleRig();

const fdLimit = await hardFdLimit();
const bins = BENCH_BINS;
const results: { name: string; f: Figures }[] = [];
for (const [name, bin] of bins) results.push({ name, f: await measure(name, bin) });
// CPU per MB: alternating rounds, a fresh proxy per round
const CPU_ROWS: { label: string; window: number; seconds: number }[] = [
  { label: `16 KiB × 100 clients: proxy CPU ms per MB, first ${WARMUP_SECONDS} s after start (JIT warm-up)`, window: 1, seconds: WARMUP_SECONDS },
  { label: "16 KiB × 100 clients: proxy CPU ms per MB, warm (median of rounds)", window: 1, seconds: SECONDS },
  { label: "16 KiB × 100 clients × 4 in flight: proxy CPU ms per MB, warm", window: 4, seconds: SECONDS },
];
// Latency at 1,000 clients, also in the alternating rounds (after the CPU rows, so on a warm proxy):
// one run's p99 moves by ±30 % here with the load generator and fake ME sharing two cores. Each round
// runs two sets of 1,000 clients one after the other. The first 2 s after the first set connects is
// its own row: ours is then compiling its hot path for this load's shape (small messages, many
// clients per event), which the 16 KiB rows did not make hot; C compiles nothing. The second set
// connects to a proxy that has served such a load before, as a long-running proxy has. The steady
// row pools both sets' steady windows.
const AFTER_CONNECT_SECONDS = QUICK ? 1 : 2;
// A gap this long in the load generator's own 1 ms timer counts as its stall (bench/support/stalls.ts).
const STALL_MS = 2;
// The same 1,000 clients at a tenth of the rate, on a proxy that has served nothing yet: what clients
// see right after a restart, when they all reconnect at once. The load generator then stalls over
// a small share of the slowest round trips, so this p99 is the proxies' own. The round's CPU and
// 100 ms rows then run on another fresh proxy, so their first row stays the first after start.
const LIGHT_SECONDS = QUICK ? 4 : 10;
const LIGHT_ROWS = [
  `1000 clients, 1 KiB every 1 s, fresh proxy: p99 RTT (ms), first ${LIGHT_SECONDS} s (median of rounds)`,
  `1000 clients, 1 KiB every 1 s, fresh proxy: p50 RTT (ms)`,
  `1000 clients, 1 KiB every 1 s: round trips at or over the p99 that overlap a load-generator stall > ${STALL_MS} ms (%)`,
];
const LATENCY_ROWS = [
  `1000 clients, 1 KiB every 100 ms: p99 RTT (ms), first ${AFTER_CONNECT_SECONDS} s after the process's first 1,000 connect (JIT tier-up)`,
  `1000 clients, 1 KiB every 100 ms: p99 RTT (ms), first ${AFTER_CONNECT_SECONDS} s after another 1,000 connect`,
  "1000 clients, 1 KiB every 100 ms: p99 RTT (ms), steady (median of rounds)",
  "1000 clients, 1 KiB every 100 ms: p50 RTT (ms), steady",
  `1000 clients: proxy CPU (ms) on JIT compiler threads, first ${AFTER_CONNECT_SECONDS} s after the first 1,000 connect`,
  `1000 clients: proxy CPU (ms) on JIT compiler threads, first ${AFTER_CONNECT_SECONDS} s after another 1,000 connect`,
  `1000 clients: steady round trips at or over the p99 that overlap a load-generator stall > ${STALL_MS} ms (%)`,
];
/** Rows where a lower figure is better and the rounds are paired ours/C: "lower in k of n rounds" is printed for them. */
const PAIRED = "\u0000paired";
const PAIRED_ROWS = new Set([LIGHT_ROWS[0]!, ...CPU_ROWS.slice(1).map((r) => r.label), ...LATENCY_ROWS.slice(0, 3)]);
const ROUND_ROWS = [...LIGHT_ROWS, ...CPU_ROWS.map((r) => r.label), ...LATENCY_ROWS];
const rounds = new Map<string, number[][]>(bins.map(([name]) => [name, ROUND_ROWS.map(() => [])]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, bin] of r % 2 === 0 ? bins : [...bins].reverse()) {
    const light = await withProxy(name, bin, lightLatencyFresh);
    const figures = [...light, ...(await withProxy(name, bin, async (pid, base) => [...(await cpuPerMb(pid, base)), ...(await latencyAt1000(pid, base))]))];
    figures.forEach((v, i) => rounds.get(name)![i]!.push(v));
  }
}
for (const { name, f } of results) {
  ROUND_ROWS.forEach((label, i) => {
    const v = rounds.get(name)![i]!;
    f[label] = fmtRounds(v, label.includes("JIT compiler") || label.endsWith("(%)") ? 0 : 2);
    if (C_BIN && PAIRED_ROWS.has(label)) f[label + PAIRED] = ""; // filled in by pairedCounts()
  });
}
if (C_BIN) pairedCounts();

await rig.stop();

const rows = Object.keys(results[0]!.f).map((k) => [k.endsWith(PAIRED) ? "  ↳ rounds in which it was the lower" : k, ...results.map((r) => r.f[k] ?? "")]);
printTable(`middle-end mode, one worker, intermediate transport, fake ME on loopback (${SECONDS} s per row)`, ["figure", ...results.map((r) => r.name)], rows);
if (!C_BIN) console.log("C proxy: not available (set MTPROXY_C_BIN)");
process.exit(0);

/** Starts `bin` against the fake ME (with -c for the idle-client rows), runs `body`, stops it. */
function withProxy<T>(name: string, bin: string, body: (pid: number, base: LoadOptions) => Promise<T>): Promise<T> {
  const maxConn = Math.max(1000, Math.min(IDLE_BIG + 2000, fdLimit - 100));
  const base = { clients: 1, secret: BENCH_SECRET, mode: "plain", transport: "intermediate", dc: 2, timeoutMs: 20_000 } as const;
  return rig.withProxy(name, bin, ["-c", String(maxConn)], base, body);
}

/** Proxy CPU (ms) per MB echoed for each CPU_ROWS load, one after the other on one proxy. */
async function cpuPerMb(pid: number, base: LoadOptions): Promise<number[]> {
  const out: number[] = [];
  for (const row of CPU_ROWS) {
    let c0 = 0;
    let c1 = 0;
    const r = await runLoad({ ...base, clients: 100, messageSize: 16 << 10, window: row.window, durationMs: row.seconds * 1000, onMeasureStart: () => (c0 = procCpuMs(pid)), onMeasureEnd: () => (c1 = procCpuMs(pid)) });
    out.push(r.errors > 0 ? Number.NaN : (c1 - c0) / (r.bytesEchoed / 1e6));
  }
  return out;
}

/**
 * Two sets of 1,000 clients, one after the other, each sending 1 KiB every 100 ms (10k messages/s
 * in all) for AFTER_CONNECT_SECONDS + SECONDS: p99 of each set's first AFTER_CONNECT_SECONDS, then
 * p99 and p50 of both sets' remaining samples together. The load is steady, so the echoes (in
 * arrival order) are split by the share of time.
 */
async function latencyAt1000(pid: number, base: LoadOptions): Promise<number[]> {
  const total = AFTER_CONNECT_SECONDS + SECONDS;
  const firsts: number[] = [];
  const steady: TimedRun[] = [];
  const jitMs = [Number.NaN, Number.NaN];
  for (let set = 0; set < 2; set++) {
    let jit0 = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalls = new StallRecorder(STALL_MS);
    const onMeasureStart = (): void => {
      jit0 = procThreadCpuMs(pid).jit;
      timer = setTimeout(() => (jitMs[set] = procThreadCpuMs(pid).jit - jit0), AFTER_CONNECT_SECONDS * 1000);
      stalls.start();
    };
    const r = await runLoad({ ...base, clients: 1000, messageSize: 1024, intervalMs: 100, durationMs: total * 1000, connectConcurrency: 100, onMeasureStart });
    clearTimeout(timer);
    const setStalls = stalls.stop();
    if (r.errors > 0) return LATENCY_ROWS.map(() => Number.NaN);
    const cut = Math.round((r.rttMs.length * AFTER_CONNECT_SECONDS) / total);
    firsts.push(percentile(r.rttMs.subarray(0, cut), 99));
    // each run has its own sample buffers
    steady.push({ rttMs: r.rttMs.subarray(cut), echoAtMs: r.echoAtMs.subarray(cut), stalls: setStalls });
    await Bun.sleep(500); // this set's sockets close before whatever runs next
  }
  const pooled = new Float64Array(steady[0]!.rttMs.length + steady[1]!.rttMs.length);
  pooled.set(steady[0]!.rttMs);
  pooled.set(steady[1]!.rttMs, steady[0]!.rttMs.length);
  const p99 = percentile(pooled, 99);
  return [firsts[0]!, firsts[1]!, p99, percentile(pooled, 50), jitMs[0]!, jitMs[1]!, tailShareInStalls(steady, p99)];
}

/** 1,000 clients at 1 KiB/s on the fresh proxy (LIGHT_ROWS): p99, p50, the tail's share in load-generator stalls. */
async function lightLatencyFresh(_pid: number, base: LoadOptions): Promise<number[]> {
  const stalls = new StallRecorder(STALL_MS);
  const r = await runLoad({ ...base, clients: 1000, messageSize: 1024, intervalMs: 1000, durationMs: LIGHT_SECONDS * 1000, connectConcurrency: 100, onMeasureStart: () => stalls.start() });
  const seen = { rttMs: r.rttMs, echoAtMs: r.echoAtMs, stalls: stalls.stop() };
  if (r.errors > 0) return LIGHT_ROWS.map(() => Number.NaN);
  const p99 = percentile(r.rttMs, 99);
  return [p99, percentile(r.rttMs, 50), tailShareInStalls([seen], p99)];
}

/** For each paired row: in how many rounds ours was below C (each round runs both, back to back). */
function pairedCounts(): void {
  const ours = rounds.get("ours")!;
  const c = rounds.get("C")!;
  for (const { name, f } of results) {
    const mine = name === "ours" ? ours : c;
    const other = name === "ours" ? c : ours;
    ROUND_ROWS.forEach((label, i) => {
      if (!PAIRED_ROWS.has(label)) return;
      const pairs = mine[i]!.map((v, r) => [v, other[i]![r]!] as const).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
      f[label + PAIRED] = `${pairs.filter(([a, b]) => a < b).length} of ${pairs.length}`;
    });
  }
}

async function measure(name: string, bin: string): Promise<Figures> {
  return withProxy(name, bin, (pid, base) => allRows(pid, base));
}

async function allRows(pid: number, base: LoadOptions): Promise<Figures> {
  const f: Figures = {};
  {
    await Bun.sleep(200);
    f["RSS idle (MB)"] = fmt(procRssKb(pid) / 1024, 1);

    // idle clients: handshake + one echo each, then silent
    for (const n of [1000, IDLE_BIG]) {
      if (n > fdLimit - 200) {
        f[`RSS with ${n} idle clients (MB)`] = `skipped (fd limit ${fdLimit})`;
        continue;
      }
      const before = procRssKb(pid);
      const idle = await openIdleClients({ ...base, clients: n, connectConcurrency: 100, timeoutMs: 60_000 });
      await Bun.sleep(1000);
      const after = procRssKb(pid);
      await idle.close();
      const note = idle.connected < n ? ` (${idle.connected} up${idle.errorSamples[0] ? `: ${idle.errorSamples[0]}` : ""})` : "";
      f[`RSS with ${n} idle clients (MB)`] = fmt(after / 1024, 1) + note;
      if (n === IDLE_BIG) f["RSS per idle client (KB)"] = fmt((after - before) / Math.max(1, idle.connected), 1);
      await Bun.sleep(500);
    }

    const withCpu = async (o: LoadOptions): Promise<{ r: LoadResult; cpuMs: number }> => {
      let c0 = 0;
      let c1 = 0;
      const r = await runLoad({ ...o, onMeasureStart: () => (c0 = procCpuMs(pid)), onMeasureEnd: () => (c1 = procCpuMs(pid)) });
      return { r, cpuMs: c1 - c0 };
    };
    const errs = (r: LoadResult): string => (r.errors > 0 ? ` [${r.errors} errors: ${r.errorSamples[0]}]` : "");

    // 16 KiB echoes, 100 clients ping-pong
    {
      const { r, cpuMs } = await withCpu({ ...base, clients: 100, messageSize: 16 << 10, durationMs: SECONDS * 1000 });
      const mb = r.bytesEchoed / 1e6;
      f["16 KiB × 100 clients: MB/s echoed"] = fmt(mb / (r.elapsedMs / 1000), 1) + errs(r);
      f["16 KiB × 100 clients: messages/s"] = fmt(r.messages / (r.elapsedMs / 1000));
      f["16 KiB × 100 clients: proxy CPU ms per MB (this run)"] = fmt(cpuMs / mb, 2);
      f["16 KiB × 100 clients: p50 / p99 RTT (ms)"] = `${fmt(percentile(r.rttMs, 50), 2)} / ${fmt(percentile(r.rttMs, 99), 2)}`;
    }
    // small messages
    {
      const { r, cpuMs } = await withCpu({ ...base, clients: 100, messageSize: 128, window: 4, durationMs: SECONDS * 1000 });
      f["128 B × 100 clients × 4 in flight: messages/s"] = fmt(r.messages / (r.elapsedMs / 1000)) + errs(r);
      f["128 B: p50 / p99 RTT (ms)"] = `${fmt(percentile(r.rttMs, 50), 2)} / ${fmt(percentile(r.rttMs, 99), 2)}`;
      f["128 B: proxy CPU µs per message"] = fmt((cpuMs * 1000) / r.messages, 1);
    }
    // handshakes: connect + obfuscated2 init + one 128 B echo, 32 at a time
    {
      const n = QUICK ? 500 : 2000;
      const t0 = procThreadCpuMs(pid);
      const r = await runLoad({ ...base, clients: n, connectConcurrency: 32, messagesPerClient: 0, timeoutMs: 30_000 });
      const t1 = procThreadCpuMs(pid);
      const each = (ms: number): string => fmt((ms * 1000) / Math.max(1, r.connected));
      const cpu = t1.eventLoop + t1.jit + t1.other - (t0.eventLoop + t0.jit + t0.other);
      f["handshakes/s (connect + init + 1 echo, 32 parallel)"] = fmt(r.connected / (r.handshakePhaseMs / 1000)) + errs(r);
      f["handshake: p50 / p99 (ms), proxy CPU µs each"] = `${fmt(percentile(r.handshakeMs, 50), 2)} / ${fmt(percentile(r.handshakeMs, 99), 2)}, ${each(cpu)}`;
      // ours compiles its connection path for a while (JSC's JITWorker threads); C has one thread
      f["  ↳ of which event loop / JIT compiler threads / other threads"] = `${each(t1.eventLoop - t0.eventLoop)} / ${each(t1.jit - t0.jit)} / ${each(t1.other - t0.other)}`;
      await Bun.sleep(300);
    }
    // latency at 1,000 clients: in the alternating rounds (latencyAt1000)
  }
  return f;
}

/** The soft RLIMIT_NOFILE this process (and its children) run under: each side holds one fd per client. */
async function hardFdLimit(): Promise<number> {
  const p = Bun.spawnSync(["sh", "-c", "ulimit -n"]);
  const n = Number(p.stdout.toString().trim());
  return Number.isFinite(n) ? n : 1024;
}
