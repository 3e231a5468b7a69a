import { describe, expect, test } from "bun:test";
import { hmacSha256, md5, md5Hex, sha1, sha256 } from "../../src/crypto/hash.ts";
import client from "./vectors/client-vectors.json";

const ascii = (s: string): Buffer => Buffer.from(s, "latin1");
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const TWO_BLOCKS = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

describe("digests (FIPS 180 / RFC 1321 vectors)", () => {
  test("SHA-1", () => {
    expect(toHex(sha1(ascii("abc")))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(toHex(sha1(ascii("")))).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(toHex(sha1(ascii(TWO_BLOCKS)))).toBe("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  });

  test("SHA-256", () => {
    expect(toHex(sha256(ascii("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(toHex(sha256(ascii("")))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(toHex(sha256(ascii(TWO_BLOCKS)))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  test("MD5", () => {
    expect(toHex(md5(ascii("")))).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(md5Hex(ascii("abc"))).toBe("900150983cd24fb0d6963f7d28e17f72");
    expect(md5Hex(ascii("message digest"))).toBe("f96b697d7cb7938d525a2f31aaf161d0");
  });

  test("several parts hash like their concatenation", () => {
    const [a, b, c] = [ascii("abcdbcde"), ascii("cdefdefgefghfghighij"), ascii("hijkijkljklmklmnlmnomnopnopq")];
    const whole = ascii(TWO_BLOCKS);
    expect(toHex(sha256(a, b, c))).toBe(toHex(sha256(whole)));
    expect(toHex(sha1(a, b, c))).toBe(toHex(sha1(whole)));
    expect(toHex(md5(a, b, c))).toBe(toHex(md5(whole)));
  });
});

describe("HMAC-SHA256 (RFC 4231)", () => {
  test("case 1: 20-byte key", () => {
    expect(toHex(hmacSha256(Buffer.alloc(20, 0x0b), ascii("Hi There")))).toBe(
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
    );
  });

  test("case 2: short key, data in two parts", () => {
    expect(toHex(hmacSha256(ascii("Jefe"), ascii("what do ya want "), ascii("for nothing?")))).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  test("case 6: key longer than the block size is hashed first", () => {
    const data = ascii("Test Using Larger Than Block-Size Key - Hash Key First");
    expect(toHex(hmacSha256(Buffer.alloc(131, 0xaa), data))).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    );
  });

  test("fake-TLS ClientHello digest: HMAC(secret, hello with the random zeroed) (client-side.md)", () => {
    const v = client.fakeTls;
    const hello = Buffer.from(v.clientHello517.hex, "hex");
    expect(hello.length).toBe(517);
    hello.fill(0, 11, 43);
    expect(toHex(hmacSha256(Buffer.from(v.secret, "hex"), hello))).toBe(v.clientHello517.hmacOverHelloWithZeroRandom);
  });
});
