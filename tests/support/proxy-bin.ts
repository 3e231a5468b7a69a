// How tests start the proxy: the compiled binary when MTPROXY_BIN is set (make test does),
// otherwise `bun src/main.ts`. Every spawned process is killed when the test ends.
import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dir, "../..");

export function proxyCommand(args: string[]): string[] {
  const bin = process.env.MTPROXY_BIN;
  return bin ? [bin, ...args] : [process.execPath, resolve(REPO_ROOT, "src/main.ts"), ...args];
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the proxy to completion (for CLI/usage/error tests), killing it after `timeoutMs`. */
export async function runProxy(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
  const proc = Bun.spawn(proxyCommand(args), {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 10_000);
  try {
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
