// The refresh options on the command line: off by default, validated with clear messages (exit 2),
// and refused together with --direct in either order.
import { describe, expect, test } from "bun:test";
import { DEFAULT_CONFIG_URL, DEFAULT_SECRET_URL } from "../../src/cli/options.ts";
import { parseCommandLine } from "../../src/cli/parse-args.ts";

const parse = (args: string[]) => parseCommandLine(args, "mtproto-proxy", () => ({ ok: false, stage: "open", error: "none" }));

function failure(args: string[]): { text: string; exit: number } {
  const r = parse(args);
  if (r.kind !== "error") throw new Error(`expected an error for ${args.join(" ")}`);
  return { text: r.error.message, exit: r.error.exitCode };
}

describe("--config-refresh / --config-url / --secret-url", () => {
  test("off by default, with Telegram's URLs", () => {
    const r = parse(["proxy.conf"]);
    expect(r).toMatchObject({ kind: "run", options: { configRefreshSec: 0, configUrl: DEFAULT_CONFIG_URL, secretUrl: DEFAULT_SECRET_URL } });
    expect(DEFAULT_CONFIG_URL).toBe("https://core.telegram.org/getProxyConfig");
    expect(DEFAULT_SECRET_URL).toBe("https://core.telegram.org/getProxySecret");
  });

  test("values are taken in every getopt form", () => {
    const r = parse(["--config-refresh=3600", "--config-url", "http://127.0.0.1:8080/c", "--secret-url=https://example.org/s", "proxy.conf"]);
    expect(r).toMatchObject({
      kind: "run",
      options: { configRefreshSec: 3600, configUrl: "http://127.0.0.1:8080/c", secretUrl: "https://example.org/s" },
    });
  });

  test.each([["abc"], ["-5"], ["1.5"], ["604801"], [""]])("--config-refresh %p → exit 2 naming the value", (v) => {
    const f = failure(["--config-refresh", v, "proxy.conf"]);
    expect(f.exit).toBe(2);
    expect(f.text).toBe(`invalid --config-refresh '${v}': expected whole seconds 0..604800 (0 = off)`);
  });

  test.each([["ftp://example.org/x"], ["not a url"], ["/local/path"]])("--config-url %p → exit 2", (v) => {
    expect(failure(["--config-url", v, "proxy.conf"])).toEqual({ text: `invalid --config-url '${v}': expected an http:// or https:// URL`, exit: 2 });
    expect(failure(["--secret-url", v, "proxy.conf"]).text).toStartWith("invalid --secret-url");
  });

  test("refused with --direct, in either order; --config-refresh 0 is fine", () => {
    for (const args of [["--direct", "--config-refresh", "60"], ["--config-refresh", "60", "--direct"]]) {
      const f = failure(args);
      expect(f.exit).toBe(2);
      expect(f.text).toContain("--config-refresh cannot be used with --direct");
    }
    expect(parse(["--direct", "--config-refresh", "0"]).kind).toBe("run");
  });
});
