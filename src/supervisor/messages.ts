// The supervisor ⇄ worker IPC messages (Bun.spawn ipc, JSON-safe). Workers push a stats report every
// second and on request; the supervisor sums them (stats.md §6: C uses a shared-memory seqlock).
import type { StatsSnapshot } from "../stats/counters.ts";

/** A worker's numbers (JSON-safe StatsSnapshot). */
export interface WorkerReport {
  workerId: number;
  pid: number;
  /** Unix seconds when the worker started serving. */
  startedAt: number;
  snapshot: StatsSnapshot;
}

export type WorkerMessage =
  | { t: "ready"; pid: number; ports: number[] }
  | { t: "report"; report: WorkerReport; requestId?: number };

export type SupervisorMessage = { t: "report?"; requestId: number };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (typeof m !== "object" || m === null) return false;
  const t = (m as { t?: unknown }).t;
  return t === "ready" || t === "report";
}

export function isSupervisorMessage(m: unknown): m is SupervisorMessage {
  return typeof m === "object" && m !== null && (m as { t?: unknown }).t === "report?";
}
