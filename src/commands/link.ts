// `link --server H --port P --secret S [--domain D ...]`: the tg:// and t.me links clients can use
// (client-side.md §1.3). No QR code: that would need a dependency.
import { defineCommand } from "citty";
import { CliError } from "../errors.ts";
import { MAX_DOMAIN_LENGTH, parseClientSecret } from "../config/client-secret.ts";
import { linksForServer } from "../links.ts";

export interface LinkDeps {
  print?: (line: string) => void;
}

/** All values of a repeatable option (citty keeps only the last): `--name v`, `--name=v`, `-x v`. */
export function repeatedOption(rawArgs: readonly string[], long: string, short: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === "--") break;
    if (a === `--${long}` || a === `-${short}`) {
      if (i + 1 < rawArgs.length) out.push(rawArgs[++i]!);
    } else if (a.startsWith(`--${long}=`)) {
      out.push(a.slice(long.length + 3));
    }
  }
  return out;
}

export function createLinkCommand(deps: LinkDeps = {}) {
  const print = deps.print ?? ((line: string) => console.log(line));
  return defineCommand({
    meta: { name: "link", description: "Print tg:// and t.me proxy links for a server" },
    args: {
      server: { type: "string", description: "public host name or IP address", required: true },
      port: { type: "string", description: "client port (-H)", required: true },
      secret: { type: "string", alias: ["S"], description: "secret: 32 hex, dd…, ee… or base64url; repeatable", required: true },
      domain: { type: "string", alias: ["D"], description: "fake-TLS domain (-D); repeatable" },
      base64: { type: "boolean", description: "write ee secrets as base64url" },
    },
    run({ args, rawArgs }) {
      const server = String(args.server ?? "");
      if (server === "") throw new CliError("--server is required");
      const port = /^[0-9]+$/.test(String(args.port)) ? Number(args.port) : NaN;
      if (!(port >= 1 && port <= 65535)) throw new CliError(`bad --port '${args.port}' (1..65535 expected)`);
      const domains = repeatedOption(rawArgs, "domain", "D");
      const keys: Uint8Array[] = [];
      for (const text of repeatedOption(rawArgs, "secret", "S")) {
        const parsed = parseClientSecret(text);
        if (!parsed.ok) throw new CliError(`bad --secret '${text}': ${parsed.error}`);
        keys.push(parsed.secret.key);
        if (parsed.secret.domain !== null && !domains.includes(parsed.secret.domain)) domains.push(parsed.secret.domain);
      }
      if (keys.length === 0) throw new CliError("--secret is required");
      for (const d of domains) {
        if (d === "") throw new CliError("empty --domain");
        if (new TextEncoder().encode(d).length > MAX_DOMAIN_LENGTH) {
          throw new CliError(`domain longer than ${MAX_DOMAIN_LENGTH} bytes: Telegram apps reject such secrets`);
        }
      }
      const perSecret = linksForServer({ host: server, port, secrets: keys, domains, eeEncoding: args.base64 ? "base64url" : "hex" });
      perSecret.forEach((links, i) => {
        print(`# secret ${i + 1}: -S ${Buffer.from(keys[i]!).toString("hex")}`);
        for (const l of links) {
          const label = l.domain === null ? l.mode : `${l.mode} ${l.domain}`;
          print(`${label}: ${l.tg}`);
          print(`${label}: ${l.tme}`);
        }
      });
    },
  });
}

export default createLinkCommand();
