// RPC_NONCE: the first, plaintext packet each side sends (backend-rpc.md §3). Mirrors
// tcp_rpcc_init_crypto / tcp_rpcc_process_nonce_packet (net-tcp-rpc-client.c) and the server-side
// checks of tcp_rpcs_process_nonce_packet (net-tcp-rpc-server.c) that the fake ME applies.
import {
  DH_PARAMS_SELECT,
  NONCE_MAX_SKEW_SEC,
  RPC_CRYPTO_AES,
  RPC_CRYPTO_AES_DH,
  RPC_CRYPTO_AES_EXT,
  RPC_CRYPTO_NONE,
  RPC_MAX_EXTRA_KEYS,
  RPC_NONCE,
} from "./constants.ts";

//  0 type | 4 key_select | 8 crypto_schema | 12 crypto_ts | 16 crypto_nonce(16)
//  schema 2/3: 32 extra_keys_count k | 36 extra_key_select[k]
//  schema 3:   36+4k dh_params_select | 40+4k g_a(256, big-endian)
export const NONCE_BASE_LEN = 32;
const NONCE_MAX_LEN = 328;
const DH_LEN = 296;

export interface NoncePacket {
  keySelect: number;
  schema: number;
  ts: number;
  nonce: Uint8Array;
  extraKeys: number[];
  dhParamsSelect: number;
  gA: Uint8Array | null;
}

export interface NonceInit {
  keySelect: number;
  schema?: number;
  ts: number;
  nonce: Uint8Array;
  extraKeys?: readonly number[];
  /** 256-byte g_a: makes it a schema-3 packet. */
  gA?: Uint8Array;
}

export function encodeNonce(p: NonceInit): Uint8Array {
  const extra = p.extraKeys ?? [];
  const schema = p.schema ?? (p.gA ? RPC_CRYPTO_AES_DH : extra.length ? RPC_CRYPTO_AES_EXT : RPC_CRYPTO_AES);
  const withExtra = schema === RPC_CRYPTO_AES_EXT || schema === RPC_CRYPTO_AES_DH;
  const len = NONCE_BASE_LEN + (withExtra ? 4 + 4 * extra.length : 0) + (schema === RPC_CRYPTO_AES_DH ? 260 : 0);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RPC_NONCE, true);
  dv.setUint32(4, p.keySelect >>> 0, true);
  dv.setInt32(8, schema, true);
  dv.setInt32(12, p.ts | 0, true);
  out.set(p.nonce.subarray(0, 16), 16);
  if (withExtra) {
    dv.setInt32(32, extra.length, true);
    extra.forEach((k, i) => dv.setUint32(36 + 4 * i, k >>> 0, true));
  }
  if (schema === RPC_CRYPTO_AES_DH) {
    const o = 36 + 4 * extra.length;
    dv.setUint32(o, DH_PARAMS_SELECT, true);
    if (p.gA) out.set(p.gA.subarray(0, 256), o + 4);
  }
  return out;
}

export type NonceFailure = { ok: false; code: number; reason: string };
export type NonceDecode = { ok: true; packet: NoncePacket } | NonceFailure;

const fail = (code: number, reason: string): NonceFailure => ({ ok: false, code, reason });

/** Type, length and schema layout checks shared by both sides. */
export function decodeNonce(body: Uint8Array): NonceDecode {
  if (body.length < 4) return fail(-2, "short nonce packet");
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (dv.getUint32(0, true) !== RPC_NONCE) return fail(-2, "expected RPC_NONCE");
  const len = body.length;
  if (len < NONCE_BASE_LEN || len > NONCE_MAX_LEN) return fail(-3, `bad nonce length ${len}`);
  const schema = dv.getInt32(8, true);
  let k = 0;
  switch (schema) {
    case RPC_CRYPTO_NONE:
    case RPC_CRYPTO_AES:
      if (len !== NONCE_BASE_LEN) return fail(-3, `bad nonce length ${len} for schema ${schema}`);
      break;
    case RPC_CRYPTO_AES_EXT:
    case RPC_CRYPTO_AES_DH: {
      const min = schema === RPC_CRYPTO_AES_EXT ? 36 : DH_LEN;
      if (len < min) return fail(-3, `bad nonce length ${len} for schema ${schema}`);
      k = dv.getInt32(32, true);
      if (k < 0 || k > RPC_MAX_EXTRA_KEYS || len !== min + 4 * k) return fail(-3, `bad extra keys count ${k}`);
      break;
    }
    default:
      return fail(-3, `unknown crypto schema ${schema}`);
  }
  const extraKeys: number[] = [];
  for (let i = 0; i < k; i++) extraKeys.push(dv.getUint32(36 + 4 * i, true));
  const dhOff = 36 + 4 * k;
  const isDh = schema === RPC_CRYPTO_AES_DH;
  return {
    ok: true,
    packet: {
      keySelect: dv.getUint32(4, true),
      schema,
      ts: dv.getInt32(12, true),
      nonce: body.slice(16, 32),
      extraKeys,
      dhParamsSelect: isDh ? dv.getUint32(dhOff, true) : 0,
      gA: isDh ? body.slice(dhOff + 4, dhOff + 260) : null,
    },
  };
}

/** tcp_rpcc_process_nonce_packet: may the proxy accept this ME nonce? (the proxy never starts DH) */
export function checkMiddleNonce(
  n: NoncePacket,
  ours: { keySelect: number; ts: number },
): { ok: true } | NonceFailure {
  switch (n.schema) {
    case RPC_CRYPTO_NONE:
      // plaintext links are never allowed by the proxy (RPCF_ALLOW_UNENC is not set)
      return n.keySelect ? fail(-3, "schema NONE with a key") : fail(-5, "middle-end offers no encryption");
    case RPC_CRYPTO_AES_DH:
      if (n.dhParamsSelect !== DH_PARAMS_SELECT) return fail(-7, "bad dh_params_select");
      return fail(-7, "middle-end wants DH, which the proxy never starts");
    case RPC_CRYPTO_AES_EXT:
      if (n.keySelect !== ours.keySelect && !n.extraKeys.includes(ours.keySelect)) return fail(-3, "key_select mismatch");
      break;
    default:
      if (!n.keySelect || n.keySelect !== ours.keySelect) return fail(-3, "key_select mismatch");
  }
  if (!ours.keySelect) return fail(-3, "no proxy secret loaded");
  if (Math.abs(n.ts - ours.ts) > NONCE_MAX_SKEW_SEC) return fail(-6, `middle-end clock is ${n.ts - ours.ts} s off`);
  return { ok: true };
}

/** What a C ME checks in the proxy's nonce (for the test double). */
export function checkClientNonce(
  n: NoncePacket,
  ours: { keySelect: number; nowSec: number },
): { ok: true } | NonceFailure {
  if (n.schema === RPC_CRYPTO_NONE) return fail(-5, "client offers no encryption");
  const keys = n.schema === RPC_CRYPTO_AES ? [n.keySelect] : [n.keySelect, ...n.extraKeys];
  if (!n.keySelect || !keys.includes(ours.keySelect)) return fail(-3, "key_select mismatch");
  if (Math.abs(n.ts - ours.nowSec) > NONCE_MAX_SKEW_SEC) return fail(-6, "client clock skew");
  return { ok: true };
}
