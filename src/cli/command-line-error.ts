// A command-line failure as C reports it: some lines come from getopt/fprintf (bare, on stderr),
// others from kprintf (with the log prefix); then usage (stdout) when C calls usage(), then the exit code.
import { CliError } from "../errors.ts";

export interface CliLine {
  text: string;
  /** `stderr`: written bare (glibc getopt, fprintf); `log`: through the logger, like kprintf. */
  via: "stderr" | "log";
}

export class CommandLineError extends CliError {
  constructor(
    readonly lines: readonly CliLine[],
    exitCode = 2,
    showUsage = true,
  ) {
    super(lines.map((l) => l.text).join("\n"), exitCode, showUsage);
  }
}

/** A kprintf-style error: message line(s) via the logger. */
export function cliFail(text: string | string[], exitCode = 2, showUsage = true): CommandLineError {
  const texts = Array.isArray(text) ? text : [text];
  return new CommandLineError(texts.map((t) => ({ text: t, via: "log" })), exitCode, showUsage);
}
