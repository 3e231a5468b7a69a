// A pure getopt_long(3) over an option table, with glibc's permutation, abbreviation and error text
// (glibc posix/getopt.c: _getopt_internal_r, process_long_option). Errors are values, never throws.
// Mirrors how server-functions.c parse_engine_options_long builds its optstring and longopts.

export type ArgKind = "none" | "required" | "optional";

export interface GetoptSpec {
  /** Long name without dashes. */
  readonly long: string;
  /** Short letter, if any. */
  readonly short?: string;
  readonly arg: ArgKind;
}

export type GetoptEvent<S extends GetoptSpec> =
  | {
      kind: "option";
      spec: S;
      /** The argument; null when none was given (no-argument or an optional one left out). */
      value: string | null;
      /** How it was written: `-x` or `--long` (the full long name, even when abbreviated). */
      name: string;
    }
  /** glibc's message, without the trailing newline. */
  | { kind: "error"; message: string };

export interface GetoptResult<S extends GetoptSpec> {
  /** Options and errors in command-line order; callers stop at the first error, as C does. */
  events: GetoptEvent<S>[];
  /** Non-option arguments in order, including everything after `--`. */
  positionals: string[];
}

export interface GetoptOptions {
  /** POSIXLY_CORRECT: option processing stops at the first non-option argument. */
  posixlyCorrect?: boolean;
}

export function getoptLong<S extends GetoptSpec>(
  argv: readonly string[],
  argv0: string,
  specs: readonly S[],
  opts: GetoptOptions = {},
): GetoptResult<S> {
  const events: GetoptEvent<S>[] = [];
  const positionals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.length < 2 || arg[0] !== "-") {
      // "-" alone and words are non-options; with permutation they are collected and skipped.
      if (opts.posixlyCorrect) {
        positionals.push(...argv.slice(i));
        break;
      }
      positionals.push(arg);
      i++;
      continue;
    }
    i = arg[1] === "-" ? longOption(argv, i, argv0, specs, events) : shortCluster(argv, i, argv0, specs, events);
  }
  return { events, positionals };
}

/** `--name`, `--name=value`, `--name value`, or an unambiguous prefix of a name. Returns the next index. */
function longOption<S extends GetoptSpec>(argv: readonly string[], i: number, argv0: string, specs: readonly S[], events: GetoptEvent<S>[]): number {
  const text = argv[i]!.slice(2);
  const eq = text.indexOf("=");
  const name = eq < 0 ? text : text.slice(0, eq);
  let found = specs.find((s) => s.long === name);
  if (!found) {
    const matches = specs.filter((s) => s.long.startsWith(name));
    if (matches.length > 1) {
      // Every table entry is a distinct option, so two prefix matches are always ambiguous.
      const list = matches.map((s) => ` '--${s.long}'`).join("");
      events.push({ kind: "error", message: `${argv0}: option '--${text}' is ambiguous; possibilities:${list}` });
      return i + 1;
    }
    found = matches[0];
  }
  if (!found) {
    events.push({ kind: "error", message: `${argv0}: unrecognized option '--${text}'` });
    return i + 1;
  }
  if (eq >= 0) {
    if (found.arg === "none") {
      events.push({ kind: "error", message: `${argv0}: option '--${found.long}' doesn't allow an argument` });
      return i + 1;
    }
    events.push({ kind: "option", spec: found, value: text.slice(eq + 1), name: `--${found.long}` });
    return i + 1;
  }
  if (found.arg === "required") {
    if (i + 1 >= argv.length) {
      events.push({ kind: "error", message: `${argv0}: option '--${found.long}' requires an argument` });
      return i + 1;
    }
    // The next element is the argument even when it looks like an option.
    events.push({ kind: "option", spec: found, value: argv[i + 1]!, name: `--${found.long}` });
    return i + 2;
  }
  events.push({ kind: "option", spec: found, value: null, name: `--${found.long}` });
  return i + 1;
}

/** `-abc`, `-p8888`, `-p 8888`. Optional-argument options take no argument in short form (C's optstring). */
function shortCluster<S extends GetoptSpec>(argv: readonly string[], i: number, argv0: string, specs: readonly S[], events: GetoptEvent<S>[]): number {
  const arg = argv[i]!;
  for (let k = 1; k < arg.length; k++) {
    const c = arg[k]!;
    const spec = c === ":" ? undefined : specs.find((s) => s.short === c);
    if (!spec) {
      events.push({ kind: "error", message: `${argv0}: invalid option -- '${c}'` });
      continue;
    }
    if (spec.arg !== "required") {
      events.push({ kind: "option", spec, value: null, name: `-${c}` });
      continue;
    }
    if (k + 1 < arg.length) {
      events.push({ kind: "option", spec, value: arg.slice(k + 1), name: `-${c}` });
      return i + 1;
    }
    if (i + 1 >= argv.length) {
      events.push({ kind: "error", message: `${argv0}: option requires an argument -- '${c}'` });
      return i + 1;
    }
    events.push({ kind: "option", spec, value: argv[i + 1]!, name: `-${c}` });
    return i + 2;
  }
  return i + 1;
}
