import { describe, expect, test } from "bun:test";
import { runCommand } from "citty";
import { createGenerateSecretCommand } from "../../src/commands/generate-secret.ts";
import generateSecret from "../../src/commands/generate-secret.ts";
import { parseClientSecret } from "../../src/config/client-secret.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import { CliError } from "../../src/errors.ts";

async function run(rawArgs: string[], seed = 1): Promise<string[]> {
  const lines: string[] = [];
  await runCommand(createGenerateSecretCommand({ random: seededRandom(seed), print: (l) => lines.push(l) }), { rawArgs });
  return lines;
}

const keyHex = (seed: number) => seededRandom(seed).bytes(16).toString("hex");

describe("generate-secret", () => {
  test("default and `plain`: 32 hex digits from the random source, usable with -S", async () => {
    expect(await run([])).toEqual([keyHex(1)]);
    expect(await run(["plain"], 2)).toEqual([keyHex(2)]);
  });

  test("dd and ee forms", async () => {
    expect(await run(["dd"], 3)).toEqual([`dd${keyHex(3)}`]);
    expect(await run(["ee", "--domain", "example.com"], 4)).toEqual([`ee${keyHex(4)}6578616d706c652e636f6d`]);
    const [b64] = await run(["ee", "-D", "example.com", "--base64"], 4);
    const parsed = parseClientSecret(b64!);
    expect(parsed.ok && parsed.secret.domain).toBe("example.com");
    expect(parsed.ok && Buffer.from(parsed.secret.key).toString("hex")).toBe(keyHex(4));
  });

  test("errors are CliErrors", async () => {
    await expect(run(["ee"])).rejects.toBeInstanceOf(CliError);
    await expect(run(["xx"])).rejects.toThrow("unknown secret mode 'xx'");
    await expect(run(["dd", "--domain", "a.io"])).rejects.toThrow("--domain");
    await expect(run(["ee", "--domain", "a".repeat(183)])).rejects.toThrow("182");
  });

  test("the default export is a citty command with a fresh secret each run", async () => {
    expect((generateSecret.meta as { name: string }).name).toBe("generate-secret");
    const a = await run([], 10);
    const b = await run([], 11);
    expect(a[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toEqual(b);
  });
});
