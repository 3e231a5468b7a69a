// The -M supervisor: spawns N copies of itself as workers, fans out SIGUSR1/SIGHUP, stops them on
// SIGTERM and collects their stats over IPC. Mirrors mtproto-proxy.c mtfront_pre_init (fork loop),
// kill_children, check_children_dead; deliberately unlike check_children_status (see onExit).
import type { Subprocess } from "bun";
import type { Logger } from "../log.ts";
import { isWorkerMessage, type SupervisorMessage, type WorkerReport } from "./messages.ts";
import { DEFAULT_RESTART_POLICY, RestartBackoff, type RestartPolicyOptions } from "./restart-policy.ts";
import { LOG_REOPENED_ENV, WORKER_ID_ENV } from "./worker-command.ts";

export interface SupervisorDeps {
  workers: number;
  /** The command that starts this program with the user's arguments (selfCommand). */
  command: string[];
  log: Logger;
  env?: Record<string, string | undefined>;
  /** Wraps each spawn (privileges: spawn with euid 0 so the worker can bind -H). */
  aroundSpawn?: <T>(fn: () => T) => T;
  /** Fatal: C's `Child <pid> terminated, aborting` path ends the supervisor with this code. */
  onFatal(code: number): void;
  restart?: RestartPolicyOptions;
  /** How long SIGTERMed workers get before SIGKILL (C: ~1 s; our workers drain for up to 2 s). */
  stopGraceMs?: number;
}

interface Slot {
  id: number;
  proc: Subprocess<"pipe", "inherit", "inherit"> | null;
  pid: number;
  startedAtMs: number;
  ready: boolean;
  backoff: RestartBackoff;
  restartTimer: ReturnType<typeof setTimeout> | null;
  report: WorkerReport | null;
  restarts: number;
  exited: Promise<void>;
}

export interface WorkerInfo {
  id: number;
  pid: number;
  ready: boolean;
  restarts: number;
}

export class Supervisor {
  readonly #deps: SupervisorDeps;
  readonly #slots: Slot[] = [];
  #stopping = false;
  #logReopened = false;
  #requestSeq = 0;
  readonly #waiters = new Map<number, () => void>();
  #readyWaiters: (() => void)[] = [];

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#deps.log.info(`creating ${this.#deps.workers} workers`);
    for (let i = 0; i < this.#deps.workers; i++) {
      const slot: Slot = {
        id: i,
        proc: null,
        pid: 0,
        startedAtMs: 0,
        ready: false,
        backoff: new RestartBackoff(this.#deps.restart ?? DEFAULT_RESTART_POLICY),
        restartTimer: null,
        report: null,
        restarts: 0,
        exited: Promise.resolve(),
      };
      this.#slots.push(slot);
      this.#spawn(slot);
    }
  }

  /** Resolves once every worker reported ready (or the supervisor is stopping). */
  allReady(): Promise<void> {
    if (this.#slots.every((s) => s.ready) || this.#stopping) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  get workers(): WorkerInfo[] {
    return this.#slots.map((s) => ({ id: s.id, pid: s.pid, ready: s.ready, restarts: s.restarts }));
  }

  #spawn(slot: Slot): void {
    const env: Record<string, string | undefined> = { ...(this.#deps.env ?? process.env), [WORKER_ID_ENV]: String(slot.id) };
    if (this.#logReopened) env[LOG_REOPENED_ENV] = "1";
    let resolveExit = () => {};
    slot.exited = new Promise((r) => (resolveExit = r));
    slot.ready = false;
    slot.report = null;
    slot.startedAtMs = performance.now();
    const spawn = () =>
      Bun.spawn(this.#deps.command, {
        env,
        // stdin stays an open pipe we never write: its EOF tells the worker that we died
        stdin: "pipe",
        stdout: "inherit",
        stderr: "inherit",
        ipc: (message) => this.#onMessage(slot, message),
        onExit: (_p, exitCode, signalCode) => {
          resolveExit();
          this.#onExit(slot, exitCode, signalCode === null ? null : String(signalCode));
        },
      });
    const proc = (this.#deps.aroundSpawn ?? ((fn) => fn()))(spawn);
    slot.proc = proc;
    slot.pid = proc.pid;
  }

  #onMessage(slot: Slot, message: unknown): void {
    if (!isWorkerMessage(message)) return;
    if (message.t === "ready") {
      slot.ready = true;
      this.#deps.log.debug(`worker ${slot.id} (pid ${slot.pid}) ready`);
      if (this.#slots.every((s) => s.ready)) for (const w of this.#readyWaiters.splice(0)) w();
      return;
    }
    slot.report = message.report;
    if (message.requestId !== undefined) this.#waiters.get(message.requestId)?.();
  }

  #onExit(slot: Slot, exitCode: number | null, signalCode: string | null): void {
    slot.proc = null;
    if (this.#stopping) return;
    const how = signalCode ? `killed by ${signalCode}` : `exit code ${exitCode}`;
    if (!slot.ready) {
      // died while starting (bind, secret, config...): restarting would loop, so abort like C
      this.#deps.log.info(`Child ${slot.pid} terminated, aborting`);
      this.#deps.log.debug(`worker ${slot.id} ${how} before it was ready`);
      void this.stop("SIGTERM").then(() => this.#deps.onFatal(1));
      return;
    }
    const delayMs = slot.backoff.onExit(performance.now() - slot.startedAtMs);
    slot.ready = false;
    slot.report = null;
    this.#deps.log.info(`Child ${slot.pid} (worker ${slot.id}) terminated (${how}), restarting it in ${(delayMs / 1000).toFixed(1)} s`);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.#stopping) return;
      slot.restarts++;
      this.#spawn(slot);
      this.#deps.log.info(`worker ${slot.id} restarted as pid ${slot.pid}`);
    }, delayMs);
  }

  /** SIGUSR1 / SIGHUP fan-out (C forwards only SIGUSR1; SIGHUP reload is ours). */
  forward(sig: "SIGUSR1" | "SIGHUP"): void {
    if (sig === "SIGUSR1") this.#logReopened = true;
    for (const s of this.#slots) s.proc?.kill(sig);
  }

  /**
   * Stops every worker: SIGTERM (C forwards only SIGTERM; after SIGINT it only waits), then SIGKILL
   * for the ones still alive after the grace period, with C's WARNING line.
   */
  async stop(sig: "SIGTERM" | "SIGINT" | null): Promise<void> {
    const first = !this.#stopping;
    this.#stopping = true;
    for (const w of this.#readyWaiters.splice(0)) w();
    for (const s of this.#slots) {
      if (s.restartTimer) clearTimeout(s.restartTimer);
      s.restartTimer = null;
    }
    if (first && sig !== "SIGINT") for (const s of this.#slots) s.proc?.kill("SIGTERM");
    const grace = this.#deps.stopGraceMs ?? 2500;
    const all = Promise.all(this.#slots.map((s) => s.exited));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace))),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    const left = this.#slots.filter((s) => s.proc !== null);
    if (left.length > 0) {
      for (const s of left) s.proc?.kill("SIGKILL");
      this.#deps.log.info(`WARNING: ${left.length} children unfinished --> they are now killed`);
      await Promise.race([all, Bun.sleep(1000)]);
    }
  }

  /** Fresh reports from every ready worker, waiting at most `timeoutMs`; stale ones otherwise. */
  async collect(timeoutMs = 300): Promise<WorkerReport[]> {
    const live = this.#slots.filter((s) => s.ready && s.proc);
    const requestId = ++this.#requestSeq;
    let pending = live.length;
    const done = new Promise<void>((resolve) => {
      if (pending === 0) return resolve();
      this.#waiters.set(requestId, () => {
        if (--pending === 0) resolve();
      });
    });
    const msg: SupervisorMessage = { t: "report?", requestId };
    for (const s of live) {
      try {
        s.proc?.send(msg);
      } catch (error) {
        // the worker is exiting: its last report stands
        this.#deps.log.debug(`report request to worker ${s.id} failed: ${error instanceof Error ? error.message : String(error)}`);
        this.#waiters.get(requestId)?.();
      }
    }
    await Promise.race([done, Bun.sleep(timeoutMs)]);
    this.#waiters.delete(requestId);
    return this.latest();
  }

  /** The last report of each live worker. */
  latest(): WorkerReport[] {
    return this.#slots.flatMap((s) => (s.ready && s.report ? [s.report] : []));
  }
}
