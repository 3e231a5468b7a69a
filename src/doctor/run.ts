// `mtproto-proxy doctor`: every check for the given command line, independent ones concurrently,
// results in a fixed order, then the report text and exit code (non-zero when anything FAILs).
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { checkClock } from "./check-clock.ts";
import { checkCrypto } from "./check-crypto.ts";
import { checkDirectDcs } from "./check-direct.ts";
import { checkDomains } from "./check-domains.ts";
import { checkFiles } from "./check-files.ts";
import { checkFdLimit, checkIpv6, checkPorts } from "./check-host.ts";
import { checkMiddleEnds } from "./check-middle.ts";
import { checkRefreshUrls } from "./check-refresh.ts";
import type { CheckResult, DoctorDeps, DoctorSettings } from "./types.ts";

export const DEFAULT_TIME_URL = "https://core.telegram.org";
export const DEFAULT_CHECK_TIMEOUT_MS = 4000;

export async function runDoctor(o: ProxyOptions, settings: DoctorSettings, deps: DoctorDeps): Promise<CheckResult[]> {
  const t = settings.timeoutMs;
  const files = await checkFiles(o, deps.nowMs());
  const groups = await Promise.all([
    checkClock(deps, settings.timeUrl, t).then((r) => [r]),
    o.direct
      ? checkDirectDcs(o, deps, t)
      : files.config
        ? checkMiddleEnds(o, files.config, files.secret, deps, t)
        : Promise.resolve<CheckResult[]>([]),
    o.configRefreshSec > 0 ? checkRefreshUrls(o, deps, t) : Promise.resolve<CheckResult[]>([]),
    checkDomains(o.domains, deps, t),
    checkFdLimit(o, files.config, deps).then((r) => [r]),
    checkPorts(o, deps),
    o.ipv6 ? checkIpv6(files.config, deps, t) : Promise.resolve<CheckResult[]>([]),
  ]);
  return [...files.results, ...groups.flat(), checkCrypto()];
}

/** One `STATUS check: detail` line per check, a hint line under WARN/FAIL, then a summary. */
export function formatReport(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.status} ${r.check}: ${r.detail}`);
    if (r.status !== "PASS" && r.hint) lines.push(`     hint: ${r.hint}`);
  }
  const count = (s: CheckResult["status"]) => results.filter((r) => r.status === s).length;
  lines.push(`summary: ${count("PASS")} passed, ${count("WARN")} warnings, ${count("FAIL")} failed`);
  return `${lines.join("\n")}\n`;
}

export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === "FAIL") ? 1 : 0;
}
