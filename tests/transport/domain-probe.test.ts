import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import {
  buildProbeClientHello,
  combineProbeAnswers,
  encryptedSizeFor,
  fallbackProfile,
  parseProbeResponse,
  PROBE_HELLO_LEN,
} from "../../src/transport/domain-probe.ts";
import { sniDomain } from "../../src/transport/faketls-hello.ts";
import { V, scriptedRandom, unhex } from "./helpers.ts";

const resp = unhex(V.fakeTls.serverResponse.fullHex);
const rev = unhex(V.fakeTls.serverResponse.reversedExtensionOrderVariant_encryptedSize100.hex);
const sid = unhex(V.fakeTls.clientHello517.sessionId);

describe("probe hello (create_request)", () => {
  test("517 bytes, 16 03 01 02, SNI = domain, GREASE pairs differ", () => {
    const h = buildProbeClientHello("example.org", seededRandom(1), () => new Uint8Array(32));
    expect(h.length).toBe(PROBE_HELLO_LEN);
    expect(h.subarray(0, 4).toString("hex")).toBe("16030102");
    expect(sniDomain(h)).toBe("example.org");
    expect(h[78]! & 0x0f).toBe(0x0a);
  });
});

describe("probe answer parse (check_response)", () => {
  test("our own C-format responses parse: order and encrypted size", () => {
    expect(parseProbeResponse(resp, sid)).toEqual({ kind: "ok", reversed: false, encryptedSize: 2580 });
    expect(parseProbeResponse(rev, sid)).toEqual({ kind: "ok", reversed: true, encryptedSize: 100 });
    expect(parseProbeResponse(Buffer.concat([rev, Buffer.alloc(50)]), sid).kind).toBe("ok");
  });
  test("partial input waits at every length", () => {
    for (let k = 0; k < rev.length; k++) expect(parseProbeResponse(rev.subarray(0, k), sid).kind).toBe("need-more");
  });
  test("rejections", () => {
    const bad = (mut: (b: Buffer) => void): string => {
      const b = Buffer.from(rev);
      mut(b);
      const r = parseProbeResponse(b, sid);
      return r.kind === "error" ? r.reason : r.kind;
    };
    expect(bad((b) => (b[2] = 1))).toContain("non-TLS");
    expect(bad((b) => (b[77] = 2))).toContain("cipher");
    expect(bad((b) => (b[50]! ^= 1))).toContain("session id");
    expect(bad((b) => unhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c").copy(b, 11))).toContain("HelloRetryRequest");
    expect(bad((b) => (b[82] = 0x33))).toContain("unexpected extension length");
    expect(bad((b) => (b[127] = 0x15))).toContain("TLS 1.3");
  });
});

describe("combining 20 answers (update_domain_info)", () => {
  const answers = (sizes: number[], reversed = false) => sizes.map((s) => ({ reversed, encryptedSize: s }));
  test("all equal → fixed", () => {
    expect(combineProbeAnswers(answers(Array(20).fill(3000)))).toEqual({ reversedOrder: false, encryptedSize: 3000, randomised: false, mixedOrder: false });
  });
  test("spread ≤ 3 → max − 1, randomised", () => {
    const r = combineProbeAnswers(answers([...Array(19).fill(3000), 3003]));
    expect([r.encryptedSize, r.randomised]).toEqual([3002, true]);
  });
  test("wider spread → rounded mean", () => {
    const r = combineProbeAnswers(answers([...Array(10).fill(3000), ...Array(10).fill(3011)]));
    expect([r.encryptedSize, r.randomised]).toEqual([3006, true]);
  });
  test("order: reversed only when every answer was reversed", () => {
    const mixed = combineProbeAnswers([...answers(Array(19).fill(100), true), { reversed: false, encryptedSize: 100 }]);
    expect([mixed.reversedOrder, mixed.mixedOrder]).toEqual([false, true]);
    expect(combineProbeAnswers(answers(Array(20).fill(100), true)).reversedOrder).toBe(true);
  });
  test("fallback 2500..3619, randomised ±1 with C's ¼ ½ ¼ split", () => {
    const rnd = seededRandom(9);
    for (let i = 0; i < 500; i++) {
      const p = fallbackProfile(rnd);
      expect(p.encryptedSize >= 2500 && p.encryptedSize <= 3619 && p.randomised && !p.reversedOrder).toBe(true);
    }
    const base = { reversedOrder: false, encryptedSize: 3000, randomised: true };
    const sizes = [0, 1, 2, 3].map((r) => encryptedSizeFor(base, scriptedRandom({ ints: [r] })));
    expect(sizes).toEqual([3000, 2999, 3001, 3000]);
    expect(encryptedSizeFor({ ...base, randomised: false }, scriptedRandom({}))).toBe(3000);
  });
});
