// `generate-secret [plain|dd|ee] [--domain d]`: a fresh client secret (client-side.md §1.2).
// The 32-hex key inside it is what the server takes with -S; dd/ee only tell the client how to connect.
import { defineCommand } from "citty";
import { CliError } from "../errors.ts";
import { systemRandom, type RandomSource } from "../crypto/random.ts";
import { formatClientSecret, generateClientSecret, MAX_DOMAIN_LENGTH, type SecretMode } from "../config/client-secret.ts";

export interface GenerateSecretDeps {
  random?: RandomSource;
  print?: (line: string) => void;
}

const MODES: readonly SecretMode[] = ["plain", "dd", "ee"];

export function createGenerateSecretCommand(deps: GenerateSecretDeps = {}) {
  const random = deps.random ?? systemRandom;
  const print = deps.print ?? ((line: string) => console.log(line));
  return defineCommand({
    meta: { name: "generate-secret", description: "Print a new random client secret (hex)" },
    args: {
      mode: { type: "positional", required: false, description: "plain (default), dd or ee", valueHint: "plain|dd|ee" },
      domain: { type: "string", alias: ["D"], description: "fake-TLS domain (required for ee)" },
      base64: { type: "boolean", description: "print an ee secret as base64url, as Telegram apps display it" },
    },
    run({ args }) {
      const domain = typeof args.domain === "string" && args.domain !== "" ? args.domain : null;
      const mode = (args.mode ?? (domain ? "ee" : "plain")) as SecretMode;
      if (!MODES.includes(mode)) throw new CliError(`unknown secret mode '${mode}' (expected plain, dd or ee)`);
      if (mode === "ee" && domain === null) throw new CliError("an ee secret needs --domain <d>");
      if (mode !== "ee" && domain !== null) throw new CliError(`--domain makes no sense for a ${mode} secret`);
      if (domain !== null && new TextEncoder().encode(domain).length > MAX_DOMAIN_LENGTH) {
        throw new CliError(`domain longer than ${MAX_DOMAIN_LENGTH} bytes: Telegram apps reject such secrets`);
      }
      const secret = generateClientSecret(mode, random, domain);
      print(formatClientSecret(secret, mode === "ee" && args.base64 ? "base64url" : "hex"));
    },
  });
}

export default createGenerateSecretCommand();
