// The citty side of the command line: subcommands (generate-secret, link; doctor once it exists), meta, --version.
// C has neither; the proxy's own options go through cli/getopt.ts because citty cannot match getopt_long.
// Nothing here exits the process: main.ts turns the returned code into process.exit.
import { defineCommand, renderUsage, runCommand, type CommandDef, type SubCommandsDef } from "citty";
import { CliError } from "../errors.ts";
import { PACKAGE_VERSION, VERSION_STR } from "../version.ts";

/**
 * Subcommands, loaded lazily so the proxy itself never pays for them. A new one is one entry here;
 * its file exports a citty `defineCommand(...)` as default.
 */
export const SUBCOMMANDS: SubCommandsDef = {
  "generate-secret": () => import("../commands/generate-secret.ts").then((m) => m.default),
  link: () => import("../commands/link.ts").then((m) => m.default),
  doctor: () => import("../commands/doctor.ts").then((m) => m.default),
};

export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export function createRootCommand(subCommands: SubCommandsDef = SUBCOMMANDS): CommandDef {
  return defineCommand({
    meta: { name: "mtproto-proxy", version: PACKAGE_VERSION, description: `Telegram MTProto proxy (${VERSION_STR})` },
    subCommands,
  });
}

/** `mtproto-proxy --version` (alone, as citty treats it). C has no --version: a deliberate extension. */
export function isVersionRequest(argv: readonly string[]): boolean {
  return argv.length === 1 && argv[0] === "--version";
}

/** argv[0] names a subcommand. Anything else is the C command line. */
export function isSubcommand(argv: readonly string[], subCommands: SubCommandsDef = SUBCOMMANDS): boolean {
  return argv.length > 0 && Object.hasOwn(subCommands, argv[0]!);
}

/** Runs a subcommand through citty; returns the exit code (the command's numeric result, else 0). */
export async function runSubcommand(argv: readonly string[], io: CommandIo, subCommands: SubCommandsDef = SUBCOMMANDS): Promise<number> {
  const root = createRootCommand(subCommands);
  try {
    const sub = await resolve(subCommands[argv[0]!]!);
    const rest = argv.slice(1);
    if (rest.includes("--help") || rest.includes("-h")) {
      // Plain text, like the rest of our output: citty colours unconditionally.
      io.stdout(`${(await renderUsage(sub, root)).replace(/\x1b\[[0-9;]*m/g, "")}\n`);
      return 0;
    }
    // Run it directly (not through the root) so its result can become the exit code.
    const { result } = await runCommand(sub, { rawArgs: rest });
    return typeof result === "number" ? result : 0;
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`${e.message}\n`);
      return e.exitCode;
    }
    const message = (e instanceof Error ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, "");
    io.stderr(`${message}\n`);
    // citty's own argument errors are usage errors, like ours (exit 2); anything else is a failure.
    return e instanceof Error && e.name === "CLIError" ? 2 : 1;
  }
}

async function resolve<T>(v: T | Promise<T> | (() => T) | (() => Promise<T>)): Promise<T> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}
