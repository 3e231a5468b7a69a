// Placeholder until the lead wires the proxy: main.ts calls startServer once the command line is parsed.
import type { ProxyOptions } from "./cli/proxy-options.ts";
import { ConfigError } from "./errors.ts";
import type { Logger } from "./log.ts";

export async function startServer(_options: ProxyOptions, _log: Logger): Promise<void> {
  throw new ConfigError("server not wired yet", 1);
}
