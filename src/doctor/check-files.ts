// Doctor: proxy-multi.conf and the --aes-pwd proxy secret load exactly as a normal start loads them
// (load.ts / proxy-secret.ts, C's read limits and messages), plus the staleness the C README warns of.
import { stat } from "node:fs/promises";
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { DEFAULT_CONFIG_URL, DEFAULT_SECRET_URL } from "../cli/options.ts";
import { ConfigLoadError, loadConfigFile, type LoadDeps } from "../config/load.ts";
import { DEFAULT_PWD_FILE, loadProxySecret, ProxySecretError, type ProxySecret } from "../config/proxy-secret.ts";
import type { ProxyConfig } from "../config/types.ts";
import type { CheckResult } from "./types.ts";

/** Telegram rotates middle-end addresses rarely, but a file this old without --config-refresh is a risk. */
export const STALE_CONFIG_DAYS = 7;

export interface FileChecks {
  results: CheckResult[];
  config: ProxyConfig | null;
  secret: ProxySecret | null;
}

const oneLine = (lines: readonly string[]): string => lines.join(" ").replace(/\s*\n\s*/g, " ").trim();

export async function checkFiles(o: ProxyOptions, nowMs: number, loadDeps: LoadDeps = {}): Promise<FileChecks> {
  const results: CheckResult[] = [];
  let config: ProxyConfig | null = null;
  let secret: ProxySecret | null = null;
  if (o.configFile !== null && !o.direct) {
    const path = o.configFile;
    try {
      config = await loadConfigFile(path, loadDeps);
      results.push(configResult(o, config, await ageDays(path, nowMs)));
    } catch (e) {
      if (!(e instanceof ConfigLoadError)) throw e;
      results.push({
        status: "FAIL",
        check: "config file",
        detail: `${path}: ${oneLine([...e.stderrLines, ...e.logLines])}`,
        hint: `fetch a fresh one: curl -s ${DEFAULT_CONFIG_URL} -o ${path} (or run with --config-refresh 86400)`,
      });
    }
  }
  if (!o.direct) {
    const name = o.aesPwdFile ?? DEFAULT_PWD_FILE;
    const hint = `fetch it: curl -s ${DEFAULT_SECRET_URL} -o ${name} and pass --aes-pwd ${name}`;
    try {
      secret = await loadProxySecret(o.aesPwdFile);
      results.push(
        secret === null
          ? { status: "WARN", check: "proxy secret", detail: `no --aes-pwd and no ./${DEFAULT_PWD_FILE} file: Telegram's middle-ends will refuse the handshake`, hint }
          : { status: "PASS", check: "proxy secret", detail: `${secret.fileName}: ${secret.bytes.length} bytes, md5 ${secret.md5Hex}` },
      );
    } catch (e) {
      if (!(e instanceof ProxySecretError)) throw e;
      results.push({ status: "FAIL", check: "proxy secret", detail: `${name}: ${oneLine([e.verboseLines.at(-1) ?? e.message])}`, hint });
    }
  }
  return { results, config, secret };
}

function configResult(o: ProxyOptions, c: ProxyConfig, days: number | null): CheckResult {
  const summary = `${c.meta.fileName}: ${c.targets.length} middle-end targets in ${c.clusters.size} clusters, default ${c.defaultClusterId}`;
  if (!c.clusters.has(c.defaultClusterId)) {
    return {
      status: "WARN",
      check: "config file",
      detail: `${summary}, but no proxy_for ${c.defaultClusterId} line: clients of unknown DCs are dropped`,
      hint: `use Telegram's file (${DEFAULT_CONFIG_URL}) or add a proxy_for ${c.defaultClusterId} line`,
    };
  }
  if (days !== null && days > STALE_CONFIG_DAYS && o.configRefreshSec === 0) {
    return {
      status: "WARN",
      check: "config file",
      detail: `${summary}, but the file is ${Math.floor(days)} days old`,
      hint: `Telegram moves middle-ends now and then: run with --config-refresh 86400 or re-download it daily`,
    };
  }
  return { status: "PASS", check: "config file", detail: summary };
}

async function ageDays(path: string, nowMs: number): Promise<number | null> {
  try {
    return (nowMs - (await stat(path)).mtimeMs) / 86_400_000;
  } catch (e) {
    if (e instanceof Error) return null;
    throw e;
  }
}
