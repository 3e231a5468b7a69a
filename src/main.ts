// Composition root: argv → options → the server (or a citty subcommand).
// The only file that reads process.argv/env or calls process.exit (STYLE.md).
import { CliError, ConfigError } from "./errors.ts";
import { isSubcommand, isVersionRequest, runSubcommand } from "./cli/command.ts";
import { CommandLineError } from "./cli/command-line-error.ts";
import { OPTIONS } from "./cli/options.ts";
import { parseCommandLine } from "./cli/parse-args.ts";
import { usageText } from "./cli/usage.ts";
import { createLogger, type Logger } from "./log.ts";
import { ftlOffReexecEnv, isCompiledEntry } from "./process/jit-tier.ts";
import { startServer, type ProcessContext } from "./server.ts";
import { LOG_REOPENED_ENV, parseWorkerId, WORKER_ID_ENV } from "./supervisor/worker-command.ts";
import { FULL_VERSION_STR } from "./version.ts";

/** argv[0] as C's progname sees it: the binary as invoked, or the script under `bun`. */
function programName(): string {
  const script = process.argv[1] ?? "";
  return isCompiledEntry(script) || script === "" ? process.argv0 : script;
}

const writeOut = (text: string) => void process.stdout.write(text);
const writeErr = (text: string) => void process.stderr.write(text);

/** Reports a user error the way C does and returns its exit code; never a stack trace. */
function reportError(e: unknown, log: Logger, argv0: string): number {
  if (e instanceof CommandLineError) {
    for (const line of e.lines) {
      if (line.via === "stderr") writeErr(`${line.text}\n`);
      else log.info(line.text);
    }
  } else if (e instanceof CliError || e instanceof ConfigError) {
    log.info(e.message);
  } else {
    log.error(e instanceof Error ? e.message : String(e));
    return 1;
  }
  if (e instanceof CliError && e.showUsage) writeOut(usageText(argv0, FULL_VERSION_STR, OPTIONS));
  return e.exitCode;
}

/**
 * Replaces this process (same pid, same argv) with the binary started without JSC's FTL tier, once,
 * before anything is printed (src/process/jit-tier.ts says why). If exec fails, runs on as is.
 */
function reexecWithoutFtl(argv: string[]): void {
  const env = ftlOffReexecEnv(process.env, isCompiledEntry(Bun.main));
  if (env === null) return;
  try {
    process.execve?.(process.execPath, [process.argv0, ...argv], env);
  } catch {
    // the tier is a latency tuning, not a requirement
  }
}

/** The exit code, or null while the server runs (it ends the process through its own shutdown path). */
async function main(): Promise<number | null> {
  const argv = process.argv.slice(2);
  if (isVersionRequest(argv)) {
    writeOut(`${FULL_VERSION_STR}\n`);
    return 0;
  }
  if (isSubcommand(argv)) return runSubcommand(argv, { stdout: writeOut, stderr: writeErr });
  reexecWithoutFtl(argv);

  const argv0 = programName();
  const early = createLogger({ verbosity: 0 });
  // a -M worker is this program re-executed by the supervisor, which already printed the banner
  const workerId = parseWorkerId(process.env[WORKER_ID_ENV]);
  if (workerId === null) early.info(`Invoking engine ${FULL_VERSION_STR}`);

  const parsed = parseCommandLine(argv, argv0, { posixlyCorrect: process.env.POSIXLY_CORRECT !== undefined });
  if (parsed.kind === "help") {
    writeOut(usageText(argv0, FULL_VERSION_STR, OPTIONS));
    return 2;
  }
  if (parsed.kind === "error") return reportError(parsed.error, early, argv0);

  const options = parsed.options;
  const log = createLogger({ verbosity: options.verbosity });
  if (options.configFile !== null && workerId === null) log.info(`config_filename = '${options.configFile}'`);
  const ctx: ProcessContext = {
    userArgs: argv,
    execPath: process.execPath,
    main: Bun.main,
    workerId,
    logReopened: process.env[LOG_REOPENED_ENV] === "1",
    env: process.env,
    stdout: writeOut,
    exit: (code) => process.exit(code),
  };
  try {
    await startServer(options, log, ctx);
    return null;
  } catch (e) {
    return reportError(e, log, argv0);
  }
}

const code = await main();
if (code !== null) process.exit(code);
