import { describe, expect, test } from "bun:test";
import { createAesCbcDecryptor, createAesCbcEncryptor, createAesCtr } from "../../src/crypto/aes.ts";
import { sha256 } from "../../src/crypto/hash.ts";
import backend from "./vectors/backend-vectors.json";
import client from "./vectors/client-vectors.json";

const hex = (s: string): Buffer => Buffer.from(s.split(/\s/)[0]!, "hex");
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const pattern = (n: number, mul = 131): Buffer => Buffer.from(Uint8Array.from({ length: n }, (_, i) => (i * mul + 7) & 0xff));

const KEY = pattern(32, 17);
const IV = pattern(16, 29);

interface FrameStep {
  dir: string;
  keystreamOffset: number;
  wire: string;
  plainFrame?: string;
  plain?: string;
}

const TAG_BY_MODE: Record<string, string> = { abridged: "0xefefefef", intermediate: "0xeeeeeeee", padded: "0xdddddddd" };

describe("AES-256-CTR", () => {
  test("keystream continues across every split of a stream", () => {
    const data = pattern(97);
    const whole = createAesCtr(KEY, IV).update(data);
    for (let cut = 0; cut <= data.length; cut++) {
      const s = createAesCtr(KEY, IV);
      const parts = Buffer.concat([s.update(data.subarray(0, cut)), s.update(data.subarray(cut))]);
      expect(toHex(parts)).toBe(toHex(whole));
    }
  });

  test("keystream continues across many odd-sized pieces", () => {
    const data = pattern(4099);
    const whole = createAesCtr(KEY, IV).update(data);
    const s = createAesCtr(KEY, IV);
    const out: Buffer[] = [];
    for (let i = 0, step = 1; i < data.length; i += step, step = (step * 7 + 3) % 61 || 1) {
      out.push(s.update(data.subarray(i, i + step)));
    }
    expect(toHex(Buffer.concat(out))).toBe(toHex(whole));
  });

  test("decrypting is encrypting again", () => {
    const data = pattern(1000);
    const enc = createAesCtr(KEY, IV).update(data);
    expect(toHex(enc)).not.toBe(toHex(data));
    expect(toHex(createAesCtr(KEY, IV).update(enc))).toBe(toHex(data));
  });

  test("rejects wrong key and IV sizes", () => {
    expect(() => createAesCtr(KEY.subarray(0, 16), IV)).toThrow(RangeError);
    expect(() => createAesCtr(KEY, IV.subarray(0, 8))).toThrow(RangeError);
  });

  for (const v of client.obfuscated2) {
    test(`obfuscated2 init packet ${v.name}: server read stream decrypts the 64-byte header`, () => {
      const d = v.derivation;
      const wire = hex(v.wireInitPacket64);
      // The key derivation itself is a pure SHA-256 check (client-side.md §2.3).
      const keyInput = hex(d.readKeyInput);
      expect(toHex(v.secretUsedByClient ? sha256(keyInput) : keyInput)).toBe(d.serverReadKey);
      expect(toHex(createAesCtr(hex(d.serverReadKey), hex(d.serverReadIv)).update(wire))).toBe(v.decryptedHeader64);
      // The client encrypts its plain header with the same stream; only bytes 56..63 go out encrypted.
      const enc = createAesCtr(hex(v.clientView.clientEncryptKey), hex(v.clientView.clientEncryptIv)).update(hex(v.clientPlainHeader));
      expect(toHex(enc.subarray(56))).toBe(toHex(wire.subarray(56)));
    });
  }

  for (const f of client.frames) {
    test(`obfuscated2 frames (${f.mode}): wire bytes are the plain frames under the continuing streams`, () => {
      const v = client.obfuscated2.find((o) => o.decryptedTag === TAG_BY_MODE[f.mode])!;
      expect(v).toBeDefined();
      const d = v.derivation;
      const read = createAesCtr(hex(d.serverReadKey), hex(d.serverReadIv));
      const write = createAesCtr(hex(d.serverWriteKey), hex(d.serverWriteIv_wire23_down_to_8));
      read.update(hex(v.wireInitPacket64)); // the init packet consumed keystream 0..63
      let readPos = 64;
      let writePos = 0;
      for (const s of f.steps as FrameStep[]) {
        const plain = s.plainFrame ?? s.plain!;
        const wire = hex(s.wire);
        if (s.dir === "client->proxy") {
          expect(s.keystreamOffset).toBe(readPos);
          expect(toHex(read.update(wire))).toBe(plain);
          readPos += wire.length;
        } else {
          expect(s.keystreamOffset).toBe(writePos);
          expect(toHex(write.update(hex(plain)))).toBe(s.wire);
          writePos += wire.length;
        }
      }
    });
  }
});

describe("AES-256-CBC without padding", () => {
  const data = pattern(16 * 9);

  test("encrypting in two pieces equals encrypting at once, at every split point", () => {
    const whole = createAesCbcEncryptor(KEY, IV).update(data);
    expect(whole.length).toBe(data.length);
    for (let cut = 0; cut <= data.length; cut++) {
      const e = createAesCbcEncryptor(KEY, IV);
      const a = e.update(data.subarray(0, cut));
      expect(a.length).toBe(cut - (cut % 16)); // a partial block is held back, never padded
      expect(toHex(Buffer.concat([a, e.update(data.subarray(cut))]))).toBe(toHex(whole));
    }
  });

  test("decrypting in two pieces equals decrypting at once, at every split point", () => {
    const enc = createAesCbcEncryptor(KEY, IV).update(data);
    for (let cut = 0; cut <= enc.length; cut++) {
      const d = createAesCbcDecryptor(KEY, IV);
      const out = Buffer.concat([d.update(enc.subarray(0, cut)), d.update(enc.subarray(cut))]);
      expect(toHex(out)).toBe(toHex(data));
    }
  });

  test("rejects wrong key and IV sizes", () => {
    expect(() => createAesCbcEncryptor(KEY, IV.subarray(1))).toThrow(RangeError);
    expect(() => createAesCbcDecryptor(KEY.subarray(1), IV)).toThrow(RangeError);
  });

  // backend-vectors exchange_ipv4: every encrypted frame continues the CBC chain of the previous
  // one in the same direction (the seriyps cross-check "second_write_matches_with_continued_iv").
  test("middle-end exchange: both directions chain across frames", () => {
    const k = backend.keys_ipv4;
    const steps = backend.exchange_ipv4.steps.filter((s) => "plaintext" in s && "wire" in s) as {
      dir: string;
      plaintext: string;
      wire: string;
    }[];
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(backend.cross_checks.seriyps_cbc_chain.second_write_matches_with_continued_iv).toBe(true);
    const enc = createAesCbcEncryptor(hex(k.proxy_write_key), hex(k.proxy_write_iv));
    const dec = createAesCbcDecryptor(hex(k.proxy_read_key), hex(k.proxy_read_iv));
    // The test double's view: the middle end decrypts what the proxy wrote with the same key.
    const meDec = createAesCbcDecryptor(hex(k.proxy_write_key), hex(k.proxy_write_iv));
    for (const s of steps) {
      if (s.dir === "proxy->ME") {
        expect(toHex(enc.update(hex(s.plaintext)))).toBe(s.wire);
        expect(toHex(meDec.update(hex(s.wire)))).toBe(s.plaintext);
      } else {
        expect(toHex(dec.update(hex(s.wire)))).toBe(s.plaintext);
      }
    }
  });

  test("the exchange decrypts the same when the wire arrives one odd-sized piece at a time", () => {
    const k = backend.keys_ipv4;
    const inbound = backend.exchange_ipv4.steps.filter((s) => s.dir === "ME->proxy" && "plaintext" in s) as {
      plaintext: string;
      wire: string;
    }[];
    const wire = Buffer.concat(inbound.map((s) => hex(s.wire)));
    const plain = inbound.map((s) => s.plaintext).join("");
    for (const piece of [1, 5, 15, 17, 33]) {
      const dec = createAesCbcDecryptor(hex(k.proxy_read_key), hex(k.proxy_read_iv));
      const out: Buffer[] = [];
      for (let i = 0; i < wire.length; i += piece) out.push(dec.update(wire.subarray(i, i + piece)));
      expect(toHex(Buffer.concat(out))).toBe(plain);
    }
  });
});
