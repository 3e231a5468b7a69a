// `mtproto-proxy doctor [proxy flags] <config>`: the same command line as a normal run (parsed by
// cli/parse-args.ts, so every C flag works) plus --time-url/--check-timeout; prints one
// PASS/WARN/FAIL line per check and exits 1 when anything fails.
import { defineCommand } from "citty";
import { cliFail } from "../cli/command-line-error.ts";
import type { OptionDef } from "../cli/options.ts";
import { OPTIONS } from "../cli/options.ts";
import { parseCommandLine } from "../cli/parse-args.ts";
import { DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_TIME_URL, doctorExitCode, formatReport, runDoctor } from "../doctor/run.ts";
import { systemDoctorDeps } from "../doctor/system-deps.ts";
import type { DoctorDeps, DoctorSettings } from "../doctor/types.ts";

const MAX_CHECK_TIMEOUT_SEC = 60;

/** Doctor-only options, numbered after the proxy's; they write into `settings`, not ProxyOptions. */
function doctorOptions(settings: DoctorSettings): OptionDef[] {
  return [
    {
      val: 4000, long: "time-url", arg: "required", help: `<url> whose HTTP Date header the clock is compared with (default ${DEFAULT_TIME_URL})`,
      apply(_o, v, ctx) {
        const text = v ?? "";
        if (!/^https?:\/\/[^/\s]/.test(text) || !URL.canParse(text)) return cliFail(`invalid ${ctx.name} '${text}': expected an http:// or https:// URL`, 2, false);
        settings.timeUrl = text;
      },
    },
    {
      val: 4001, long: "check-timeout", arg: "required", help: `<seconds> bound on each network check (default ${DEFAULT_CHECK_TIMEOUT_MS / 1000})`,
      apply(_o, v, ctx) {
        const n = Number(v);
        if (!/^[0-9.]+$/.test(v ?? "") || !(n > 0 && n <= MAX_CHECK_TIMEOUT_SEC)) {
          return cliFail(`invalid ${ctx.name} '${v}': expected seconds in (0, ${MAX_CHECK_TIMEOUT_SEC}]`, 2, false);
        }
        settings.timeoutMs = Math.round(n * 1000);
      },
    },
  ];
}

export interface DoctorRunDeps {
  print?: (text: string) => void;
  deps?: Partial<DoctorDeps>;
}

/** Parses the arguments after `doctor`, runs every check, prints the report; returns the exit code. */
export async function doctorMain(argv: readonly string[], run: DoctorRunDeps = {}): Promise<number> {
  const print = run.print ?? ((text: string) => void process.stdout.write(text));
  const settings: DoctorSettings = { timeUrl: DEFAULT_TIME_URL, timeoutMs: DEFAULT_CHECK_TIMEOUT_MS };
  const parsed = parseCommandLine(argv, "mtproto-proxy doctor", { options: [...OPTIONS, ...doctorOptions(settings)] });
  if (parsed.kind === "help") throw cliFail("usage: mtproto-proxy doctor [proxy options] <config-file>   (see mtproto-proxy --help)", 2, false);
  if (parsed.kind === "error") throw parsed.error;
  const results = await runDoctor(parsed.options, settings, { ...systemDoctorDeps(), ...run.deps });
  print(formatReport(results));
  return doctorExitCode(results);
}

export function createDoctorCommand(run: DoctorRunDeps = {}) {
  return defineCommand({
    meta: {
      name: "doctor",
      description:
        "Check what makes proxies fail in the field (config and secret files, clock skew, middle-ends or DCs, -D domains, fd limit, ports, IPv6). Takes the proxy's own command line.",
    },
    args: {
      "time-url": { type: "string", description: `URL whose HTTP Date header the clock is compared with (default ${DEFAULT_TIME_URL})` },
      "check-timeout": { type: "string", description: `seconds per network check (default ${DEFAULT_CHECK_TIMEOUT_MS / 1000})` },
    },
    run: ({ rawArgs }) => doctorMain(rawArgs, run),
  });
}

export default createDoctorCommand();
