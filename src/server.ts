// The process lifecycle of `mtproto-proxy` (config-and-cli.md §D): a single serving process (-M 0),
// the -M N supervisor, or one of its workers (MTPROXY_WORKER_ID, set only by the supervisor).
import type { ProxyOptions } from "./cli/proxy-options.ts";
import type { Logger } from "./log.ts";
import type { ProcessContext } from "./process/context.ts";
import { serve } from "./process/serve.ts";
import { superviseWorkers } from "./supervisor/run.ts";

export type { ProcessContext } from "./process/context.ts";

/**
 * Resolves once the process is in its main loop; from then on it lives on its handles and ends
 * through its signal handlers. Throws CliError/ConfigError for main.ts to report. `_log` is main's
 * stderr logger: each role builds its own over the reopenable -l sink.
 */
export async function startServer(options: ProxyOptions, _log: Logger, ctx: ProcessContext): Promise<void> {
  if (ctx.workerId !== null || options.workers === 0) return serve(options, ctx);
  return superviseWorkers(options, ctx);
}
