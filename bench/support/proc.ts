// Shared bench plumbing: child processes with a line protocol, a process's own CPU time and RSS
// from /proc (so a figure is the proxy's alone), and plain-text tables. Linux only, like the benches.
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ is 100 on every Linux we run on). */
const HZ = 100;

/** utime + stime of `pid` in ms (10 ms resolution), or NaN when the process is gone. */
export function procCpuMs(pid: number): number {
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return Number.NaN;
  }
}

/** utime + stime (ms) of a /proc stat line, a process's or a thread's. */
function statCpuMs(stat: string): number {
  // fields after the ")" that ends comm: state is field 3; utime 14, stime 15
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
}

/** A process's CPU time (ms, 10 ms resolution) by kind of thread. */
export interface ThreadCpuMs {
  /** The main thread: the event loop (and, for ours, the collector's stop-the-world work). */
  eventLoop: number;
  /** JavaScriptCore's compiler threads ("JITWorker"): DFG/FTL compiles of hot functions. */
  jit: number;
  /** Every other thread (the collector's helpers, the allocator's scavenger, Bun's pool). */
  other: number;
}

/** `pid`'s CPU time split by thread (/proc/<pid>/task); NaN figures when the process is gone. */
export function procThreadCpuMs(pid: number): ThreadCpuMs {
  const out: ThreadCpuMs = { eventLoop: 0, jit: 0, other: 0 };
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      } catch {
        continue; // the thread ended meanwhile
      }
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ms = statCpuMs(stat);
      if (tid === String(pid)) out.eventLoop += ms;
      else if (name.startsWith("JITWorker")) out.jit += ms;
      else out.other += ms;
    }
  } catch {
    return { eventLoop: Number.NaN, jit: Number.NaN, other: Number.NaN };
  }
  return out;
}

/** VmRSS of `pid` in KB, or NaN. */
export function procRssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface LineReader {
  /** The next line; rejects when the stream ends or after `timeoutMs`. */
  next(timeoutMs?: number): Promise<string>;
}

export function lineReader(stream: ReadableStream<Uint8Array>): LineReader {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let pendingRead: ReturnType<typeof reader.read> | null = null;
  return {
    async next(timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const i = buf.indexOf("\n");
        if (i >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          return line;
        }
        pendingRead ??= reader.read();
        const left = end - Date.now();
        const r = await Promise.race([pendingRead, Bun.sleep(Math.max(0, left)).then(() => null)]);
        if (r === null) throw new Error(`no line within ${timeoutMs} ms`);
        pendingRead = null;
        if (r.done) throw new Error("child output ended");
        buf += dec.decode(r.value, { stream: true });
      }
    },
  };
}

/** Waits until `pred` holds, polling; false after `timeoutMs`. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return true;
    await Bun.sleep(stepMs);
  }
  return false;
}

/** Prints a table: the first column left-aligned, the rest right-aligned. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  console.log(title);
  console.log(fmt(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(fmt(r));
}

/** A number with `digits` decimals, or "n/a" for NaN/Infinity. */
export function fmt(v: number, digits = 0): string {
  return Number.isFinite(v) ? v.toFixed(digits) : "n/a";
}
