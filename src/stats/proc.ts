// Process figures for the /stats memory lines (common-stats.c sb_memory: statm × page size).
// /proc/self/status gives the same numbers in kB without needing the page size.

import { readdirSync, readFileSync } from "node:fs";
import type { ProcessMemory } from "./stats-text.ts";

/** null when /proc is unreadable: C then omits the three lines. */
export function readSelfMemory(): ProcessMemory | null {
  let text: string;
  try {
    text = readFileSync("/proc/self/status", "utf8");
  } catch {
    return null; // no /proc (e.g. macOS): the lines are omitted, as in C
  }
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return m === null ? null : Number(m[1]) * 1024;
  };
  const vmSize = kb("VmSize");
  const vmRss = kb("VmRSS");
  const vmData = kb("VmData");
  if (vmSize === null || vmRss === null || vmData === null) return null;
  return { vmSize, vmRss, vmData };
}

/**
 * The highest file descriptor open now (C's max_connection is the highest fd it has seen); null when
 * /proc/self/fd cannot be listed. Keep the maximum over calls with a FdPeak.
 */
export function highestOpenFd(): number | null {
  let names: string[];
  try {
    names = readdirSync("/proc/self/fd");
  } catch {
    return null; // no /proc: the figure stays 0
  }
  let max = -1;
  for (const n of names) {
    const fd = Number(n);
    if (fd > max) max = fd;
  }
  return max < 0 ? null : max;
}

/** The running maximum of highestOpenFd() over the samples taken (each stats snapshot). */
export class FdPeak {
  #max = 0;
  sample(): number {
    const now = highestOpenFd();
    if (now !== null && now > this.#max) this.#max = now;
    return this.#max;
  }
}
