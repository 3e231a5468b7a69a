// --mtproto-secret-file (config-and-cli.md §C.5; fork mtproto-proxy.c load_mtproto_secrets_from_file):
// `#` comments, secrets separated by runs of `,` space TAB CR LF, 32 hex digits each, errors with a
// line number. parseSecretFile is pure; readFileForCli is the one loader that touches the disk.
import { readFileSync } from "node:fs";
import { decodeHexSecret } from "./hex-secret.ts";

/** MAX_MTFRONT_SECRETS in the fork: -S values and file secrets together. */
export const MAX_MTFRONT_SECRETS = 128;

export type FileRead =
  | { ok: true; text: string }
  /** `open`: fopen failed; `read`: reading failed (a directory opens but cannot be read). */
  | { ok: false; stage: "open" | "read"; error: string };

export type ReadFile = (path: string) => FileRead;

export type SecretFileResult =
  | { ok: true; secrets: Uint8Array[] }
  /** Lines C prints with kprintf, in order; the caller adds the usage text and exits 2. */
  | { ok: false; messages: string[] };

/** The secrets of one file; `loadedBefore` counts the secrets already given (-S and earlier files). */
export function parseSecretFile(text: string, fileName: string, loadedBefore: number): SecretFileResult {
  const secrets: Uint8Array[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const [index, raw] of lines.entries()) {
    const hash = raw.indexOf("#");
    const content = hash < 0 ? raw : raw.slice(0, hash);
    for (const token of content.split(/[, \t\r\n]+/)) {
      if (token === "") continue;
      const decoded = decodeHexSecret(token);
      if (!decoded.ok) {
        return {
          ok: false,
          messages: [
            decoded.reason === "length"
              ? "--mtproto-secret option requires exactly 32 hex digits"
              : `--mtproto-secret option requires exactly 32 hex digits. '${decoded.char}' is not hexdigit`,
            `failed to parse mtproto secret from '${fileName}' at line ${index + 1}`,
          ],
        };
      }
      const count = loadedBefore + secrets.length;
      if (count >= MAX_MTFRONT_SECRETS) {
        return { ok: false, messages: [`too many mtproto secrets: ${count + 1} (max ${MAX_MTFRONT_SECRETS})`] };
      }
      secrets.push(decoded.bytes);
    }
  }
  if (secrets.length === 0) return { ok: false, messages: [`mtproto secret file '${fileName}' does not contain secrets`] };
  return { ok: true, secrets };
}

/** The messages for a file that could not be read, as the fork words them (`%m` = strerror). */
export function secretFileReadError(fileName: string, read: Extract<FileRead, { ok: false }>): string {
  return read.stage === "open"
    ? `cannot open mtproto secret file '${fileName}': ${read.error}`
    : `failed to read mtproto secret file '${fileName}': ${read.error}`;
}

const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EMFILE: "Too many open files",
  EIO: "Input/output error",
};

/** Reads a whole file for the command line; never throws. */
export function readFileForCli(path: string): FileRead {
  try {
    return { ok: true, text: readFileSync(path, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    // fopen() of a directory succeeds on Linux; the read then fails with EISDIR.
    return { ok: false, stage: code === "EISDIR" ? "read" : "open", error: STRERROR[code] ?? (e as Error).message };
  }
}
