// docker/run.sh against stub curl/ip/proxy: the fork's §C.6 contract (messages, exit codes, /data
// rewrite, final argv) plus our additions (proxy secret download, DIRECT mode).
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_TEXT, PROXY_SECRET_TEXT, createSandbox, hexSecret } from "./run-sh-harness.ts";
import type { Sandbox } from "./run-sh-harness.ts";

const T = { timeout: 8000 };
const BANNER = "####\n#### Telegram Proxy\n####\n\n";
const IP = "203.0.113.7";
const BAD_SECRET_ENV =
  "[F] Bad SECRET format: should be 32 hex chars (for 16 bytes) for every secret; secrets should be comma-separated.\n";

let sb: Sandbox;
beforeEach(() => {
  sb = createSandbox();
});
afterEach(() => {
  sb.cleanup();
});

function writeSecretFile(text: string): void {
  mkdirSync(sb.dataDir, { recursive: true });
  writeFileSync(sb.secretFile, text);
}

function links(secrets: string[], ip = IP): string {
  return secrets
    .map(
      (s, i) =>
        `[*]   Secret ${i + 1}: ${s}\n` +
        `[*]   tg:// link for secret ${i + 1} auto configuration: tg://proxy?server=${ip}&port=443&secret=${s}\n` +
        `[*]   t.me link for secret ${i + 1}: https://t.me/proxy?server=${ip}&port=443&secret=${s}\n`,
    )
    .join("");
}

function finalArgv(workers = "2", tag: string | null = null): string[] {
  return [
    "-p", "2398", "--http-stats", "-H", "443", "-M", workers, "-C", "60000",
    "--aes-pwd", join(sb.configDir, "hello-explorers-how-are-you-doing"), "-u", "root",
    join(sb.configDir, "backend.conf"), "--allow-skip-dh", "--nat-info", `10.0.0.5:${IP}`,
    "--mtproto-secret-file", sb.secretFile, ...(tag === null ? [] : ["-P", tag]),
  ];
}

describe("secrets from SECRET env", () => {
  test("one secret: exact output, rewritten files, downloads, exact exec argv", async () => {
    const s = hexSecret(1);
    const r = await sb.run({ SECRET: s });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      BANNER +
        "[+] Using secrets from SECRET env.\n" +
        "[*] Final configuration:\n" +
        links([s]) +
        "[*]   Tag: no tag\n" +
        `[*]   External IP: ${IP}\n` +
        "[*]   Make sure to fix the links in case you run the proxy on a different port.\n" +
        "\n[+] Starting proxy...\n",
    );
    expect(readFileSync(sb.secretFile, "utf8")).toBe(`${s}\n`);
    expect(readFileSync(join(sb.dataDir, "secret_cmd"), "utf8")).toBe(`-- --mtproto-secret-file ${sb.secretFile}\n`);
    expect(readFileSync(join(sb.configDir, "backend.conf"), "utf8")).toBe(CONFIG_TEXT);
    expect(readFileSync(join(sb.configDir, "hello-explorers-how-are-you-doing"), "utf8")).toBe(PROXY_SECRET_TEXT);
    expect(r.argv).toEqual(finalArgv());
    // exec: the proxy replaced the shell instead of running as its child.
    expect(r.proxyPid).toBe(r.runShPid);
    expect(r.curlCalls).toContain("-s -4 https://digitalresistance.dog/myIp");
  }, T);

  test("many secrets, upper case: lower-cased, numbered links for each", async () => {
    const secrets = [hexSecret(1, true), hexSecret(2), hexSecret(3, true)];
    const r = await sb.run({ SECRET: secrets.join(",") });
    const lower = secrets.map((s) => s.toLowerCase());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`[*] Final configuration:\n${links(lower)}[*]   Tag: no tag\n`);
    expect(readFileSync(sb.secretFile, "utf8")).toBe(`${lower.join(",")}\n`);
  }, T);

  test("128 secrets are accepted", async () => {
    const secrets = Array.from({ length: 128 }, (_, i) => hexSecret(i));
    const r = await sb.run({ SECRET: secrets.join(",") });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("[*]   Secret 128: ");
  }, T);

  for (const [name, value] of [
    ["31 hex chars", hexSecret(1).slice(1)],
    ["a non-hex digit", `g${hexSecret(1).slice(1)}`],
    ["a trailing comma", `${hexSecret(1)},`],
    ["spaces after commas", `${hexSecret(1)}, ${hexSecret(2)}`],
    ["a second line", `${hexSecret(1)}\n${hexSecret(2)}`],
    ["129 secrets", Array.from({ length: 129 }, (_, i) => hexSecret(i)).join(",")],
  ] as const) {
    test(`bad SECRET (${name}) exits 1 without starting the proxy`, async () => {
      const r = await sb.run({ SECRET: value });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toBe(`${BANNER}[+] Using secrets from SECRET env.\n${BAD_SECRET_ENV}`);
      expect(r.argv).toBeNull();
      expect(existsSync(sb.secretFile)).toBe(false);
    }, T);
  }

  test("neither /data/secret nor SECRET: exit 1", async () => {
    const r = await sb.run();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(`${BANNER}[F] ${sb.secretFile} is empty or missing and SECRET env var is not set.\n`);
    expect(r.argv).toBeNull();
    expect(r.curlCalls).toEqual([]);
  }, T);
});

describe("secrets from /data/secret", () => {
  test("comments, commas, blanks, tabs, upper case: parsed, takes precedence over SECRET, rewritten", async () => {
    const [a, b, c, d] = [hexSecret(10, true), hexSecret(11), hexSecret(12), hexSecret(13)];
    writeSecretFile(`# my secrets\n${a}, ${b} # second\n\n\t${c},,${d}\n# ${hexSecret(99)}\n`);
    const r = await sb.run({ SECRET: hexSecret(50) });
    const expected = [a, b, c, d].map((s) => s.toLowerCase());
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toStartWith(`${BANNER}[+] Using secrets from ${sb.secretFile}.\n[*] Final configuration:\n${links(expected)}`);
    expect(r.stdout).not.toContain(hexSecret(50));
    expect(readFileSync(sb.secretFile, "utf8")).toBe(`${expected.join(",")}\n`);
    expect(r.argv).toEqual(finalArgv());
  }, T);

  test("a last line without newline is read", async () => {
    writeSecretFile(hexSecret(7));
    const r = await sb.run();
    expect(r.exitCode).toBe(0);
    expect(readFileSync(sb.secretFile, "utf8")).toBe(`${hexSecret(7)}\n`);
  }, T);

  test("a bad token: exit 1 naming the token", async () => {
    writeSecretFile(`${hexSecret(1)}\n${hexSecret(2)}zz\n`);
    const r = await sb.run({ SECRET: hexSecret(3) });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe(
      `${BANNER}[+] Using secrets from ${sb.secretFile}.\n` +
        `[F] Bad secret format in '${sb.secretFile}': '${hexSecret(2)}zz'. Should be 32 hex chars.\n`,
    );
    expect(r.argv).toBeNull();
  }, T);

  test("128 tokens pass, 129 are too many", async () => {
    const many = Array.from({ length: 129 }, (_, i) => hexSecret(i));
    writeSecretFile(many.slice(0, 128).join("\n"));
    expect((await sb.run()).exitCode).toBe(0);
    writeSecretFile(many.join(" "));
    const r = await sb.run();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toEndWith(`[F] Too many secrets in '${sb.secretFile}'. Can use between 1 and 128 secrets.\n`);
    expect(r.argv).toBeNull();
  }, T);

  test("only comments: does not contain secrets, exit 1", async () => {
    writeSecretFile(`# nothing here ${hexSecret(1)}\n , ,\n`);
    const r = await sb.run({ SECRET: hexSecret(2) });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toEndWith(`[F] Secret file '${sb.secretFile}' does not contain secrets.\n`);
  }, T);

  test("an empty file falls back to SECRET, then is written", async () => {
    writeSecretFile("");
    const r = await sb.run({ SECRET: hexSecret(4) });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("[+] Using secrets from SECRET env.\n");
    expect(readFileSync(sb.secretFile, "utf8")).toBe(`${hexSecret(4)}\n`);
  }, T);

  test("an empty file and no SECRET: exit 1", async () => {
    writeSecretFile("");
    const r = await sb.run();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toEndWith("is empty or missing and SECRET env var is not set.\n");
  }, T);
});

describe("TAG", () => {
  test("a good tag is announced, lower-cased, printed and passed as -P", async () => {
    const tag = "0123456789ABCDEF0123456789ABCDEF";
    const r = await sb.run({ SECRET: hexSecret(1), TAG: tag });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`[+] Using secrets from SECRET env.\n[+] Using the explicitly passed tag: '${tag}'.\n[*] Final`);
    expect(r.stdout).toContain(`[*]   Tag: ${tag.toLowerCase()}\n`);
    expect(r.argv).toEqual(finalArgv("2", tag.toLowerCase()));
  }, T);

  test("a bad tag warns, continues, is printed as given and not passed", async () => {
    const r = await sb.run({ SECRET: hexSecret(1), TAG: "xyz" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(
      "[+] Using the explicitly passed tag: 'xyz'.\n" +
        "[!] Bad tag format: should be 32 hex chars (for 16 bytes).\n[!] Continuing.\n",
    );
    expect(r.stdout).toContain("[*]   Tag: xyz\n");
    expect(r.argv).toEqual(finalArgv());
  }, T);
});

describe("downloads and addresses", () => {
  test("config download failure: exit 2 with the direct-mode hint", async () => {
    const r = await sb.run({ SECRET: hexSecret(1) }, { config: "fail" });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain("\n[F] Cannot download proxy configuration from Telegram servers.\n");
    expect(r.stdout).toContain("DIRECT=1");
    expect(r.argv).toBeNull();
    // The secrets were already normalised, as in the fork.
    expect(readFileSync(sb.secretFile, "utf8")).toBe(`${hexSecret(1)}\n`);
  }, T);

  test("proxy secret download failure with no copy: exit 2 with the hint", async () => {
    const r = await sb.run({ SECRET: hexSecret(1) }, { proxySecret: "fail" });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain("\n[F] Cannot download proxy secret from Telegram servers.\n");
    expect(r.stdout).toContain("DIRECT=1");
    expect(r.argv).toBeNull();
    expect(existsSync(join(sb.configDir, "hello-explorers-how-are-you-doing"))).toBe(false);
  }, T);

  test("proxy secret download failure with an existing copy: warns and keeps it", async () => {
    const existing = join(sb.configDir, "hello-explorers-how-are-you-doing");
    mkdirSync(sb.configDir, { recursive: true });
    writeFileSync(existing, "k".repeat(128));
    const r = await sb.run({ SECRET: hexSecret(1) }, { proxySecret: "fail" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`[!] Cannot download proxy secret from Telegram servers; using the existing ${existing}.\n`);
    expect(readFileSync(existing, "utf8")).toBe("k".repeat(128));
    expect(r.argv).toEqual(finalArgv());
  }, T);

  test("a fresh proxy secret replaces an old copy", async () => {
    mkdirSync(sb.configDir, { recursive: true });
    writeFileSync(join(sb.configDir, "hello-explorers-how-are-you-doing"), "old");
    const r = await sb.run({ SECRET: hexSecret(1) });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(sb.configDir, "hello-explorers-how-are-you-doing"), "utf8")).toBe(PROXY_SECRET_TEXT);
  }, T);

  for (const [name, externalIp] of [["curl fails", null], ["empty answer", ""]] as const) {
    test(`external IP unknown (${name}): exit 3`, async () => {
      const r = await sb.run({ SECRET: hexSecret(1) }, { externalIp });
      expect(r.exitCode).toBe(3);
      expect(r.stdout).toEndWith("[+] Using secrets from SECRET env.\n[F] Cannot determine external IP address.\n");
      expect(r.argv).toBeNull();
    }, T);
  }

  for (const [name, route] of [
    ["no route", null],
    ["no src", "8.8.8.8 via 10.0.0.1 dev eth0 uid 0"],
    ["other destination", "1.1.1.1 via 10.0.0.1 dev eth0 src 10.0.0.5"],
  ] as const) {
    test(`internal IP unknown (${name}): exit 4`, async () => {
      const r = await sb.run({ SECRET: hexSecret(1) }, { route });
      expect(r.exitCode).toBe(4);
      expect(r.stdout).toEndWith("[F] Cannot determine internal IP address.\n");
      expect(r.argv).toBeNull();
    }, T);
  }

  test("internal IP is the src of the 8.8.8.8 route (local route form)", async () => {
    const r = await sb.run({ SECRET: hexSecret(1) }, { route: "8.8.8.8 dev wg0 table 51820 src 172.16.9.21 uid 0" });
    expect(r.exitCode).toBe(0);
    expect(r.argv).toContain(`172.16.9.21:${IP}`);
  }, T);
});

describe("process", () => {
  test("WORKERS overrides -M", async () => {
    const r = await sb.run({ SECRET: hexSecret(1), WORKERS: "8" });
    expect(r.argv).toEqual(finalArgv("8"));
  }, T);

  test("DEBUG traces the script on stderr, stdout unchanged", async () => {
    const plain = await sb.run({ SECRET: hexSecret(1) });
    rmSync(sb.secretFile);
    const traced = await sb.run({ SECRET: hexSecret(1), DEBUG: "1" });
    expect(traced.exitCode).toBe(0);
    expect(traced.stdout).toBe(plain.stdout);
    expect(plain.stderr).toBe("");
    expect(traced.stderr).toContain("+ echo '[+] Starting proxy...'");
  }, T);

  test("the proxy's exit code becomes run.sh's", async () => {
    const r = await sb.run({ SECRET: hexSecret(1) }, { proxyExit: 42 });
    expect(r.exitCode).toBe(42);
    expect(r.argv).not.toBeNull();
  }, T);

  test("it sleeps 1 s before starting the proxy", async () => {
    const r = await sb.run({ SECRET: hexSecret(1) }, {}, { noSleep: false, timeoutMs: 6000 });
    expect(r.exitCode).toBe(0);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(950);
  }, T);
});

describe("DIRECT mode", () => {
  test("DIRECT=1: no Telegram downloads, no route lookup, --direct argv without the tag", async () => {
    const r = await sb.run({ SECRET: hexSecret(1), TAG: "0123456789abcdef0123456789abcdef", DIRECT: "1" }, { config: "fail", proxySecret: "fail", route: null });
    expect(r.exitCode).toBe(0);
    expect(r.argv).toEqual([
      "-p", "2398", "--http-stats", "-H", "443", "-M", "2", "-C", "60000", "-u", "root", "--direct",
      "--mtproto-secret-file", sb.secretFile,
    ]);
    expect(r.curlCalls).toEqual(["-s -4 https://digitalresistance.dog/myIp"]);
    expect(r.stdout).toContain("[+] DIRECT is set");
    expect(r.stdout).toContain("[!] The tag is not passed in direct mode");
    expect(r.stdout).toContain(links([hexSecret(1)]));
    expect(r.proxyPid).toBe(r.runShPid);
  }, T);

  test("DIRECT still needs the external IP for the links: exit 3", async () => {
    const r = await sb.run({ SECRET: hexSecret(1), DIRECT: "yes" }, { externalIp: null });
    expect(r.exitCode).toBe(3);
  }, T);

  test("DIRECT=0 and DIRECT=false keep the middle-proxy mode", async () => {
    for (const v of ["0", "false", "off"]) {
      const r = await sb.run({ SECRET: hexSecret(1), DIRECT: v });
      expect(r.argv).toEqual(finalArgv());
    }
  }, T);
});
