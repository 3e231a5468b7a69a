import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import {
  clientSecretBytes,
  formatClientSecret,
  generateClientSecret,
  makeClientSecret,
  parseClientSecret,
} from "../../src/config/client-secret.ts";

// client-side.md §1.2 example.
const KEY_HEX = "0123456789abcdeffedcba9876543210";
const KEY = Uint8Array.from(Buffer.from(KEY_HEX, "hex"));
const EE_HEX = "ee0123456789abcdeffedcba98765432106578616d706c652e636f6d";
const EE_B64 = "7gEjRWeJq83v_ty6mHZUMhBleGFtcGxlLmNvbQ";

function parsed(text: string) {
  const r = parseClientSecret(text);
  if (!r.ok) throw new Error(r.error);
  return r.secret;
}

describe("secret forms of client-side.md §1.2", () => {
  test("formatting: plain, dd, ee hex, ee base64url", () => {
    expect(formatClientSecret(makeClientSecret("plain", KEY))).toBe(KEY_HEX);
    expect(formatClientSecret(makeClientSecret("dd", KEY))).toBe(`dd${KEY_HEX}`);
    expect(formatClientSecret(makeClientSecret("ee", KEY, "example.com"))).toBe(EE_HEX);
    expect(formatClientSecret(makeClientSecret("ee", KEY, "example.com"), "base64url")).toBe(EE_B64);
  });

  test("parsing each form gives the same 16-byte server key", () => {
    for (const text of [KEY_HEX, KEY_HEX.toUpperCase(), `dd${KEY_HEX}`, EE_HEX, EE_B64]) {
      expect(parsed(text).key).toEqual(KEY);
    }
    expect(parsed(KEY_HEX).mode).toBe("plain");
    expect(parsed(`DD${KEY_HEX}`).mode).toBe("dd");
    expect(parsed(EE_B64)).toMatchObject({ mode: "ee", domain: "example.com" });
    expect(parsed(EE_HEX)).toMatchObject({ mode: "ee", domain: "example.com" });
  });

  test("standard base64 (with + / and padding) is accepted too", () => {
    const std = Buffer.from(clientSecretBytes(makeClientSecret("ee", KEY, "example.com"))).toString("base64");
    expect(std).toContain("/");
    expect(parsed(std)).toMatchObject({ mode: "ee", domain: "example.com" });
    expect(parsed(Buffer.from(KEY).toString("base64")).mode).toBe("plain");
  });

  test("a base64 text starting with the characters `ee` is not an ee secret", () => {
    const key = Uint8Array.from(Buffer.from("79e7ff00112233445566778899aabbcc", "hex"));
    const text = Buffer.from(key).toString("base64url");
    expect(text.startsWith("ee")).toBe(true);
    expect(parsed(text)).toMatchObject({ mode: "plain", domain: null });
    expect(parsed(text).key).toEqual(key);
  });

  test("rejects what tdlib rejects", () => {
    for (const bad of ["", "zz", KEY_HEX.slice(2), `de${KEY_HEX}`, `dd${KEY_HEX}00`, `ee${KEY_HEX}`, `ee${KEY_HEX}${"61".repeat(183)}`]) {
      expect(parseClientSecret(bad).ok).toBe(false);
    }
    expect(parseClientSecret(`ee${KEY_HEX}${"61".repeat(182)}`).ok).toBe(true);
  });
});

describe("generation", () => {
  test("the key comes from the injected RandomSource", () => {
    const expected = seededRandom(7).bytes(16);
    const s = generateClientSecret("dd", seededRandom(7));
    expect(s.key).toEqual(new Uint8Array(expected));
    expect(formatClientSecret(s)).toBe(`dd${Buffer.from(expected).toString("hex")}`);
    expect(generateClientSecret("plain", seededRandom(8)).key).not.toEqual(s.key);
  });

  test("ee needs a domain", () => {
    expect(() => generateClientSecret("ee", seededRandom(1))).toThrow("domain");
    expect(generateClientSecret("ee", seededRandom(1), "a.io").domain).toBe("a.io");
  });
});
