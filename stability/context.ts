// What every scenario gets: the proxy and fake ME processes, the client target, the report, and
// the leak check run between phases (fd count and RSS back near the phase's starting point).
import type { ClientTarget } from "./clients.ts";
import { fdCount, mib, rssBytes } from "./proc.ts";
import type { FakeMeProcess, ProxyProcess } from "./processes.ts";
import type { Report } from "./report.ts";

export interface Baseline {
  readonly rss: number;
  readonly fds: number;
}

export interface RunContext {
  readonly proxy: ProxyProcess;
  me: FakeMeProcess;
  readonly target: ClientTarget;
  readonly report: Report;
  readonly proxySecret: Uint8Array;
  /** Start-up figures of the proxy (after its middle-end links came up). */
  readonly startup: Baseline;
  /** Connections a longer scenario keeps open across phases (their fds are expected). */
  extraFds: () => number;
}

export function figures(pid: number): Baseline {
  return { rss: rssBytes(pid) ?? 0, fds: fdCount(pid) ?? 0 };
}

/**
 * Waits (bounded) for the proxy's fd count to come back to the start-up count, then reports fds
 * and RSS against the start-up figures. RSS may stay above: only the final check bounds it.
 */
export async function checkLeaks(ctx: RunContext, phase: string, waitMs = 15_000): Promise<void> {
  const pid = ctx.proxy.pid;
  const end = performance.now() + waitMs;
  const bound = (): number => ctx.startup.fds + ctx.extraFds();
  let fds = fdCount(pid) ?? -1;
  while (fds > bound() && performance.now() < end) {
    await Bun.sleep(100);
    fds = fdCount(pid) ?? -1;
  }
  const extra = ctx.extraFds();
  const note = extra > 0 ? ` + ${extra} stalled handshakes still open` : "";
  ctx.report.add(phase, "fds after phase", `${fds} (start-up ${ctx.startup.fds}${note})`, `≤ ${bound()}`, fds >= 0 && fds <= bound());
  ctx.report.info(phase, "RSS after phase", `${mib(rssBytes(pid))} MiB (start-up ${mib(ctx.startup.rss)})`);
}
