// The one consola instance (STYLE.md "Logging"), formatted like C's kprintf:
// `[<pid>][<YYYY-MM-DD HH:MM:SS.uuuuuu> local] message` on stderr (common/kprintf.c).
// C verbosity 0 messages are consola `info`; `-v` adds `debug`, `-vv` adds `trace`.
import { createConsola, type ConsolaInstance, type LogObject } from "consola";

export type Logger = ConsolaInstance;

export interface LoggerOptions {
  /** C verbosity (-v count or --verbosity=N). */
  verbosity: number;
  /** Where finished lines go; default stderr. Replaced on log reopen (SIGUSR1). */
  write?: (line: string) => void;
  /** Prefix such as "[worker 1] " for worker processes. */
  prefix?: string;
  pid?: number;
  now?: () => Date;
}

export function createLogger(opts: LoggerOptions): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const pid = opts.pid ?? process.pid;
  const now = opts.now ?? (() => new Date());
  const prefix = opts.prefix ?? "";
  return createConsola({
    level: 3 + Math.max(0, Math.min(opts.verbosity, 2)),
    reporters: [
      {
        log(obj: LogObject) {
          const tag = obj.tag ? `${obj.tag}: ` : "";
          const text = obj.args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
          write(`[${pid}][${formatLocalTime(now())}] ${prefix}${tag}${text}\n`);
        },
      },
    ],
  });
}

/** `YYYY-MM-DD HH:MM:SS.uuuuuu local`, as kprintf prints it. */
export function formatLocalTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)} local`
  );
}

/** A logger that collects lines in memory, for tests. */
export function createMemoryLogger(verbosity = 0): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ verbosity, write: (l) => lines.push(l) }), lines };
}
