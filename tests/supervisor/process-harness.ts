// Starts the proxy as a real process (compiled binary under MTPROXY_BIN, else bun src/main.ts) and
// watches it: stderr lines, children, sockets, /stats. Every process is killed by cleanup().
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { proxyCommand, REPO_ROOT } from "../support/proxy-bin.ts";

/** Running as root needs -u (C switches to `mtproxy` otherwise); root → root keeps the test simple. */
export const USER_ARGS: string[] = process.getuid?.() === 0 ? ["-u", "root"] : [];

export interface ProxyProcess {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly pid: number;
  /** stderr so far, one entry per line. */
  readonly lines: string[];
  waitForLine(re: RegExp, timeoutMs: number, count?: number): Promise<string>;
  exited(timeoutMs: number): Promise<number | null>;
}

export class Cleanup {
  #fns: (() => void)[] = [];
  add(fn: () => void): void {
    this.#fns.push(fn);
  }
  run(): void {
    for (const fn of this.#fns.splice(0).reverse()) {
      try {
        fn();
      } catch (error) {
        if (!(error instanceof Error)) throw error;
      }
    }
  }
}

export function startProxy(args: string[], cleanup: Cleanup, opts: { cwd?: string; env?: Record<string, string> } = {}): ProxyProcess {
  const proc = Bun.spawn(proxyCommand(args), {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  cleanup.add(() => {
    for (const pid of childPids(proc.pid)) killQuietly(pid);
    proc.kill("SIGKILL");
  });
  void (async () => {
    const dec = new TextDecoder();
    let tail = "";
    for await (const chunk of proc.stderr) {
      tail += dec.decode(chunk, { stream: true });
      const parts = tail.split("\n");
      tail = parts.pop() ?? "";
      lines.push(...parts);
      for (const w of waiters) w();
    }
    if (tail) lines.push(tail);
    for (const w of waiters) w();
  })();
  void new Response(proc.stdout).text();
  return {
    proc,
    pid: proc.pid,
    lines,
    waitForLine(re, timeoutMs, count = 1) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hits = lines.filter((l) => re.test(l));
          if (hits.length >= count) {
            waiters.delete(check);
            clearTimeout(t);
            resolve(hits[count - 1]!);
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${count}× ${re} within ${timeoutMs} ms; stderr:\n${lines.join("\n")}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async exited(timeoutMs) {
      let t: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([proc.exited, new Promise<null>((res) => (t = setTimeout(() => res(null), timeoutMs)))]);
      clearTimeout(t);
      return r;
    },
  };
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (error) {
    if (!(error instanceof Error)) throw error;
  }
}

/** Direct children of `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text === "" ? [] : text.split(/\s+/).map(Number);
  } catch (error) {
    if (error instanceof Error) return [];
    throw error;
  }
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // a zombie is dead for our purposes
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch (error) {
    if (error instanceof Error) return false;
    throw error;
  }
}

export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await Bun.sleep(20);
  }
}

/** TCP sockets open in a process (to see which worker holds accepted clients). */
export function socketCount(pid: number): number {
  let n = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
      } catch (error) {
        if (!(error instanceof Error)) throw error;
      }
    }
  } catch (error) {
    if (!(error instanceof Error)) throw error;
  }
  return n;
}

/** A port nobody listens on right now. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export function tempDir(cleanup: Cleanup): string {
  const dir = mkdtempSync(join(tmpdir(), "mtproxy-proc-"));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function writeFile(dir: string, name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

export async function getStats(port: number, path = "/stats"): Promise<Map<string, string>> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
  const text = await res.text();
  return new Map(text.split("\n").filter((l) => l.includes("\t")).map((l) => l.split("\t", 2) as [string, string]));
}
