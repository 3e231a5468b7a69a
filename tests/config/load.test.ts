import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/errors.ts";
import {
  configCheckFailedLine,
  configReloadedLine,
  ConfigLoadError,
  loadConfigFile,
  MAX_CONFIG_SIZE,
  tryLoadConfig,
  type LoadDeps,
} from "../../src/config/load.ts";
import { FIXTURES, tableResolver } from "./support.ts";

const dir = mkdtempSync(join(tmpdir(), "mtp-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Hermetic: no real /etc/hosts or DNS.
const deps: LoadDeps = { readHosts: async () => new TextEncoder().encode("10.9.9.9 backend\n"), system: tableResolver(), now: () => 1700000123 };

async function loadError(path: string, extra: LoadDeps = {}): Promise<ConfigLoadError> {
  try {
    await loadConfigFile(path, { ...deps, ...extra });
  } catch (e) {
    if (e instanceof ConfigLoadError) return e;
    throw e;
  }
  throw new Error("expected a ConfigLoadError");
}

describe("loadConfigFile", () => {
  test("reads a real file: frozen config with meta {fileName, bytes, md5, loadedAt}", async () => {
    const path = join(FIXTURES, "telegram.conf");
    const raw = readFileSync(path);
    const cfg = await loadConfigFile(path, deps);
    expect(cfg.meta).toEqual({
      fileName: path,
      bytes: raw.length,
      md5: createHash("md5").update(raw).digest("hex"),
      loadedAt: 1700000123,
    });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(cfg.clusters.size).toBe(10);
    expect(configReloadedLine(path, cfg.meta.bytes)).toBe(
      `configuration file ${path} re-read successfully (${raw.length} bytes parsed), new configuration active`,
    );
  });

  test("/etc/hosts text is used for bare names", async () => {
    const path = join(dir, "hosts.conf");
    writeFileSync(path, "proxy backend:443;\n");
    expect((await loadConfigFile(path, deps)).targets[0]!.key).toBe("10.9.9.9:443");
  });

  test("missing file: `cannot re-read config file`, code -1, exit 1", async () => {
    const path = join(dir, "nope.conf");
    const e = await loadError(path);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.exitCode).toBe(1);
    expect(e.code).toBe(-1);
    expect(e.logLines).toEqual([`cannot re-read config file ${path}: No such file or directory`]);
    expect(e.stderrLines).toEqual([]);
    expect(e.message).toBe(`cannot re-read config file ${path}: No such file or directory`);
    expect(configCheckFailedLine(e)).toBe("config check failed! (code -1)");
  });

  test.skipIf(process.getuid?.() === 0)("unreadable file: Permission denied, exit 1", async () => {
    const path = join(dir, "secret.conf");
    writeFileSync(path, "proxy 1.1.1.1:1;");
    chmodSync(path, 0);
    const e = await loadError(path);
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(`cannot re-read config file ${path}: Permission denied`);
  });

  test("open errors map to strerror text (injected EACCES)", async () => {
    const denied = Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: "EACCES" });
    const e = await loadError("/x/t.conf", { readLimited: async () => ({ ok: false, stage: "open", error: denied }) });
    expect(e.message).toBe("cannot re-read config file /x/t.conf: Permission denied");
  });

  test("a directory opens but cannot be read: code -2, exit 2, C names the file (null) on first load", async () => {
    const e = await loadError(dir);
    expect(e.exitCode).toBe(2);
    expect(e.stderrLines).toEqual(["error reading configuration file (null): Is a directory"]);
    expect(e.logLines).toEqual([`error while re-reading config file ${dir}, new configuration NOT applied`]);
  });

  test("size limit: 16 MiB is fine, 16 MiB + 1 is `too long`, exit 2", async () => {
    const ok = join(dir, "big-ok.conf");
    const head = "proxy 1.1.1.1:1;";
    writeFileSync(ok, head + " ".repeat(MAX_CONFIG_SIZE - head.length));
    expect((await loadConfigFile(ok, deps)).meta.bytes).toBe(MAX_CONFIG_SIZE);
    const big = join(dir, "big.conf");
    writeFileSync(big, head + " ".repeat(MAX_CONFIG_SIZE + 1 - head.length));
    const e = await loadError(big);
    expect(e.exitCode).toBe(2);
    expect(e.code).toBe(-2);
    expect(e.message).toBe(
      `configuration file (null) too long (max 16777216 bytes)\nerror while re-reading config file ${big}, new configuration NOT applied`,
    );
    const again = await loadError(big, { reload: true });
    expect(again.stderrLines).toEqual([`configuration file ${big} too long (max 16777216 bytes)`]);
  }, 20000);

  test("syntax error: C's fatal line with the path as given, then the NOT applied line; exit 1", async () => {
    const path = join(FIXTURES, "bad-missing-semicolon.conf");
    const e = await loadError(path);
    expect(e.exitCode).toBe(1);
    expect(e.stderrLines).toEqual([`${path}:1: fatal: ; expected near `]);
    expect(e.message).toBe(`${path}:1: fatal: ; expected near \nerror while re-reading config file ${path}, new configuration NOT applied`);
  });
});

describe("tryLoadConfig", () => {
  test("never throws: ok with config, or the error value", async () => {
    const good = await tryLoadConfig(join(FIXTURES, "ipv6.conf"), deps);
    expect(good.ok && good.config.targets.length).toBe(2);
    const bad = await tryLoadConfig(join(FIXTURES, "bad-intermixed.conf"), deps);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.stderrLines[0]).toEndWith(":3: fatal: proxies for dc 1 intermixed near ;");
    const missing = await tryLoadConfig(join(dir, "missing.conf"), deps);
    expect(!missing.ok && missing.error.exitCode).toBe(1);
  });
});
