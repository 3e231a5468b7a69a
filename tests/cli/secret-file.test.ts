// --mtproto-secret-file text rules and messages (config-and-cli.md §C.5).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSecretFile, readFileForCli, secretFileReadError } from "../../src/cli/secret-file.ts";

const A = "a".repeat(32);
const B = "0123456789ABCDEF0123456789abcdef";

function secrets(text: string, before = 0) {
  const r = parseSecretFile(text, "s.txt", before);
  if (!r.ok) throw new Error(r.messages.join("; "));
  return r.secrets.map((s) => Buffer.from(s).toString("hex"));
}

describe("parseSecretFile", () => {
  test("comments, commas, any whitespace run, several per line, hex case", () => {
    const text = `# header\n${A}, ${B}\t,,\r\n  # only a comment\n\n${A}#trailing comment ${B}\n${B}`;
    expect(secrets(text)).toEqual([A, B.toLowerCase(), A, B.toLowerCase()]);
  });
  test("a wrong length names the line, counted from 1", () => {
    expect(parseSecretFile(`${A}\n\n# c\n${A},abc\n`, "s.txt", 0)).toEqual({
      ok: false,
      messages: ["--mtproto-secret option requires exactly 32 hex digits", "failed to parse mtproto secret from 's.txt' at line 4"],
    });
  });
  test("a bad digit", () => {
    expect(parseSecretFile(`${A.slice(0, 31)}x`, "s.txt", 0)).toEqual({
      ok: false,
      messages: [
        "--mtproto-secret option requires exactly 32 hex digits. 'x' is not hexdigit",
        "failed to parse mtproto secret from 's.txt' at line 1",
      ],
    });
  });
  test("separators are exactly , space TAB CR LF: a form feed is part of a token", () => {
    const r = parseSecretFile(`${A}\f${A}`, "s.txt", 0);
    expect(r.ok).toBe(false);
  });
  test("no secrets at all", () => {
    for (const text of ["", "# nothing\n", " , \n\t\n"]) {
      expect(parseSecretFile(text, "s.txt", 0)).toEqual({ ok: false, messages: ["mtproto secret file 's.txt' does not contain secrets"] });
    }
  });
  test("the limit counts secrets given before the file", () => {
    expect(secrets(`${A} ${A}`, 126)).toHaveLength(2);
    expect(parseSecretFile(`${A} ${A}`, "s.txt", 127)).toEqual({ ok: false, messages: ["too many mtproto secrets: 129 (max 128)"] });
  });
});

describe("readFileForCli", () => {
  const dir = mkdtempSync(join(tmpdir(), "mtproxy-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads a file", () => {
    writeFileSync(join(dir, "ok"), `${A}\n`);
    expect(readFileForCli(join(dir, "ok"))).toEqual({ ok: true, text: `${A}\n` });
  });
  test("a missing file fails to open, with strerror text", () => {
    const r = readFileForCli(join(dir, "missing"));
    expect(r).toEqual({ ok: false, stage: "open", error: "No such file or directory" });
    if (!r.ok) expect(secretFileReadError("m", r)).toBe("cannot open mtproto secret file 'm': No such file or directory");
  });
  test("a directory opens but cannot be read, as with fopen + getline", () => {
    const r = readFileForCli(dir);
    expect(r).toEqual({ ok: false, stage: "read", error: "Is a directory" });
    if (!r.ok) expect(secretFileReadError("d", r)).toBe("failed to read mtproto secret file 'd': Is a directory");
  });
});
