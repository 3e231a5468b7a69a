// -c: make room for n connections in RLIMIT_NOFILE (mirrors engine.c raise_file_limit, gap 16).
// Beyond C: a limit that cannot be raised is a warning and a lower connection cap, never an exit
// (C exits 1 as root: unprivileged containers could not start), and non-root raises its soft limit.
import type { OsCalls, Rlimit } from "./os-calls.ts";

export const FD_GAP = 16;

export type RaiseOutcome =
  | { kind: "ok"; maxConnections: number; limit: Rlimit; raised: boolean }
  | { kind: "capped"; maxConnections: number; limit: Rlimit; wanted: number }
  | { kind: "unknown"; maxConnections: number };

/** Pure planning step: what soft/hard to ask for. Root may raise the hard limit too (C adds 3). */
export function planNofile(current: Rlimit, maxConnections: number, root: boolean): Rlimit | null {
  const want = maxConnections + FD_GAP;
  if (current.soft >= want) return null;
  if (root) {
    const soft = want + 3;
    return { soft, hard: Math.max(current.hard, soft) };
  }
  if (current.soft >= current.hard) return null;
  return { soft: Math.min(want, current.hard), hard: current.hard };
}

export function raiseFileLimit(maxConnections: number, root: boolean, os: OsCalls | null): RaiseOutcome {
  const current = os?.getNofile() ?? null;
  if (!os || !current) return { kind: "unknown", maxConnections };
  const want = maxConnections + FD_GAP;
  const plan = planNofile(current, maxConnections, root);
  let limit = current;
  let raised = false;
  if (plan && os.setNofile(plan)) {
    limit = os.getNofile() ?? plan;
    raised = true;
  }
  if (limit.soft >= want) return { kind: "ok", maxConnections, limit, raised };
  return { kind: "capped", maxConnections: Math.max(1, limit.soft - FD_GAP), limit, wanted: want };
}
