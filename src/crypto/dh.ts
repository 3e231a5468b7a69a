// The optional 2048-bit Diffie–Hellman of the middle-end handshake (backend-rpc.md §6; mirrors
// net/net-crypto-dh.c: init_dh_params, is_good_rpc_dh_bin, create_g_a, dh_{first,second,third}_round).
// The proxy never asks for DH; this exists for a middle-end test double that insists on it.
import { createDiffieHellman, type DiffieHellman } from "node:crypto";
import { sha1 } from "./hash.ts";
import type { RandomSource } from "./random.ts";

export const RPC_DH_GEN = 3;
/** dh_params_select the C code asserts at start-up (init_dh_params). */
export const RPC_PARAM_HASH = 0x00620b93;
export const DH_BYTES = 256;

const RPC_DH_PRIME_HEX =
  "8952131b1e3a69ba5f85cf8bd266c12b13831613bd2a4ef835a4d53f9dbb4248" +
  "2dbd462b31d86c816c5977520f1170739ed2ddd6d81b9eb65faaac148753c9e4" +
  "f072dc11a492730683fa0067826b18c51d7ecba52b826075c0b955e5acafdd74" +
  "c3795fd9520b480f3be3ba0665338a498ca5daf101760509a38c49e3007464087" +
  "74bb3ed26181a6455766ae9497bb9c3a3ad5cbaf76b73845fbb96bb6d0f684f95" +
  "d2d39ccbb4a904fab1de4349ce1c2087b6c951ed99f952e34fd1a3fd148335754" +
  "14729a38be868a4f9ec623a5d24621aba01b255c7e8385d16ac93b02d2a540a76" +
  "42982d22ada3ccde5c8d266faa25dd2de9f6d49104162f685c45fe34ddab";

/** rpc_dh_prime_bin: big-endian, 256 bytes. A fresh copy, so callers cannot corrupt the group. */
export function rpcDhPrime(): Buffer {
  return Buffer.from(RPC_DH_PRIME_HEX, "hex");
}

/**
 * u32 LE of SHA1 over the TL pair (g:int, p:string):
 *   03 00 00 00 | fe 00 01 00 (long-string marker, length 256) | p (256 bytes)
 */
export function dhParamsSelect(): number {
  const head = Buffer.from([RPC_DH_GEN, 0, 0, 0, 0xfe, 0x00, 0x01, 0x00]);
  return sha1(head, rpcDhPrime()).readUInt32LE(0);
}

/**
 * is_good_rpc_dh_bin: the first 8 bytes are not all zero and, as a big-endian string, are
 * strictly below the first 8 bytes of p. Only those 8 bytes are looked at, exactly as in C.
 */
export function isGoodRpcDhBin(value: Uint8Array): boolean {
  if (value.length !== DH_BYTES) return false;
  let nonZero = false;
  for (let i = 0; i < 8; i++) if (value[i] !== 0) nonZero = true;
  if (!nonZero) return false;
  const p = PRIME_HEAD;
  for (let i = 0; i < 8; i++) {
    if (value[i]! > p[i]!) return false;
    if (value[i]! < p[i]!) return true;
  }
  return false;
}

const PRIME_HEAD: readonly number[] = [...Buffer.from(RPC_DH_PRIME_HEX.slice(0, 16), "hex")];

export interface DhKeyPair {
  /** The secret exponent: 256 random bytes read big-endian. */
  a: Buffer;
  /** 3^a mod p, left-padded to 256 bytes, already passing isGoodRpcDhBin. */
  gA: Buffer;
}

/** bad-peer-value: g_b fails is_good_rpc_dh_bin or the native check; short-secret: ≤ 240 significant bytes. */
export type DhFailure = "bad-peer-value" | "short-secret";

export type DhSecret = { ok: true; gAB: Buffer } | { ok: false; reason: DhFailure };

export interface RpcDh {
  /** create_g_a / dh_first_round: draw `a` until g_a passes the C checks. */
  createKeyPair(): DhKeyPair;
  /** dh_third_round: g_ab = g_b^a mod p after checking g_b. */
  computeSecret(gB: Uint8Array, a: Uint8Array): DhSecret;
  /** dh_second_round (the accepting side): a fresh pair plus the secret. */
  respond(gB: Uint8Array): { ok: true; gA: Buffer; gAB: Buffer } | { ok: false; reason: DhFailure };
}

/**
 * One DH engine per process. The native DiffieHellman object takes ~0.7 s to build in Bun
 * (it checks the prime), so it is built on first use and then only re-keyed per exchange:
 * setPrivateKey + generateKeys/computeSecret cost ~1.7 ms each. Calls are synchronous, so
 * sharing the object between exchanges cannot interleave.
 */
export function createRpcDh(random: RandomSource): RpcDh {
  let native: DiffieHellman | undefined;
  const engine = (): DiffieHellman => (native ??= createDiffieHellman(rpcDhPrime(), Buffer.from([RPC_DH_GEN])));

  const createKeyPair = (): DhKeyPair => {
    const dh = engine();
    for (let attempt = 0; ; attempt++) {
      // Rejection happens with probability ~2^-64 per draw; a long run means a broken RandomSource.
      if (attempt >= 64) throw new Error("DH: random source keeps producing rejected exponents");
      const a = random.bytes(DH_BYTES);
      dh.setPrivateKey(a);
      const { value, significant } = leftPad(dh.generateKeys());
      if (significant > 240 && isGoodRpcDhBin(value)) return { a, gA: value };
    }
  };

  const computeSecret = (gB: Uint8Array, a: Uint8Array): DhSecret => {
    if (!isGoodRpcDhBin(gB)) return { ok: false, reason: "bad-peer-value" };
    const dh = engine();
    dh.setPrivateKey(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    let raw: Buffer;
    try {
      raw = dh.computeSecret(Buffer.from(gB.buffer, gB.byteOffset, gB.byteLength));
    } catch {
      // BoringSSL refuses some values C would have computed with (e.g. 1 < y < p-1 fails);
      // none is a usable key, so it is a hostile peer value like any other.
      return { ok: false, reason: "bad-peer-value" };
    }
    const { value, significant } = leftPad(raw);
    // C asserts len > 240 here and dies; a hostile peer must not kill us, so it is a value.
    if (significant <= 240) return { ok: false, reason: "short-secret" };
    return { ok: true, gAB: value };
  };

  return {
    createKeyPair,
    computeSecret,
    respond(gB) {
      if (!isGoodRpcDhBin(gB)) return { ok: false, reason: "bad-peer-value" };
      const { a, gA } = createKeyPair();
      const s = computeSecret(gB, a);
      a.fill(0);
      return s.ok ? { ok: true, gA, gAB: s.gAB } : s;
    },
  };
}

function leftPad(raw: Buffer): { value: Buffer; significant: number } {
  let start = 0;
  while (start < raw.length && raw[start] === 0) start++;
  const significant = raw.length - start;
  if (raw.length === DH_BYTES) return { value: raw, significant };
  const value = Buffer.alloc(DH_BYTES);
  raw.copy(value, DH_BYTES - significant, start);
  return { value, significant };
}
