// The usage text (config-and-cli.md §C.3): fixed header, computed width, C's help lines verbatim.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getoptLong } from "../../src/cli/getopt.ts";
import { OPTIONS, type OptionDef } from "../../src/cli/options.ts";
import { usageLine, usageText, usageWidth } from "../../src/cli/usage.ts";

const UPSTREAM = readFileSync(join(import.meta.dir, "vectors/upstream-usage-lines.txt"), "utf8").trimEnd().split("\n");
const text = usageText("./mtproto-proxy", "VERSION", OPTIONS);
const lines = text.split("\n");

describe("usage text", () => {
  test("header: usage line, version, TAB description", () => {
    expect(lines[0]).toBe(
      "usage: ./mtproto-proxy [-v] [-6] [-p<port>] [-H<http-port>{,<http-port>}] [-M<workers>] [-u<username>] [-b<backlog>] [-c<max-conn>] [-l<log-name>] [-W<window-size>] <config-file>",
    );
    expect(lines[1]).toBe("VERSION");
    expect(lines[2]).toBe("\tSimple MT-Proto proxy");
    expect(text.endsWith("\n")).toBe(true);
  });
  test("the upstream option lines, byte for byte, in upstream order", () => {
    expect(lines.slice(3, 3 + UPSTREAM.length)).toEqual(UPSTREAM);
  });
  test("then the fork's --mtproto-secret-file, then our options", () => {
    const rest = lines.slice(3 + UPSTREAM.length, -1);
    expect(rest[0]).toBe("\t--mtproto-secret-file <arg>        \tpath to file with mtproto secrets (comma or whitespace-separated)");
    expect(rest.slice(1).map((l) => l.split("\t")[1]!.trim())).toEqual(["--direct", "--direct-dc <arg>", "--tls-strict", "--config-refresh <arg>", "--config-url <arg>", "--secret-url <arg>"]);
    expect(lines).toHaveLength(3 + OPTIONS.length + 1);
  });
  test("the width follows C's formula (35 for this table)", () => {
    expect(usageWidth(OPTIONS)).toBe(35);
    const wide: OptionDef = { val: 9999, long: "a-very-long-option-name-indeed-yes", short: "Z", arg: "required", help: "h", apply: () => undefined };
    const w = usageWidth([...OPTIONS, wide]);
    expect(w).toBe(wide.long.length + 3 + 3 + 6);
    // Every name column is padded to the width, then one TAB.
    for (const o of [...OPTIONS, wide]) expect(usageLine(o, w).indexOf("\t", 1)).toBe(1 + w);
  });
  test("a newline in a help text continues under the help column", () => {
    const o: OptionDef = { val: 1, long: "x", arg: "none", help: "one\ntwo", apply: () => undefined };
    expect(usageLine(o, 10)).toBe(`\t--x       \tone\n\t${" ".repeat(10)}\ttwo`);
  });
});

describe("option table", () => {
  test("ordered by C's option value, names unique", () => {
    const vals = OPTIONS.map((o) => o.val);
    expect(vals).toEqual([...vals].sort((a, b) => a - b));
    expect(new Set(OPTIONS.map((o) => o.long)).size).toBe(OPTIONS.length);
    const shorts = OPTIONS.flatMap((o) => (o.short ? [o.short] : []));
    expect(new Set(shorts).size).toBe(shorts.length);
    for (const o of OPTIONS) if (o.short) expect(o.val).toBe(o.short.charCodeAt(0));
  });
  test("every C long option keeps the abbreviations C users may type", () => {
    // Our additions must not make a prefix that is unique in C ambiguous, except where they share it.
    const cTable = OPTIONS.filter((o) => o.val < 3000);
    for (const o of cTable) {
      for (let n = 1; n <= o.long.length; n++) {
        const prefix = o.long.slice(0, n);
        const inC = getoptLong([`--${prefix}=1`], "p", cTable).events[0]!;
        const inOurs = getoptLong([`--${prefix}=1`], "p", OPTIONS).events[0]!;
        if (inC.kind === "option" || inC.message.includes("doesn't allow")) {
          const sharedWithOurs = OPTIONS.some((x) => x.val >= 3000 && x.long.startsWith(prefix));
          if (!sharedWithOurs) expect(inOurs).toEqual(inC);
        }
      }
    }
  });
});
