import { describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../src/log.ts";
import { announce, PUBLIC_HOST_PLACEHOLDER, publicHost, startupLinkLines } from "../src/startup-links.ts";

const KEY = Buffer.from("0123456789abcdeffedcba9876543210", "hex");
const base = { natInfo: [], address: null, httpPorts: [443], secrets: [KEY], domains: [] as string[] };

describe("startup links", () => {
  test("public host: --nat-info global side, then --address, then a placeholder", () => {
    expect(publicHost({ natInfo: [{ local: "10.0.0.5", global: "203.0.113.7" }], address: "10.0.0.5" })).toBe("203.0.113.7");
    expect(publicHost({ natInfo: [], address: "198.51.100.2" })).toBe("198.51.100.2");
    expect(publicHost({ natInfo: [], address: "0.0.0.0" })).toBe(PUBLIC_HOST_PLACEHOLDER);
  });

  test("without -D: plain and dd links on the first -H port, and a hint about the placeholder", () => {
    const lines = startupLinkLines(base);
    expect(lines).toContain(`secret 1 plain: tg://proxy?server=${PUBLIC_HOST_PLACEHOLDER}&port=443&secret=0123456789abcdeffedcba9876543210`);
    expect(lines).toContain(`secret 1 dd: https://t.me/proxy?server=${PUBLIC_HOST_PLACEHOLDER}&port=443&secret=dd0123456789abcdeffedcba9876543210`);
    expect(lines.at(-1)).toContain("--nat-info");
  });

  test("with -D: only ee links, one per domain, with the hex domain suffix", () => {
    const lines = startupLinkLines({ ...base, address: "198.51.100.2", domains: ["example.com"] });
    expect(lines).toEqual([
      "secret 1 ee (example.com): tg://proxy?server=198.51.100.2&port=443&secret=ee0123456789abcdeffedcba98765432106578616d706c652e636f6d",
      "secret 1 ee (example.com): https://t.me/proxy?server=198.51.100.2&port=443&secret=ee0123456789abcdeffedcba98765432106578616d706c652e636f6d",
    ]);
  });

  test("no client port or no secret: nothing to link to", () => {
    expect(startupLinkLines({ ...base, httpPorts: [] })).toEqual([]);
    expect(startupLinkLines({ ...base, secrets: [] })).toEqual([]);
  });
});

describe("announce", () => {
  test("logs where the proxy listens and prints the links (with the secret) on stdout only", () => {
    const { log, lines } = createMemoryLogger();
    let out = "";
    announce({ ...base, direct: true, ipv6: false }, [8443], log, { stdout: (t) => (out += t) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("listening for clients on 0.0.0.0:8443 (direct to Telegram DCs)");
    expect(lines[0]).not.toContain("0123456789abcdef");
    expect(out).toContain("secret=dd0123456789abcdeffedcba9876543210");
    expect(out.endsWith("\n")).toBe(true);
  });
});
