// What main.ts hands to the server about the running process (STYLE: only main.ts reads argv/env
// and calls process.exit; the lifecycle code gets them from here).

export interface ProcessContext {
  /** The user's arguments (argv without the runtime and script). */
  userArgs: readonly string[];
  /** process.execPath and Bun.main: how a worker re-executes this program. */
  execPath: string;
  main: string;
  /** MTPROXY_WORKER_ID when this process is a -M worker, else null. */
  workerId: number | null;
  /** MTPROXY_LOG_REOPENED: a worker started after a SIGUSR1 writes to -l from the start. */
  logReopened: boolean;
  env: Record<string, string | undefined>;
  /** Standard output: for what the operator must copy (the client links), never into the log. */
  stdout(text: string): void;
  exit(code: number): never;
}
