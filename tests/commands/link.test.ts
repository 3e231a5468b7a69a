import { describe, expect, test } from "bun:test";
import { runCommand } from "citty";
import link, { createLinkCommand, repeatedOption } from "../../src/commands/link.ts";
import { CliError } from "../../src/errors.ts";

const KEY_HEX = "0123456789abcdeffedcba9876543210";
const EE_HEX = "ee0123456789abcdeffedcba98765432106578616d706c652e636f6d";

async function run(rawArgs: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runCommand(createLinkCommand({ print: (l) => lines.push(l) }), { rawArgs });
  return lines;
}

describe("link", () => {
  test("plain and dd links without --domain", async () => {
    expect(await run(["--server", "203.0.113.5", "--port", "443", "--secret", KEY_HEX])).toEqual([
      `# secret 1: -S ${KEY_HEX}`,
      `plain: tg://proxy?server=203.0.113.5&port=443&secret=${KEY_HEX}`,
      `plain: https://t.me/proxy?server=203.0.113.5&port=443&secret=${KEY_HEX}`,
      `dd: tg://proxy?server=203.0.113.5&port=443&secret=dd${KEY_HEX}`,
      `dd: https://t.me/proxy?server=203.0.113.5&port=443&secret=dd${KEY_HEX}`,
    ]);
  });

  test("repeated --domain/-D give one ee link pair per domain", async () => {
    const out = await run(["--server=h.example", "--port=8443", "-S", KEY_HEX, "--domain", "example.com", "-D", "b.io"]);
    expect(out).toHaveLength(5);
    expect(out[1]).toBe(`ee example.com: tg://proxy?server=h.example&port=8443&secret=${EE_HEX}`);
    expect(out[3]).toStartWith("ee b.io: tg://proxy?server=h.example&port=8443&secret=ee0123456789abcdeffedcba9876543210622e696f");
  });

  test("an ee or base64url secret brings its domain; --base64 writes ee as base64url", async () => {
    const out = await run(["--server", "h", "--port", "1", "--secret", "7gEjRWeJq83v_ty6mHZUMhBleGFtcGxlLmNvbQ", "--base64"]);
    expect(out[0]).toBe(`# secret 1: -S ${KEY_HEX}`);
    expect(out[1]).toBe("ee example.com: tg://proxy?server=h&port=1&secret=7gEjRWeJq83v_ty6mHZUMhBleGFtcGxlLmNvbQ");
  });

  test("several secrets, IPv6 server", async () => {
    const out = await run(["--server", "[2001:db8::1]", "--port", "443", "--secret", KEY_HEX, "--secret", `dd${"ab".repeat(16)}`]);
    expect(out.filter((l) => l.startsWith("#"))).toEqual([`# secret 1: -S ${KEY_HEX}`, `# secret 2: -S ${"ab".repeat(16)}`]);
    expect(out[1]).toBe(`plain: tg://proxy?server=2001%3Adb8%3A%3A1&port=443&secret=${KEY_HEX}`);
  });

  test("bad input is a CliError", async () => {
    await expect(run(["--server", "h", "--port", "0", "--secret", KEY_HEX])).rejects.toBeInstanceOf(CliError);
    await expect(run(["--server", "h", "--port", "70000", "--secret", KEY_HEX])).rejects.toThrow("bad --port");
    await expect(run(["--server", "h", "--port", "1", "--secret", "xyz"])).rejects.toThrow("bad --secret 'xyz'");
  });

  test("repeatedOption collects every value; default export is the command", () => {
    expect(repeatedOption(["-D", "a", "--domain=b", "--domain", "c", "--", "-D", "d"], "domain", "D")).toEqual(["a", "b", "c"]);
    expect((link.meta as { name: string }).name).toBe("link");
  });
});
