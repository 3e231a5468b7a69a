import { describe, expect, test } from "bun:test";
import { linksForServer, tgLink, tmeLink } from "../src/links.ts";

const KEY_HEX = "0123456789abcdeffedcba9876543210";
const KEY = Uint8Array.from(Buffer.from(KEY_HEX, "hex"));

describe("proxy links", () => {
  test("without -D: plain and dd, hex, server/port/secret order", () => {
    const [links] = linksForServer({ host: "203.0.113.5", port: 443, secrets: [KEY], domains: [] });
    expect(links!.map((l) => [l.mode, l.secret])).toEqual([
      ["plain", KEY_HEX],
      ["dd", `dd${KEY_HEX}`],
    ]);
    expect(links![0]!.tg).toBe(`tg://proxy?server=203.0.113.5&port=443&secret=${KEY_HEX}`);
    expect(links![1]!.tme).toBe(`https://t.me/proxy?server=203.0.113.5&port=443&secret=dd${KEY_HEX}`);
  });

  test("with -D: only ee, one per domain, hex or base64url", () => {
    const [links] = linksForServer({ host: "proxy.example.org", port: 8443, secrets: [KEY], domains: ["example.com", "b.io"] });
    expect(links!.map((l) => [l.mode, l.domain])).toEqual([
      ["ee", "example.com"],
      ["ee", "b.io"],
    ]);
    expect(links![0]!.tg).toBe(
      "tg://proxy?server=proxy.example.org&port=8443&secret=ee0123456789abcdeffedcba98765432106578616d706c652e636f6d",
    );
    const [b64] = linksForServer({ host: "h", port: 1, secrets: [KEY], domains: ["example.com"], eeEncoding: "base64url" });
    expect(b64![0]!.tme).toBe("https://t.me/proxy?server=h&port=1&secret=7gEjRWeJq83v_ty6mHZUMhBleGFtcGxlLmNvbQ");
  });

  test("one list per secret, in -S order", () => {
    const other = new Uint8Array(16).fill(0xab);
    const all = linksForServer({ host: "h", port: 1, secrets: [KEY, other], domains: [] });
    expect(all.map((l) => l[0]!.secret)).toEqual([KEY_HEX, "ab".repeat(16)]);
  });

  test("IPv6 servers: brackets dropped, colons percent-encoded", () => {
    expect(tgLink("[2001:db8::1]", 443, KEY_HEX)).toBe(`tg://proxy?server=2001%3Adb8%3A%3A1&port=443&secret=${KEY_HEX}`);
    expect(tmeLink("2001:db8::1", 443, KEY_HEX)).toBe(`https://t.me/proxy?server=2001%3Adb8%3A%3A1&port=443&secret=${KEY_HEX}`);
    const url = new URL(tmeLink("[2001:db8::1]", 443, KEY_HEX));
    expect(url.searchParams.get("server")).toBe("2001:db8::1");
  });
});
