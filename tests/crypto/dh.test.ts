import { describe, expect, test } from "bun:test";
import { createRpcDh, dhParamsSelect, isGoodRpcDhBin, RPC_PARAM_HASH, rpcDhPrime } from "../../src/crypto/dh.ts";
import type { RandomSource } from "../../src/crypto/random.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import backend from "./vectors/backend-vectors.json";

const v = backend.dh;
const hex = (s: string): Buffer => Buffer.from(s, "hex");
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Hands out the given byte strings in order, then fails the test. */
function scripted(...values: Buffer[]): RandomSource {
  return {
    bytes(n) {
      const next = values.shift();
      if (!next || next.length !== n) throw new Error(`unexpected random draw of ${n} bytes`);
      return Buffer.from(next);
    },
    fill() {
      throw new Error("unexpected random fill");
    },
    int: () => 0,
  };
}

describe("rpc DH (backend-rpc.md §6)", () => {
  test("dh_params_select is the value C asserts", () => {
    expect(dhParamsSelect()).toBe(RPC_PARAM_HASH);
    expect(`0x${dhParamsSelect().toString(16).padStart(8, "0")}`).toBe(v.params_select_expected);
    expect(rpcDhPrime().length).toBe(256);
  });

  test("is_good_rpc_dh_bin looks at the first 8 bytes only, strictly below p", () => {
    const p = rpcDhPrime();
    expect(isGoodRpcDhBin(hex(v.g_a))).toBe(true);
    expect(isGoodRpcDhBin(Buffer.alloc(256))).toBe(false); // zero head
    const zeroHead = Buffer.alloc(256, 0xff);
    zeroHead.fill(0, 0, 8);
    expect(isGoodRpcDhBin(zeroHead)).toBe(false);
    const equalHead = Buffer.alloc(256);
    p.copy(equalHead, 0, 0, 8);
    expect(isGoodRpcDhBin(equalHead)).toBe(false); // equal 8 bytes is not "strictly less"
    const below = Buffer.from(equalHead);
    below[7]! -= 1;
    expect(isGoodRpcDhBin(below)).toBe(true);
    const above = Buffer.from(equalHead);
    above[6]! += 1;
    expect(isGoodRpcDhBin(above)).toBe(false);
    const onlyLastOfHead = Buffer.alloc(256);
    onlyLastOfHead[7] = 1;
    expect(isGoodRpcDhBin(onlyLastOfHead)).toBe(true);
    expect(isGoodRpcDhBin(hex(v.g_a).subarray(1))).toBe(false); // wrong length
  });

  test(
    "deterministic exchange matches the vector from both sides",
    () => {
      const dh = createRpcDh(scripted(hex(v.a), hex(v.b)));
      const ours = dh.createKeyPair();
      expect(toHex(ours.a)).toBe(v.a);
      expect(toHex(ours.gA)).toBe(v.g_a);
      const theirs = dh.createKeyPair();
      expect(toHex(theirs.gA)).toBe(v.g_b);
      const s1 = dh.computeSecret(theirs.gA, ours.a);
      const s2 = dh.computeSecret(ours.gA, theirs.a);
      expect(s1.ok && toHex(s1.gAB)).toBe(v.g_ab);
      expect(s2.ok && toHex(s2.gAB)).toBe(v.g_ab);
    },
    { timeout: 15_000 },
  );

  test("random exchanges agree; respond() gives the accepting side the same secret", () => {
    const alice = createRpcDh(seededRandom(1));
    const bob = createRpcDh(seededRandom(2));
    for (let i = 0; i < 3; i++) {
      const pair = alice.createKeyPair();
      expect(pair.gA.length).toBe(256);
      expect(isGoodRpcDhBin(pair.gA)).toBe(true);
      const r = bob.respond(pair.gA);
      if (!r.ok) throw new Error(r.reason);
      const s = alice.computeSecret(r.gA, pair.a);
      expect(s.ok && toHex(s.gAB)).toBe(toHex(r.gAB));
    }
  }, 15_000);

  test("hostile peer values are refused as values, never thrown", () => {
    const dh = createRpcDh(seededRandom(3));
    const a = hex(v.a);
    const p = rpcDhPrime();
    const pMinus1 = Buffer.from(p);
    pMinus1[255]! -= 1;
    const one = Buffer.alloc(256);
    one[255] = 1;
    const headOnly = Buffer.alloc(256);
    headOnly[7] = 1; // passes the 8-byte check: value 2^192, a legitimate but tiny group element
    for (const bad of [Buffer.alloc(256), one, p, pMinus1, Buffer.alloc(256, 0xff), Buffer.alloc(12)]) {
      const r = dh.computeSecret(bad, a);
      expect(r.ok).toBe(false);
      expect(dh.respond(bad).ok).toBe(false);
    }
    const r = dh.computeSecret(headOnly, a);
    expect(r.ok && r.gAB.length).toBe(256);
    // Exponent 0 makes the secret 1: C would die on its len > 240 assert; we return a value.
    expect(dh.computeSecret(hex(v.g_b), Buffer.alloc(256)).ok).toBe(false);
  }, 15_000);

  test("a random source that only yields rejected exponents is reported, not looped on", () => {
    const dh = createRpcDh({ bytes: (n) => Buffer.alloc(n), fill: (d, a, b) => void d.fill(0, a, b), int: () => 0 }); // a = 0 → g_a = 1
    expect(() => dh.createKeyPair()).toThrow(/rejected/);
  }, 15_000);
});
