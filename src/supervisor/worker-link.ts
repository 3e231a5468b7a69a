// The worker's side of the supervisor link: a report every second and on request, and the watchdog.
// A worker exits when its supervisor is gone: stdin EOF, IPC disconnect, or a changed parent pid
// (C's check_children_status: `Parent <p> is changed to <q>, aborting`, exit 1).
import type { Logger } from "../log.ts";
import { isSupervisorMessage, type WorkerMessage, type WorkerReport } from "./messages.ts";

export interface WorkerLinkDeps {
  log: Logger;
  report(): WorkerReport;
  /** The supervisor is gone: exit(1) without draining (nobody will restart us or read our stats). */
  exit(code: number): void;
  reportIntervalMs?: number;
}

export interface WorkerLink {
  ready(ports: number[]): void;
  stop(): void;
}

export function startWorkerLink(deps: WorkerLinkDeps): WorkerLink {
  const parentPid = process.ppid;
  const send = (m: WorkerMessage) => {
    if (!process.send || !process.connected) return;
    try {
      process.send(m);
    } catch (error) {
      deps.log.debug(`report to the supervisor failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let gone = false;
  const parentGone = (line: string) => {
    if (gone) return;
    gone = true;
    deps.log.info(line);
    deps.exit(1);
  };
  const onMessage = (m: unknown) => {
    if (isSupervisorMessage(m)) send({ t: "report", report: deps.report(), requestId: m.requestId });
  };
  const onDisconnect = () => parentGone(`Parent ${parentPid} closed the IPC channel, aborting`);
  const onStdinEnd = () => parentGone(`Parent ${parentPid} closed our stdin, aborting`);
  process.on("message", onMessage);
  process.on("disconnect", onDisconnect);
  process.stdin.on("end", onStdinEnd);
  process.stdin.on("data", () => {});
  process.stdin.resume();
  const timer = setInterval(() => {
    const now = process.ppid;
    if (now !== parentPid) return parentGone(`Parent ${parentPid} is changed to ${now}, aborting`);
    send({ t: "report", report: deps.report() });
  }, deps.reportIntervalMs ?? 1000);
  return {
    ready(ports) {
      send({ t: "ready", pid: process.pid, ports });
      send({ t: "report", report: deps.report() });
    },
    stop() {
      clearInterval(timer);
      process.off("message", onMessage);
      process.off("disconnect", onDisconnect);
      process.stdin.off("end", onStdinEnd);
      process.stdin.pause();
    },
  };
}
