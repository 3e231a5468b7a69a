import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readLimited } from "../../src/config/load.ts";
import { aesPwdHash, loadProxySecret, ProxySecretError, type ProxySecretDeps } from "../../src/config/proxy-secret.ts";
import { FIXTURES } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "mtp-secret-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves relative names (the default `secret`) against `cwd`, as the process cwd would. */
function inDir(cwd: string): ProxySecretDeps {
  return { readLimited: (p, limit) => readLimited(p.startsWith("/") ? p : join(cwd, p), limit) };
}

async function secretError(name: string | null, deps: ProxySecretDeps = {}): Promise<ProxySecretError> {
  try {
    await loadProxySecret(name, deps);
  } catch (e) {
    if (e instanceof ProxySecretError) return e;
    throw e;
  }
  throw new Error("expected ProxySecretError");
}

function write(name: string, size: number, fill = 0x41): string {
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(size).fill(fill));
  return path;
}

describe("--aes-pwd proxy secret", () => {
  test("Telegram-style 128-byte file: raw bytes, key_select LE, md5 for aes_pwd_hash", async () => {
    const path = join(FIXTURES, "proxy-secret.bin");
    const raw = readFileSync(path);
    const s = (await loadProxySecret(path))!;
    expect(s.bytes).toEqual(new Uint8Array(raw));
    expect(s.bytes.length).toBe(128);
    expect(s.keySelect).toBe(0xcafaf9c4);
    expect(s.md5Hex).toBe(createHash("md5").update(raw).digest("hex"));
    expect(aesPwdHash(s)).toBe(s.md5Hex);
    expect(aesPwdHash(null)).toBe("none");
    expect(s.fileName).toBe(path);
  });

  test("a trailing newline is part of the secret", async () => {
    const path = join(dir, "nl");
    writeFileSync(path, `${"x".repeat(32)}\n`);
    expect((await loadProxySecret(path))!.bytes.length).toBe(33);
  });

  test("default name `secret` in the working directory: missing is not an error", async () => {
    const empty = join(dir, "empty-cwd");
    mkdirSync(empty);
    expect(await loadProxySecret(null, inDir(empty))).toBeNull();
    const cwd = join(dir, "cwd");
    mkdirSync(cwd);
    writeFileSync(join(cwd, "secret"), new Uint8Array(40).fill(7));
    const s = (await loadProxySecret(null, inDir(cwd)))!;
    expect(s.fileName).toBe("secret");
    expect(s.bytes.length).toBe(40);
  });

  test("explicitly named missing file is fatal, exit 1", async () => {
    const path = join(dir, "missing");
    const e = await secretError(path);
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(`fatal: cannot load secret definition file \`${path}'`);
    expect(e.verboseLines).toEqual([`cannot open password file ${path}: No such file or directory`]);
  });

  test("size rules 32..256, with C's -v detail line", async () => {
    expect((await loadProxySecret(write("s32", 32)))!.bytes.length).toBe(32);
    expect((await loadProxySecret(write("s256", 256)))!.bytes.length).toBe(256);
    for (const [name, size] of [["s31", 31], ["s257", 257], ["s0", 0]] as const) {
      const path = write(name, size);
      const e = await secretError(path);
      expect(e.message).toBe(`fatal: cannot load secret definition file \`${path}'`);
      expect(e.verboseLines).toEqual([
        `loaded ${size} bytes from password file ${path}`,
        `secret file ${path} too long or too short: loaded ${size} bytes, expected 32..256`,
      ]);
    }
  });

  test("over 16384 bytes: C reads 16385 and stops, without the size detail", async () => {
    const path = write("huge", 20000);
    const e = await secretError(path);
    expect(e.verboseLines).toEqual([`loaded 16385 bytes from password file ${path}`]);
  });

  test("a bad default file is fatal too, and C prints (null) for its name", async () => {
    const cwd = join(dir, "cwd-bad");
    mkdirSync(cwd);
    writeFileSync(join(cwd, "secret"), "short");
    const e = await secretError(null, inDir(cwd));
    expect(e.message).toBe("fatal: cannot load secret definition file `(null)'");
    const cwdDir = join(dir, "cwd-dir");
    mkdirSync(join(cwdDir, "secret"), { recursive: true });
    const e2 = await secretError(null, inDir(cwdDir));
    expect(e2.verboseLines).toEqual(["error reading password file secret: Is a directory"]);
  });
});
