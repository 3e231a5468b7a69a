// What the proxy says at start (beyond C; what run.sh prints for the fork): where it listens (a log
// line) and, for every secret, tg:// and t.me links in each mode this server accepts (plain + dd,
// or ee per -D domain). Links carry the secret, so they go to stdout, never to the log or the -l
// file. The public host comes from --nat-info (global side), then --address, else a placeholder.
import type { ProxyOptions } from "./cli/proxy-options.ts";
import type { Logger } from "./log.ts";
import { linksForServer } from "./links.ts";

export const PUBLIC_HOST_PLACEHOLDER = "YOUR_SERVER_IP";

export function publicHost(options: Pick<ProxyOptions, "natInfo" | "address">): string {
  const nat = options.natInfo[0];
  if (nat) return nat.global;
  if (options.address && options.address !== "0.0.0.0") return options.address;
  return PUBLIC_HOST_PLACEHOLDER;
}

/** Lines to log once at start; empty when there is no client port or no secret to link to. */
export function startupLinkLines(options: Pick<ProxyOptions, "natInfo" | "address" | "httpPorts" | "secrets" | "domains">): string[] {
  const port = options.httpPorts[0];
  if (port === undefined || options.secrets.length === 0) return [];
  const host = publicHost(options);
  const lines: string[] = [];
  linksForServer({ host, port, secrets: options.secrets, domains: options.domains }).forEach((links, i) => {
    for (const link of links) {
      lines.push(`secret ${i + 1} ${link.mode}${link.domain ? ` (${link.domain})` : ""}: ${link.tg}`);
      lines.push(`secret ${i + 1} ${link.mode}${link.domain ? ` (${link.domain})` : ""}: ${link.tme}`);
    }
  });
  if (host === PUBLIC_HOST_PLACEHOLDER) {
    lines.push(`replace ${PUBLIC_HOST_PLACEHOLDER} with this server's public address (or pass --nat-info <local>:<public>)`);
  }
  return lines;
}

type AnnounceOptions = Pick<ProxyOptions, "natInfo" | "address" | "httpPorts" | "secrets" | "domains" | "direct" | "ipv6">;

/** The log line saying where the proxy listens and how it reaches Telegram. */
export function listeningLine(options: AnnounceOptions, ports: readonly number[]): string | null {
  if (ports.length === 0) return null;
  const host = options.ipv6 ? "[::]" : (options.address ?? "0.0.0.0");
  const mode = options.direct ? "direct to Telegram DCs" : "via Telegram middle-end servers";
  const tls = options.domains.length > 0 ? `, fake TLS for ${options.domains.join(", ")}` : "";
  return `listening for clients on ${ports.map((p) => `${host}:${p}`).join(", ")} (${mode}${tls})`;
}

/** Logs where the proxy listens and prints the links (with their secrets) on stdout only. */
export function announce(options: AnnounceOptions, ports: readonly number[], log: Logger, out: { stdout(text: string): void }): void {
  const line = listeningLine(options, ports);
  if (line === null) return;
  log.info(line);
  const links = startupLinkLines(options);
  if (links.length > 0) out.stdout(`${links.join("\n")}\n`);
}
