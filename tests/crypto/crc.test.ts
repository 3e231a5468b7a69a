import { describe, expect, test } from "bun:test";
import { crc32, crc32c } from "../../src/crypto/crc.ts";

const CHECK = new TextEncoder().encode("123456789");

describe("crc", () => {
  test("standard check values (backend-rpc.md §2.3)", () => {
    expect(crc32(CHECK).toString(16)).toBe("cbf43926");
    expect(crc32c(CHECK).toString(16)).toBe("e3069283");
  });

  test("crc32c chains across pieces at every split point", () => {
    const data = Uint8Array.from({ length: 77 }, (_, i) => (i * 131 + 7) & 0xff);
    const whole = crc32c(data);
    for (let cut = 0; cut <= data.length; cut++) {
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(whole);
    }
  });
});
