// The middle-end proxy secret, `--aes-pwd <file>` (config-and-cli.md §B); mirrors net-crypto-aes.c
// aes_load_pwd_file and its caller engine_init. The bytes are used raw, trailing newline included.
import { md5Hex } from "../crypto/hash.ts";
import { ConfigError } from "../errors.ts";
import { readLimited, type LimitedRead } from "./load.ts";
import { strerror } from "./strerror.ts";

export const DEFAULT_PWD_FILE = "secret";
export const MIN_PWD_LEN = 32;
export const MAX_PWD_LEN = 256;
export const MAX_PWD_CONFIG_LEN = 16384;

export interface ProxySecret {
  readonly bytes: Uint8Array;
  /** First 4 bytes as u32 LE: the key_select/key_signature sent in the ME handshake. */
  readonly keySelect: number;
  /** MD5 hex of the file: the `aes_pwd_hash` stat. */
  readonly md5Hex: string;
  readonly fileName: string;
}

/** A fatal secret-file error. `verboseLines` are what C logs at -v (vkprintf 1) before the fatal line. */
export class ProxySecretError extends ConfigError {
  constructor(
    message: string,
    readonly verboseLines: readonly string[],
  ) {
    super(message, 1);
  }
}

/** The `aes_pwd_hash` stat value. */
export function aesPwdHash(secret: ProxySecret | null): string {
  return secret === null ? "none" : secret.md5Hex;
}

/** Size rules on already-read bytes (at most MAX_PWD_CONFIG_LEN + 1 of them). */
export function checkProxySecret(
  bytes: Uint8Array,
  fileName: string,
): { ok: true; secret: ProxySecret } | { ok: false; verboseLines: string[] } {
  const loaded = `loaded ${bytes.length} bytes from password file ${fileName}`;
  if (bytes.length > MAX_PWD_CONFIG_LEN) return { ok: false, verboseLines: [loaded] };
  if (bytes.length < MIN_PWD_LEN || bytes.length > MAX_PWD_LEN) {
    const detail = `secret file ${fileName} too long or too short: loaded ${bytes.length} bytes, expected ${MIN_PWD_LEN}..${MAX_PWD_LEN}`;
    return { ok: false, verboseLines: [loaded, detail] };
  }
  const copy = Uint8Array.from(bytes);
  const keySelect = new DataView(copy.buffer).getUint32(0, true);
  return { ok: true, secret: Object.freeze({ bytes: copy, keySelect, md5Hex: md5Hex(copy), fileName }) };
}

export interface ProxySecretDeps {
  readLimited?: (path: string, limit: number) => Promise<LimitedRead>;
}

/**
 * `fileName` null = no --aes-pwd: the default `secret` in the working directory, which may be
 * missing (→ null). Any other failure is fatal (exit 1). C prints the fatal line with the
 * --aes-pwd value, so with the default name it reads `(null)`.
 */
export async function loadProxySecret(fileName: string | null, deps: ProxySecretDeps = {}): Promise<ProxySecret | null> {
  const name = fileName ?? DEFAULT_PWD_FILE;
  const fatal = `fatal: cannot load secret definition file \`${fileName ?? "(null)"}'`;
  const read = await (deps.readLimited ?? readLimited)(name, MAX_PWD_CONFIG_LEN + 1);
  if (!read.ok && read.stage === "open") {
    if (fileName === null) return null;
    throw new ProxySecretError(fatal, [`cannot open password file ${name}: ${strerror(read.error)}`]);
  }
  if (!read.ok) throw new ProxySecretError(fatal, [`error reading password file ${name}: ${strerror(read.error)}`]);
  const checked = checkProxySecret(read.bytes, name);
  if (!checked.ok) throw new ProxySecretError(fatal, checked.verboseLines);
  return checked.secret;
}
