// Fake-TLS ClientHello acceptance in C's exact order of checks, with SNI extraction, the HMAC
// test and the cipher choice. Mirrors net-tcp-rpc-ext-server.c: tcp_rpcs_compact_parse_execute
// (the 16 03 01 02 branch) and get_sni_domain_info (client-side.md §4.3–4.6).
//
//   0  5         11            43   44            76    78
//   | rec hdr | 01 LLL 0303 | random (32) | 20 | session id (32) | BE16 n | cipher suites ...

import { hmacSha256 } from "../crypto/hash.ts";
import type { RandomSource } from "../crypto/random.ts";
import { encryptedSizeFor, type DomainProfile } from "./domain-probe.ts";
import { buildServerHello } from "./faketls-response.ts";
import { isAllowedTimestamp, type ReplayCache } from "./replay-cache.ts";

/** C reads at most 4096 bytes of the hello and fronts anything longer (§4.3 step 6). */
export const MAX_HELLO_BYTES = 4096;
/** Relaxed rule: the smallest record length accepted (what mtprotoproxy, the Erlang proxy accept). */
export const MIN_RELAXED_RECORD_LEN = 512;
const RANDOM_OFFSET = 11;
const RANDOM_LEN = 32;

export interface FakeTlsSettings {
  readonly secrets: readonly Uint8Array[];
  /** Configured -D names (exact bytes, latin1) and how to imitate each. */
  readonly domains: ReadonlyMap<string, DomainProfile>;
  /** The first -D: target of every failure before a known SNI is seen. */
  readonly defaultDomain: string;
  /** C's rule: the record must start 16 03 01 02 (512..767 bytes); otherwise 16 03 01 + >= 512. */
  readonly strictHello: boolean;
}

export interface HelloContext {
  readonly localPort: number;
  readonly nowSec: number;
  readonly replay: ReplayCache;
  readonly random: RandomSource;
  /** A 32-byte X25519 public key for the ServerHello key_share. */
  readonly keyShare: () => Uint8Array;
}

export type FrontReason =
  | "not-tls-hello"
  | "unknown-sni"
  | "port-80"
  | "trailing-data"
  | "too-long"
  | "replayed-random"
  | "bad-hmac"
  | "bad-timestamp"
  | "no-tls13-cipher";

export type HelloOutcome =
  | { readonly kind: "need-more" }
  | { readonly kind: "front"; readonly domain: string; readonly reason: FrontReason }
  | {
      readonly kind: "accept";
      readonly secretIndex: number;
      readonly domain: string;
      /** ServerHello + CCS + fake ApplicationData, to send as one write. */
      readonly response: Uint8Array;
      /** Bytes of the input the hello used (the whole buffer). */
      readonly consumed: number;
      /** The client's claimed Unix time. */
      readonly timestamp: number;
    };

/** §0 rule 1 / §4.3 check 1 on the first 5 bytes. */
export function looksLikeClientHello(b: Uint8Array, strict: boolean): boolean {
  if (b.length < 5 || b[0] !== 0x16 || b[1] !== 0x03 || b[2] !== 0x01) return false;
  if (strict) return b[3] === 0x02;
  return ((b[3]! << 8) | b[4]!) >= MIN_RELAXED_RECORD_LEN;
}

export function acceptClientHello(b: Uint8Array, settings: FakeTlsSettings, ctx: HelloContext): HelloOutcome {
  const len = b.length;
  if (len < 5) return { kind: "need-more" };
  const front = (domain: string, reason: FrontReason): HelloOutcome => ({ kind: "front", domain, reason });
  if (!looksLikeClientHello(b, settings.strictHello)) return front(settings.defaultDomain, "not-tls-hello");
  const recordEnd = 5 + ((b[3]! << 8) | b[4]!);
  if (len < recordEnd) return { kind: "need-more" };
  const readLen = Math.min(len, MAX_HELLO_BYTES);
  const domain = sniDomain(b.subarray(0, readLen));
  const profile = domain === null ? undefined : settings.domains.get(domain);
  if (domain === null || profile === undefined) return front(settings.defaultDomain, "unknown-sni");
  if (ctx.localPort === 80) return front(domain, "port-80");
  if (len > recordEnd) return front(domain, "trailing-data");
  if (len !== readLen) return front(domain, "too-long");

  const clientRandom = Uint8Array.from(b.subarray(RANDOM_OFFSET, RANDOM_OFFSET + RANDOM_LEN));
  if (ctx.replay.has(clientRandom)) return front(domain, "replayed-random");
  // C caches the random before it knows whether the hello is genuine (§4.3 step 8).
  ctx.replay.add(clientRandom, ctx.nowSec);

  const zeroed = Buffer.from(b);
  zeroed.fill(0, RANDOM_OFFSET, RANDOM_OFFSET + RANDOM_LEN);
  const match = matchHelloHmac(zeroed, clientRandom, settings.secrets);
  if (match === null) return front(domain, "bad-hmac");
  if (!isAllowedTimestamp(match.timestamp, ctx.nowSec, ctx.replay.oldestTime())) return front(domain, "bad-timestamp");

  const cipher = chooseCipherSuite(zeroed);
  if (cipher === null) return front(domain, "no-tls13-cipher");

  const response = buildServerHello({
    secret: settings.secrets[match.secretIndex]!,
    clientRandom,
    sessionId: b.subarray(44, 76),
    cipherByte: cipher,
    reversedOrder: profile.reversedOrder,
    encryptedSize: encryptedSizeFor(profile, ctx.random),
    keyShare: ctx.keyShare(),
    appData: (n) => ctx.random.bytes(n),
  });
  return { kind: "accept", secretIndex: match.secretIndex, domain, response, consumed: len, timestamp: match.timestamp };
}

/**
 * §4.4: HMAC-SHA256(secret, hello with the random zeroed) must equal the random's first 28 bytes;
 * the last 4 carry the timestamp XORed in (LE, signed).
 */
export function matchHelloHmac(
  zeroedHello: Uint8Array,
  clientRandom: Uint8Array,
  secrets: readonly Uint8Array[],
): { secretIndex: number; timestamp: number } | null {
  const cr = Buffer.from(clientRandom.buffer, clientRandom.byteOffset, RANDOM_LEN);
  for (let i = 0; i < secrets.length; i++) {
    const h = hmacSha256(secrets[i]!, zeroedHello);
    if (h.compare(cr, 0, 28, 0, 28) === 0) {
      return { secretIndex: i, timestamp: h.readInt32LE(28) ^ cr.readInt32LE(28) };
    }
  }
  return null;
}

/** get_sni_domain_info: the single host_name of extension 0, or null. Assumes a 32-byte session id. */
export function sniDomain(b: Uint8Array): string | null {
  const len = b.length;
  const u16 = (p: number): number => (b[p]! << 8) | b[p + 1]!;
  let pos = 76;
  if (pos + 2 > len) return null;
  const suites = u16(pos);
  pos += 2;
  if (pos + suites + 4 > len) return null;
  pos += suites + 4; // one compression method (01 00) and the unchecked extensions length
  for (;;) {
    if (pos + 4 > len) return null;
    const type = u16(pos);
    const extLen = u16(pos + 2);
    pos += 4;
    if (pos + extLen > len) return null;
    if (type !== 0) {
      pos += extLen;
      continue;
    }
    if (pos + 5 > len) return null;
    if (u16(pos) !== extLen - 2 || b[pos + 2] !== 0) return null;
    const nameLen = u16(pos + 3);
    if (nameLen !== extLen - 5) return null;
    const name = b.subarray(pos + 5, pos + 5 + nameLen);
    if (name.includes(0)) return null;
    return Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString("latin1");
  }
}

/** §4.7 cipher choice: skip GREASE pairs, then require 13 01..13 03; returns the second byte. */
export function chooseCipherSuite(b: Uint8Array): number | null {
  let pos = 76;
  if (pos + 2 > b.length) return null;
  let n = (b[pos]! << 8) | b[pos + 1]!;
  pos += 2;
  if (pos + n > b.length) return null;
  while (n >= 2 && (b[pos]! & 0x0f) === 0x0a && (b[pos + 1]! & 0x0f) === 0x0a) {
    n -= 2;
    pos += 2;
  }
  if (n <= 1 || b[pos] !== 0x13 || b[pos + 1]! < 0x01 || b[pos + 1]! > 0x03) return null;
  return b[pos + 1]!;
}
