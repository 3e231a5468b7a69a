// The link lines the proxy logs at start (beyond C; what run.sh prints for the fork): for every
// secret, tg:// and t.me links in each mode this server accepts (plain + dd, or ee per -D domain).
// The public host comes from --nat-info (global side), then --address, else a clear placeholder.
import type { ProxyOptions } from "./cli/proxy-options.ts";
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

/** Where the proxy listens and how clients reach it: logged once before `main loop`. */
export function startupLines(options: Pick<ProxyOptions, "natInfo" | "address" | "httpPorts" | "secrets" | "domains" | "direct" | "ipv6">, ports: readonly number[]): string[] {
  if (ports.length === 0) return [];
  const host = options.ipv6 ? "[::]" : (options.address ?? "0.0.0.0");
  const mode = options.direct ? "direct to Telegram DCs" : "via Telegram middle-end servers";
  const tls = options.domains.length > 0 ? `, fake TLS for ${options.domains.join(", ")}` : "";
  return [`listening for clients on ${ports.map((p) => `${host}:${p}`).join(", ")} (${mode}${tls})`, ...startupLinkLines(options)];
}
