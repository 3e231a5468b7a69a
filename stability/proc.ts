// Process figures read from Linux /proc for the stability scenarios: RSS, open fds, CPU ticks,
// the fd soft limit. Every reader returns null when the process is gone instead of throwing.
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second for /proc/<pid>/stat utime/stime (USER_HZ, 100 on every Linux we run). */
export const CLOCK_TICKS = 100;

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number | null {
  const m = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? "");
  return m ? Number(m[1]) * 1024 : null;
}

/** Open file descriptors (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
}

/** utime + stime of the whole process in clock ticks. */
export function cpuTicks(pid: number): number | null {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // the command name may hold spaces and parentheses: fields resume after the last ')'
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime is field 14, stime field 15
  return Number(rest[11]) + Number(rest[12]);
}

/** Soft RLIMIT_NOFILE of a process. */
export function nofileSoft(pid: number | "self" = "self"): number | null {
  const m = /Max open files\s+(\d+|unlimited)/.exec(read(`/proc/${pid}/limits`) ?? "");
  if (!m) return null;
  return m[1] === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/** CPU use of `pid` over `ms` as a percentage of one core. */
export async function cpuPercent(pid: number, ms: number): Promise<number | null> {
  const t0 = cpuTicks(pid);
  const w0 = performance.now();
  await Bun.sleep(ms);
  const t1 = cpuTicks(pid);
  const w1 = performance.now();
  if (t0 === null || t1 === null) return null;
  return ((t1 - t0) / CLOCK_TICKS / ((w1 - w0) / 1000)) * 100;
}

export const MiB = 1 << 20;
export const mib = (b: number | null): string => (b === null ? "?" : (b / MiB).toFixed(1));
