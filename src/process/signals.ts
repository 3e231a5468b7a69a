// Signal handling of the serving process (mirrors engine-signals.c and engine.c terminate_job_run).
// SIGTERM/SIGINT: `SIGTERM handled.`, graceful stop, a second one exits 1 at once; before the main
// loop any of them exits 1 at once. SIGUSR1 reopens logs, SIGHUP reloads the config (beyond C).

export type TerminateSignal = "SIGTERM" | "SIGINT";

export interface SignalActions {
  /** First SIGTERM/SIGINT in the main loop: stop, then exit(0) after `Terminated by ...`. */
  terminate(sig: TerminateSignal): void;
  usr1(): void;
  hup(): void;
}

export interface SignalDeps {
  /** A raw line in kwrite format (the handler messages C writes with kwrite). */
  writeRaw(line: string): void;
  exit(code: number): never;
  on(sig: NodeJS.Signals, fn: () => void): void;
  off(sig: NodeJS.Signals, fn: () => void): void;
  pid?: number;
  unixNow?: () => number;
}

/** `[pid <pid>] [time <unix>] <text>`: kprintf.c kwrite, used by C's signal handlers. */
export function kwriteLine(pid: number, unix: number, text: string): string {
  return `[pid ${pid}] [time ${unix}] ${text}\n`;
}

export interface SignalControl {
  /** Switch from "handled immediately" (exit 1) to the main-loop handlers. */
  enterMainLoop(actions: SignalActions): void;
  uninstall(): void;
}

/** Installs the early handlers at once: before the main loop SIGTERM/SIGINT exit 1 (C: _exit(1)). */
export function installSignals(deps: SignalDeps): SignalControl {
  const pid = deps.pid ?? process.pid;
  const now = deps.unixNow ?? (() => Math.floor(Date.now() / 1000));
  const raw = (text: string) => deps.writeRaw(kwriteLine(pid, now(), text));
  let actions: SignalActions | null = null;
  let terminating = false;

  const onTerm = (sig: TerminateSignal) => () => {
    if (!actions || terminating) {
      raw(`${sig} handled immediately.`);
      deps.exit(1);
    }
    terminating = true;
    raw(`${sig} handled.`);
    actions.terminate(sig);
  };
  const handlers: [NodeJS.Signals, () => void][] = [
    ["SIGTERM", onTerm("SIGTERM")],
    ["SIGINT", onTerm("SIGINT")],
    // C's generic handler logs "received signal NN" (two decimal digits) for these
    ["SIGUSR1", () => {
      raw("received signal 10");
      actions?.usr1();
    }],
    ["SIGHUP", () => {
      raw("received signal 01");
      actions?.hup();
    }],
    ["SIGPIPE", () => {}],
  ];
  for (const [sig, fn] of handlers) deps.on(sig, fn);
  return {
    enterMainLoop(a) {
      actions = a;
    },
    uninstall() {
      for (const [sig, fn] of handlers) deps.off(sig, fn);
    },
  };
}
