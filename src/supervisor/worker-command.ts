// How the supervisor re-executes itself for a worker (C forks; Bun cannot). BUN-NOTES: inside a
// compiled binary Bun.main starts with /$bunfs/ and process.execPath is the binary itself; under
// `bun run` the script path must follow the runtime.

export const WORKER_ID_ENV = "MTPROXY_WORKER_ID";
/** Set for workers started after a log reopen, so a replacement writes to -l from its first line. */
export const LOG_REOPENED_ENV = "MTPROXY_LOG_REOPENED";

export function selfCommand(execPath: string, main: string, userArgs: readonly string[]): string[] {
  return main.startsWith("/$bunfs/") || main === execPath ? [execPath, ...userArgs] : [execPath, main, ...userArgs];
}

/** A worker id from the environment: a small non-negative integer, else null (not a worker). */
export function parseWorkerId(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,3}$/.test(value)) return null;
  return Number(value);
}
