// Where log lines go, and the SIGUSR1 / -d log reopen (mirrors kprintf.c reopen_logs_ext).
// C dup2()s the -l file over stdout/stderr; Bun cannot dup2, so the logger writes every line through
// this sink, which appends to the file (O_WRONLY|O_APPEND|O_CREAT, 0640) once it has been reopened.
import { closeSync, openSync, writeSync } from "node:fs";

export type LogTarget = "stderr" | "file" | "null";

export interface LogSink {
  /** One finished log line (newline included). */
  write(line: string): void;
  /**
   * Reopens the -l file (SIGUSR1, or start-up with -d). On success later lines go to the file.
   * Differences from C, which sends stderr to /dev/null first: without -l a SIGUSR1 keeps stderr
   * (C would silence the process), and a file that cannot be opened keeps the previous target.
   */
  reopen(why: "signal" | "daemonize"): { ok: true } | { ok: false; error: string };
  readonly target: LogTarget;
  close(): void;
}

export interface LogSinkDeps {
  stderr?: (line: string) => void;
  openAppend?: (path: string) => number;
  writeFd?: (fd: number, line: string) => void;
  closeFd?: (fd: number) => void;
}

export function createLogSink(logFile: string | null, deps: LogSinkDeps = {}): LogSink {
  const stderr = deps.stderr ?? ((line: string) => void process.stderr.write(line));
  const openAppend = deps.openAppend ?? ((path: string) => openSync(path, "a", 0o640));
  const writeFd = deps.writeFd ?? ((fd: number, line: string) => void writeSync(fd, line));
  const closeFd = deps.closeFd ?? closeSync;
  let target: LogTarget = "stderr";
  let fd = -1;

  const release = () => {
    if (fd >= 0) closeFd(fd);
    fd = -1;
  };

  return {
    get target() {
      return target;
    },
    write(line) {
      if (target === "stderr") stderr(line);
      else if (target === "file") {
        try {
          writeFd(fd, line);
        } catch (error) {
          // a full disk or a revoked file must not take the proxy down; fall back to stderr
          target = "stderr";
          release();
          stderr(`log file write failed (${error instanceof Error ? error.message : String(error)}), logging to stderr\n`);
          stderr(line);
        }
      }
    },
    reopen(why) {
      if (logFile === null) {
        // -d without -l: C points stdout/stderr at /dev/null; a SIGUSR1 without -l keeps stderr
        if (why === "daemonize") {
          release();
          target = "null";
        }
        return { ok: true };
      }
      let next: number;
      try {
        next = openAppend(logFile);
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      release();
      fd = next;
      target = "file";
      return { ok: true };
    },
    close() {
      release();
      target = "null";
    },
  };
}
