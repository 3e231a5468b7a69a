// Doctor, with --config-refresh: the URLs the refresher will use answer with files that parse
// (nothing is written; that is the refresher's job).
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { downloadLimited } from "../config/fetch-config.ts";
import { MAX_CONFIG_SIZE } from "../config/load.ts";
import { parseConfig } from "../config/parse.ts";
import { checkProxySecret, MAX_PWD_CONFIG_LEN } from "../config/proxy-secret.ts";
import { noSystemResolver } from "../config/resolve-host.ts";
import type { CheckResult, DoctorDeps } from "./types.ts";

export async function checkRefreshUrls(o: ProxyOptions, deps: DoctorDeps, timeoutMs: number): Promise<CheckResult[]> {
  const hint = "check outbound HTTPS to the URL, or fix --config-url/--secret-url";
  const config = (async (): Promise<CheckResult> => {
    const check = "config refresh URL";
    const dl = await downloadLimited(o.configUrl, { fetch: deps.fetch, timeoutMs, maxBytes: MAX_CONFIG_SIZE });
    if (!dl.ok) return { status: "FAIL", check, detail: `${o.configUrl}: ${dl.reason}`, hint };
    // Names in Telegram's file are IP literals; a file that needs DNS is judged by the config check.
    const p = await parseConfig(dl.bytes, { fileName: o.configUrl, hosts: null, system: noSystemResolver, loadedAt: Math.floor(deps.nowMs() / 1000) });
    return p.ok
      ? { status: "PASS", check, detail: `${o.configUrl}: ${dl.bytes.length} bytes, ${p.config.targets.length} targets` }
      : { status: "FAIL", check, detail: `${o.configUrl}: not a proxy-multi.conf: ${p.error.replace(/\s*\n\s*/g, " ")}`, hint };
  })();
  const secret = (async (): Promise<CheckResult | null> => {
    if (o.aesPwdFile === null) return null;
    const check = "secret refresh URL";
    const dl = await downloadLimited(o.secretUrl, { fetch: deps.fetch, timeoutMs, maxBytes: MAX_PWD_CONFIG_LEN });
    if (!dl.ok) return { status: "FAIL", check, detail: `${o.secretUrl}: ${dl.reason}`, hint };
    const c = checkProxySecret(dl.bytes, o.secretUrl);
    return c.ok
      ? { status: "PASS", check, detail: `${o.secretUrl}: ${dl.bytes.length} bytes` }
      : { status: "FAIL", check, detail: `${o.secretUrl}: ${c.verboseLines.at(-1)}`, hint };
  })();
  const [a, b] = await Promise.all([config, secret]);
  return b === null ? [a] : [a, b];
}
