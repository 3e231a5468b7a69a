// `make bench` io table: costs of the socket building blocks (ByteQueue, WriteQueue, timers),
// plus a loopback comparison of the WriteQueue flush modes for many small frames per event.
import { seededRandom } from "../src/crypto/random.ts";
import { ByteQueue } from "../src/io/byte-queue.ts";
import { CoarseTimers } from "../src/io/timers.ts";
import { type FlushMode, WriteQueue } from "../src/io/write-queue.ts";

const BUDGET_MS = Number(process.env.BENCH_ROW_MS ?? 800);
const rows: [string, string][] = [];
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(2));
let sink = 0;

/** ops/s of `fn`, which performs `opsPerCall` operations, run for about BUDGET_MS. */
function rate(opsPerCall: number, fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  let calls = 0;
  const t0 = performance.now();
  let dt = 0;
  while (dt < BUDGET_MS && calls < 1_000_000) {
    fn();
    calls++;
    dt = performance.now() - t0;
  }
  return (calls * opsPerCall * 1000) / dt;
}

// ByteQueue: a 16 KiB chunk parsed as 16 frames of 1 KiB (read length, consume) — the common case.
{
  const chunk = seededRandom(1).bytes(16 << 10);
  const q = new ByteQueue();
  const r = rate(16, () => {
    q.push(chunk);
    while (q.length >= 1024) sink ^= q.readUInt32LE(0) ^ q.consume(1024)[0]!;
  });
  rows.push(["ByteQueue 1 KiB frames from 16 KiB chunks", `${fmt(r / 1e6)} M frames/s`]);
  const halves = [chunk.subarray(0, 1500), chunk.subarray(1500, 3000)];
  const r2 = rate(2, () => {
    q.push(halves[0]!);
    q.push(halves[1]!);
    while (q.length >= 1024) sink ^= q.readUInt32LE(1022) ^ q.consume(1024)[0]!;
    q.clear();
  });
  rows.push(["ByteQueue frames spanning chunks (copy)", `${fmt(r2 / 1e6)} M frames/s`]);
}

// WriteQueue bookkeeping against a socket that takes everything (no syscall).
{
  const sock = { write: (d: Uint8Array, o = 0, l = d.length - o) => (sink ^= l, l), end() {} };
  const frame = seededRandom(2).bytes(64);
  const q = new WriteQueue(sock, { flushMode: "manual" });
  const r = rate(64, () => {
    for (let i = 0; i < 64; i++) q.write(frame);
    q.flush();
  });
  rows.push(["WriteQueue 64×64 B frames coalesced (no I/O)", `${fmt(r / 1e6)} M frames/s`]);
  const q1 = new WriteQueue(sock, { flushMode: "immediate" });
  rows.push(["WriteQueue one 64 B write straight through", `${fmt(rate(64, () => { for (let i = 0; i < 64; i++) q1.write(frame); }) / 1e6)} M writes/s`]);
}

// Timers: the per-connection idle timeout re-armed on every packet.
{
  const N = 10_000;
  let t0 = performance.now();
  const native = Array.from({ length: N }, () => setTimeout(() => {}, 600_000));
  const createNative = performance.now() - t0;
  const rNative = rate(N, () => {
    for (const t of native) t.refresh();
  });
  for (const t of native) clearTimeout(t);
  const wheel = new CoarseTimers({ tickMs: 250 });
  t0 = performance.now();
  const handles = Array.from({ length: N }, () => wheel.after(600_000, () => {}));
  const createWheel = performance.now() - t0;
  const rWheel = rate(N, () => {
    for (const h of handles) h.refresh();
  });
  wheel.stop();
  rows.push([`setTimeout: arm ${N}`, `${fmt(createNative)} ms`]);
  rows.push(["setTimeout: refresh()", `${fmt(rNative / 1e6)} M ops/s`]);
  rows.push([`CoarseTimers: arm ${N}`, `${fmt(createWheel)} ms`]);
  rows.push(["CoarseTimers: refresh()", `${fmt(rWheel / 1e6)} M ops/s`]);
}

// Loopback: 64-byte frames, 64 per event (each event is a macrotask, so I/O runs between them).
// "raw" is the baseline without a queue: one socket.write per frame (one syscall each).
async function loopback(mode: FlushMode | "raw"): Promise<number> {
  const FRAMES = 64;
  const frame = seededRandom(3).bytes(64);
  let received = 0;
  using server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: (_s, d) => void (received += d.length) } });
  let q: WriteQueue | undefined;
  const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {}, drain: () => q?.flush() } });
  const nextEvent = (): Promise<void> => new Promise((r) => setImmediate(r));
  try {
    q = new WriteQueue(client, { flushMode: mode === "raw" ? "immediate" : mode });
    let sent = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < BUDGET_MS) {
      if (q.isAboveHighWater) {
        await Bun.sleep(1);
        continue;
      }
      for (let i = 0; i < FRAMES; i++) {
        if (mode === "raw") sent += Math.max(0, client.write(frame));
        else q.write(frame);
      }
      if (mode !== "raw") sent += FRAMES * frame.length;
      if (mode === "manual") q.flush();
      await nextEvent();
    }
    const deadline = performance.now() + 5000;
    while (received < sent && performance.now() < deadline) await Bun.sleep(1);
    return received / 64 / ((performance.now() - t0) / 1000);
  } finally {
    client.end();
  }
}

for (const mode of ["raw", "immediate", "microtask", "manual"] as const) {
  rows.push([`loopback 64 B frames, 64/event, ${mode}`, `${fmt((await loopback(mode)) / 1e6)} M frames/s`]);
}

const width = Math.max(...rows.map((r) => r[0].length));
console.log(`${"operation".padEnd(width)}  rate`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
if (sink === 0x1234567) console.log("");
