// tg://proxy and https://t.me/proxy links for each secret, in each mode the server accepts
// (client-side.md §1.2, §1.3): without -D plain and dd; with -D only ee, one per domain.
// IPv6 servers are written without brackets and percent-encoded (`2001%3Adb8%3A%3A1`), as mtg does;
// the apps URL-decode the query and connect to the bare address.
import { formatClientSecret, makeClientSecret, type SecretEncoding, type SecretMode } from "./config/client-secret.ts";

export interface ProxyLink {
  readonly mode: SecretMode;
  /** The `secret=` value. */
  readonly secret: string;
  readonly domain: string | null;
  readonly tg: string;
  readonly tme: string;
}

export interface LinksInput {
  /** Public host name or address; `[v6]` brackets are removed. */
  host: string;
  port: number;
  /** 16-byte server keys, as given with -S. */
  secrets: readonly Uint8Array[];
  /** -D domains; non-empty means TLS-only. */
  domains: readonly string[];
  /** How `ee` secrets are written (plain and dd are always hex). Default hex. */
  eeEncoding?: SecretEncoding;
}

function query(host: string, port: number, secret: string): string {
  const server = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return `server=${encodeURIComponent(server)}&port=${port}&secret=${encodeURIComponent(secret)}`;
}

export function tgLink(host: string, port: number, secret: string): string {
  return `tg://proxy?${query(host, port, secret)}`;
}

export function tmeLink(host: string, port: number, secret: string): string {
  return `https://t.me/proxy?${query(host, port, secret)}`;
}

/** Per secret (in -S order), the links a client can use against this server configuration. */
export function linksForServer(input: LinksInput): ProxyLink[][] {
  return input.secrets.map((key) => {
    const forms =
      input.domains.length === 0
        ? [makeClientSecret("plain", key), makeClientSecret("dd", key)]
        : input.domains.map((d) => makeClientSecret("ee", key, d));
    return forms.map((s) => {
      const secret = formatClientSecret(s, s.mode === "ee" ? (input.eeEncoding ?? "hex") : "hex");
      return Object.freeze({
        mode: s.mode,
        secret,
        domain: s.domain,
        tg: tgLink(input.host, input.port, secret),
        tme: tmeLink(input.host, input.port, secret),
      });
    });
  });
}
