// The `--help` / usage text of mtproto-proxy (config-and-cli.md §C.3): mtproto-proxy.c usage() prints
// three fixed lines, then server-functions.c parse_usage() one line per option with a computed width.
import type { OptionDef } from "./options.ts";

/** parse_usage's column width: per option 3 per long name (plus its length), 3 per short letter, 6 for an argument. */
export function usageWidth(table: readonly OptionDef[]): number {
  let max = 0;
  for (const o of table) {
    const w = o.long.length + 3 + (o.short ? 3 : 0) + (o.arg === "none" ? 0 : 6);
    if (w > max) max = w;
  }
  return max;
}

/** One option line, without the newline. */
export function usageLine(o: OptionDef, width: number): string {
  let names = `--${o.long}`;
  if (o.short) names += `/-${o.short}`;
  if (o.arg === "required") names += " <arg>";
  if (o.arg === "optional") names += " {arg}";
  // A newline inside a help text continues under the help column.
  const help = o.help.replaceAll("\n", `\n\t${" ".repeat(width)}\t`);
  return `\t${names.padEnd(width)}\t${help}`;
}

export function usageText(argv0: string, fullVersion: string, table: readonly OptionDef[]): string {
  const width = usageWidth(table);
  return [
    `usage: ${argv0} [-v] [-6] [-p<port>] [-H<http-port>{,<http-port>}] [-M<workers>] [-u<username>] [-b<backlog>] [-c<max-conn>] [-l<log-name>] [-W<window-size>] <config-file>`,
    fullVersion,
    "\tSimple MT-Proto proxy",
    ...table.map((o) => usageLine(o, width)),
    "",
  ].join("\n");
}
