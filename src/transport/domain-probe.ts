// Pure parts of the start-up probe of each -D domain: the 517-byte ClientHello, the parse of one
// server answer, the combination of 20 answers, and the fallback. Mirrors net-tcp-rpc-ext-server.c:
// create_request / check_response / update_domain_info / get_domain_server_hello_encrypted_size (§4.2).

import type { RandomSource } from "../crypto/random.ts";

/** How the fake ServerHello imitates a domain (C struct domain_info minus the address). */
export interface DomainProfile {
  /** supported_versions before key_share in the ServerHello. */
  readonly reversedOrder: boolean;
  /** Base length of the fake encrypted-application-data record. */
  readonly encryptedSize: number;
  /** Per connection add -1/0/0/+1 to the base. */
  readonly randomised: boolean;
}

export const PROBE_HELLO_LEN = 517;
export const PROBE_CONNECTIONS = 20;
export const PROBE_TIMEOUT_MS = 5000;

const hex = (s: string): Buffer => Buffer.from(s, "hex");
const CIPHERS_AND_EXT_HEAD = hex("130113021303c02bc02fc02cc030cca9cca8c013c014009c009d002f0035000a01000191");
const EXT_MIDDLE = hex("00170000ff01000100000a000a0008");
const EXT_GROUPS_TO_KEYSHARE = hex(
  "001d00170018000b00020100002300000010000e000c02683208687474702f312e31000500050100000000000d00140012040308040401050308050501080606010201001200000033002b0029",
);

/**
 * The probe hello (a 2019 Chrome-like template): random draws in C order — 7 GREASE bytes,
 * 32-byte client random, 32-byte session id — then the X25519 key share from `keyShare`.
 */
export function buildProbeClientHello(domain: string, random: RandomSource, keyShare: () => Uint8Array): Buffer {
  const g = random.bytes(7);
  for (let i = 0; i < 7; i++) g[i] = (g[i]! & 0xf0) | 0x0a;
  for (let i = 1; i < 7; i += 2) if (g[i] === g[i - 1]) g[i] = g[i]! ^ 0x10;
  const grease = (i: number): Buffer => Buffer.from([g[i]!, g[i]!]);
  const d = Buffer.from(domain, "latin1");
  const u16 = (n: number): Buffer => Buffer.from([(n >>> 8) & 0xff, n & 0xff]);
  const parts = [
    hex("1603010200010001fc0303"),
    random.bytes(32),
    hex("20"),
    random.bytes(32),
    hex("0022"),
    grease(0),
    CIPHERS_AND_EXT_HEAD,
    grease(2),
    hex("00000000"),
    u16(d.length + 5),
    u16(d.length + 3),
    hex("00"),
    u16(d.length),
    d,
    EXT_MIDDLE,
    grease(4),
    EXT_GROUPS_TO_KEYSHARE,
    grease(4),
    hex("000100001d0020"),
    Buffer.from(keyShare()),
    hex("002d00020101002b000b0a"),
    grease(6),
    hex("0304030303020301001b0003020002"),
    grease(3),
    hex("0001000015"),
  ];
  const body = Buffer.concat(parts);
  const padLen = PROBE_HELLO_LEN - 2 - body.length;
  if (padLen < 0) throw new RangeError(`domain ${domain} is too long for the probe hello`);
  return Buffer.concat([body, u16(padLen), Buffer.alloc(padLen)]);
}

export interface ProbeAnswer {
  readonly reversed: boolean;
  readonly encryptedSize: number;
}

export type ProbeParse =
  | { readonly kind: "need-more" }
  | { readonly kind: "error"; readonly reason: string }
  | ({ readonly kind: "ok" } & ProbeAnswer);

// The HelloRetryRequest magic server random (RFC 8446 §4.1.3).
const HRR_RANDOM = hex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

/**
 * Parses the start of one server answer to the probe: ServerHello, CCS, one application-data
 * record. Bytes after that are ignored (C never reads them).
 */
export function parseProbeResponse(buf: Uint8Array, requestSessionId: Uint8Array): ProbeParse {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 5) return { kind: "need-more" };
  if (b[0] !== 0x16 || b[1] !== 0x03 || b[2] !== 0x03) return { kind: "error", reason: "non-TLS response or TLS <= 1.1" };
  const helloLen = b.readUInt16BE(3);
  const head = 5 + helloLen + 11;
  if (b.length < head) return { kind: "need-more" };
  if (!b.subarray(head - 11, head - 2).equals(hex("140303000101170303"))) return { kind: "error", reason: "no TLS 1.3 support" };
  const encLen = b.readUInt16BE(head - 2);
  if (b.length < head + encLen) return { kind: "need-more" };
  return checkProbeResponse(b.subarray(0, head + encLen), requestSessionId);
}

function checkProbeResponse(r: Buffer, sid: Uint8Array): ProbeParse {
  const fail = (reason: string): ProbeParse => ({ kind: "error", reason });
  const helloLen = r.readUInt16BE(3);
  if (helloLen <= 39) return fail("too short ServerHello");
  if (r[5] !== 0x02 || r[6] !== 0x00 || r[9] !== 0x03 || r[10] !== 0x03) return fail("not a ServerHello");
  if (r.subarray(11, 43).equals(HRR_RANDOM)) return fail("HelloRetryRequest is not supported");
  if (r[43] === 0) return fail("TLS <= 1.2: empty session id");
  if (r[43] !== 0x20) return fail("unexpected session id length");
  if (helloLen <= 75) return fail("too short ServerHello 2");
  if (!r.subarray(44, 76).equals(sid)) return fail("session id not mirrored");
  if (r[76] !== 0x13 || r[77] !== 0x01 || r[78] !== 0x00) return fail("cipher is not TLS_AES_128_GCM_SHA256");
  if (r.readUInt16BE(79) + 76 !== helloLen) return fail("wrong extensions length");
  let pos = 81;
  let sum = 0;
  let reversed = false;
  while (pos < 5 + helloLen - 4) {
    const id = r.readUInt16BE(pos);
    pos += 2;
    if (id !== 0x33 && id !== 0x2b) return fail("unexpected extension");
    if (pos === 83) reversed = id === 0x2b;
    sum += id;
    const len = r.readUInt16BE(pos);
    pos += 2;
    if (pos + len > 5 + helloLen) return fail("wrong extension length");
    if (len !== (id === 0x33 ? 36 : 2)) return fail("unexpected extension length");
    pos += len;
  }
  if (sum !== 0x33 + 0x2b) return fail("duplicate extensions");
  if (pos !== 5 + helloLen) return fail("wrong extensions list");
  const encryptedSize = r.readUInt16BE(pos + 9);
  if (encryptedSize === 0) return fail("empty encrypted application data");
  return { kind: "ok", reversed, encryptedSize };
}

export interface CombinedProbe extends DomainProfile {
  /** The 20 answers disagreed on the extension order (C logs a warning). */
  readonly mixedOrder: boolean;
}

/** update_domain_info step 4: order from the minimum, size fixed / max-1 / rounded mean. */
export function combineProbeAnswers(answers: readonly ProbeAnswer[]): CombinedProbe {
  if (answers.length === 0) throw new RangeError("no probe answers");
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let anyNormal = false;
  let anyReversed = false;
  for (const a of answers) {
    min = Math.min(min, a.encryptedSize);
    max = Math.max(max, a.encryptedSize);
    sum += a.encryptedSize;
    if (a.reversed) anyReversed = true;
    else anyNormal = true;
  }
  const reversedOrder = !anyNormal;
  const mixedOrder = anyNormal && anyReversed;
  if (min === max) return { reversedOrder, encryptedSize: min, randomised: false, mixedOrder };
  if (max - min <= 3) return { reversedOrder, encryptedSize: max - 1, randomised: true, mixedOrder };
  return { reversedOrder, encryptedSize: Math.floor(sum / answers.length + 0.5), randomised: true, mixedOrder };
}

/** tcp_rpc_init_proxy_domains fallback after a failed probe: 2500 + rand() % 1120, randomised. */
export function fallbackProfile(random: RandomSource): DomainProfile {
  return { reversedOrder: false, encryptedSize: 2500 + random.int(1120), randomised: true };
}

/** get_domain_server_hello_encrypted_size: base-1 (¼), base (½), base+1 (¼) when randomised. */
export function encryptedSizeFor(profile: DomainProfile, random: RandomSource): number {
  if (!profile.randomised) return profile.encryptedSize;
  const r = random.int(4);
  return profile.encryptedSize + ((r >> 1) & 1) - (r & 1);
}
