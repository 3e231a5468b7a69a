// Fuzz target for the command line: argv built from the real option table (long, short, bundled,
// abbreviated, `=`-joined), real-looking and extreme values, then mutated; the secret file is
// injected. parseCommandLine must always answer run | help | error, never throw.
import { parseCommandLine } from "../../src/cli/parse-args.ts";
import { OPTIONS } from "../../src/cli/options.ts";
import { MAX_MTFRONT_SECRETS, type FileRead } from "../../src/cli/secret-file.ts";
import { chance, mutate, pick, randomBytes, type Rng } from "./generators.ts";
import type { FuzzTarget } from "./harness.ts";

const VALUES = [
  "0", "1", "-1", "2", "8", "64", "65", "443", "65535", "65536", "80:90", "90:80", "1:65535", "2147483647", "2147483648", "-2147483649",
  "99999999999999999999", "1e3", "0x10", "1.5", "-0.5", "nan", "inf", "", " ", "1k", "512m", "2g", "3t",
  "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdeX", "0123456789abcdef", "ee0123456789abcdef0123456789abcdef",
  "10.0.0.1:1.2.3.4", "10.0.0.1", "::1", "1.2.3.4:", ":1.2.3.4", "example.com", "www.google.com", "\u00e9", "a,b", "80,443,8443",
  "2", "-2", "203", "1:149.154.175.50:443", "nobody", "/tmp/x", "secrets.txt", "proxy.conf", "--", "-",
];

function optionToken(rng: Rng, out: string[]): void {
  const o = pick(rng, OPTIONS);
  const value = chance(rng, 90) ? pick(rng, VALUES) : Buffer.from(randomBytes(rng, 40)).toString("latin1");
  const r = rng.int(100);
  if (o.short && r < 35) {
    if (o.arg === "none") out.push(`-${o.short}${chance(rng, 30) ? pick(rng, OPTIONS).short ?? "" : ""}`);
    else if (chance(rng, 50)) out.push(`-${o.short}`, value);
    else out.push(`-${o.short}${value}`);
    return;
  }
  // Unique prefixes are accepted by getopt_long; non-unique ones are an error.
  const name = chance(rng, 15) ? o.long.slice(0, 1 + rng.int(o.long.length)) : o.long;
  if (o.arg === "none") out.push(chance(rng, 10) ? `--${name}=${value}` : `--${name}`);
  else if (o.arg === "optional") out.push(chance(rng, 50) ? `--${name}=${value}` : `--${name}`);
  else if (chance(rng, 50)) out.push(`--${name}=${value}`);
  else out.push(`--${name}`, ...(chance(rng, 95) ? [value] : []));
}

export interface ArgvInput {
  readonly argv: string[];
  readonly posixlyCorrect: boolean;
  /** What the injected reader returns for any --mtproto-secret-file. */
  readonly file: FileRead;
}

export const cliArgv: FuzzTarget<ArgvInput, unknown> = {
  name: "cli-argv",
  makeInput(rng) {
    const argv: string[] = [];
    for (let n = rng.int(12); n > 0; n--) {
      const r = rng.int(100);
      if (r < 75) optionToken(rng, argv);
      else if (r < 88) argv.push(pick(rng, ["proxy.conf", "other.conf", "--direct", "--", "-", "-S", "--mtproto-secret"]));
      else argv.push(Buffer.from(randomBytes(rng, 30)).toString("latin1"));
    }
    // A few char-level mutations of single arguments.
    if (argv.length > 0 && chance(rng, 30)) {
      const k = rng.int(argv.length);
      argv[k] = Buffer.from(mutate(rng, Buffer.from(argv[k]!, "latin1"))).toString("latin1");
    }
    const fileText = pick(rng, ["0123456789abcdef0123456789abcdef\n", "# none\n", "0123456789abcdef0123456789abcdeg", `${"0123456789abcdef0123456789abcdef,".repeat(130)}`, ""]);
    const file: FileRead = chance(rng, 80) ? { ok: true, text: fileText } : { ok: false, stage: pick(rng, ["open", "read"] as const), error: "No such file or directory" };
    return { argv, posixlyCorrect: chance(rng, 20), file };
  },
  run(i) {
    const r = parseCommandLine(i.argv, "mtproto-proxy", { readFile: () => i.file, posixlyCorrect: i.posixlyCorrect });
    if (r.kind === "help") return { kind: "help" };
    if (r.kind === "error") return { kind: "error", lines: r.error.lines.map((l) => l.text), exit: r.error.exitCode };
    const o = r.options;
    return { kind: "run", secrets: o.secrets.map((s) => s.length), direct: o.direct, configFile: o.configFile, frozen: Object.isFrozen(o) && Object.isFrozen(o.secrets) };
  },
  check(s) {
    const r = s as { kind: string; lines?: string[]; exit?: number; secrets?: number[]; direct?: boolean; configFile?: string | null; frozen?: boolean };
    if (r.kind === "help") return null;
    if (r.kind === "error") {
      if (r.lines!.length === 0 || !Number.isInteger(r.exit)) return "error without lines or exit code";
      return r.lines!.some((l) => l.includes("undefined") || l.includes("NaN")) ? `message ${JSON.stringify(r.lines)}` : null;
    }
    if (r.kind !== "run") return `kind ${r.kind}`;
    if (!r.frozen) return "options not frozen";
    if (r.secrets!.some((n) => n !== 16) || r.secrets!.length > MAX_MTFRONT_SECRETS) return `secrets ${r.secrets}`;
    if (r.configFile === null && !r.direct) return "no config file and not direct";
    return null;
  },
};

export const CLI_TARGETS = [cliArgv] as const;
