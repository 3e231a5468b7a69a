// argv → ProxyOptions, the way C gets there: parse_engine_options_long (getopt_long over the table,
// each option applied in order, the first error wins), then mtfront_parse_extra_args (exactly one
// config file) and mtfront_pre_init's -D/-S rule. Pure apart from the injected file reader.
import { cliFail, CommandLineError } from "./command-line-error.ts";
import { getoptLong } from "./getopt.ts";
import { defaultProxyOptions, OPTIONS, type OptionDef } from "./options.ts";
import type { ProxyOptions } from "./proxy-options.ts";
import { readFileForCli, type ReadFile } from "./secret-file.ts";

export type ParseResult =
  | { kind: "run"; options: ProxyOptions }
  /** -h / --help: print the usage text to stdout and exit 2. */
  | { kind: "help" }
  | { kind: "error"; error: CommandLineError };

export interface ParseSettings {
  /** Reads --mtproto-secret-file; the disk by default. */
  readFile?: ReadFile;
  /** POSIXLY_CORRECT set in the environment: no argument permutation. */
  posixlyCorrect?: boolean;
  /** The table; OPTIONS by default. */
  options?: readonly OptionDef[];
}

export function parseCommandLine(argv: readonly string[], argv0: string, readFileOrSettings: ReadFile | ParseSettings = {}): ParseResult {
  const settings = typeof readFileOrSettings === "function" ? { readFile: readFileOrSettings } : readFileOrSettings;
  const table = settings.options ?? OPTIONS;
  const readFile = settings.readFile ?? readFileForCli;
  const o = defaultProxyOptions();
  const { events, positionals } = getoptLong(argv, argv0, table, { posixlyCorrect: settings.posixlyCorrect ?? false });

  for (const ev of events) {
    if (ev.kind === "error") {
      // C: getopt's own line, then kprintf("Unrecognized option"), then usage, exit 2.
      return {
        kind: "error",
        error: new CommandLineError([
          { text: ev.message, via: "stderr" },
          { text: "Unrecognized option", via: "log" },
        ]),
      };
    }
    const outcome = ev.spec.apply(o, ev.value, { readFile, name: ev.name });
    if (outcome === "help") return { kind: "help" };
    if (outcome) return { kind: "error", error: outcome };
  }

  if (positionals.length > 1) {
    const extra = positionals.slice(1).map((p) => `'${p}'`).join(" ");
    return { kind: "error", error: cliFail(`extra arguments after the config file '${positionals[0]}': ${extra}`) };
  }
  if (positionals.length === 0 && !o.direct) {
    return { kind: "error", error: cliFail("missing <config-file> argument (or use --direct)") };
  }
  o.configFile = positionals[0] ?? null;

  if (o.domains.length > 0 && o.secrets.length === 0) {
    // C finds this in mtfront_pre_init, after logging the config file name (and the -M advice).
    const lines = o.configFile === null ? [] : [`config_filename = '${o.configFile}'`];
    if (o.workers > 0) lines.push("It is recommended to not use workers with TLS-transport");
    lines.push("You must specify at least one mtproto-secret to use when using TLS-transport");
    return { kind: "error", error: cliFail(lines, 2, false) };
  }

  Object.freeze(o.secrets);
  Object.freeze(o.domains);
  Object.freeze(o.httpPorts);
  Object.freeze(o.natInfo);
  Object.freeze(o.ignoredThreadOptions);
  return { kind: "run", options: Object.freeze(o) };
}
