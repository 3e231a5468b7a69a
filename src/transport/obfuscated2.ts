// Obfuscated2: the 64-byte init that keys both AES-256-CTR streams and picks the framing.
// Server side mirrors net-tcp-rpc-ext-server.c: tcp_rpcs_compact_parse_execute; client side
// mirrors tdlib ObfuscatedTransport::init (client-side.md §2).
//
//   0        8                        40              56     60   62   64
//   | random | key material (32)      | IV (16)       | tag  | dc | rnd |
// Wire: bytes 0..56 in clear, 56..64 encrypted with the client's output stream.
// Read key = SHA256(W[8..40) ‖ S), IV W[40..56); write key/IV from the same 48 bytes reversed
// (no SHA-256 without a secret). The read stream is at offset 64 after the init, write at 0.

import { createAesCtr, type CtrStream } from "../crypto/aes.ts";
import { sha256 } from "../crypto/hash.ts";
import type { RandomSource } from "../crypto/random.ts";
import type { ClientTransport } from "./codec.ts";

export const OBFS2_INIT_LEN = 64;
export const TAG_ABRIDGED = 0xefefefef;
export const TAG_INTERMEDIATE = 0xeeeeeeee;
export const TAG_PADDED = 0xdddddddd;

export function transportForTag(tag: number): ClientTransport | null {
  if (tag === TAG_ABRIDGED) return "abridged";
  if (tag === TAG_INTERMEDIATE) return "intermediate";
  if (tag === TAG_PADDED) return "padded";
  return null;
}

export function tagForTransport(t: ClientTransport): number {
  return t === "abridged" ? TAG_ABRIDGED : t === "intermediate" ? TAG_INTERMEDIATE : TAG_PADDED;
}

export interface Obfs2Keys {
  readonly readKey: Uint8Array;
  readonly readIv: Uint8Array;
  readonly writeKey: Uint8Array;
  readonly writeIv: Uint8Array;
}

/** Server-side keys for one candidate secret (null = no-secret mode), §2.3. */
export function deriveServerKeys(init: Uint8Array, secret: Uint8Array | null): Obfs2Keys {
  const rev = Uint8Array.from(init.subarray(8, 56)).reverse();
  const keyMat = init.subarray(8, 40);
  const writeMat = rev.subarray(0, 32);
  return {
    readKey: secret ? sha256(keyMat, secret) : Uint8Array.from(keyMat),
    readIv: Uint8Array.from(init.subarray(40, 56)),
    writeKey: secret ? sha256(writeMat, secret) : writeMat,
    writeIv: rev.subarray(32, 48),
  };
}

export type Obfs2Accept =
  | {
      readonly kind: "ok";
      readonly transport: ClientTransport;
      /** Signed int16 at 60 (backend selection, §2.4). */
      readonly dc: number;
      readonly secretIndex: number;
      /** Client→proxy stream, already advanced past the 64 init bytes. */
      readonly readCipher: CtrStream;
      /** Proxy→client stream at offset 0. */
      readonly writeCipher: CtrStream;
    }
  /** TLS-only mode and the first matching secret gave ef/ee: C fronts to the default domain. */
  | { readonly kind: "front"; readonly transport: ClientTransport; readonly secretIndex: number }
  /** No secret yields a tag: C blackholes (skip 2^28 bytes, §2.5). */
  | { readonly kind: "no-match" };

/**
 * Matches the 64 received bytes against the secrets in order (an empty list = no-secret mode).
 * `onlyPadded` is C's allow_only_tls (-D given): only tag dd is accepted.
 */
export function acceptObfuscated2(init: Uint8Array, secrets: readonly Uint8Array[], onlyPadded: boolean): Obfs2Accept {
  if (init.length < OBFS2_INIT_LEN) throw new RangeError("obfuscated2 init needs 64 bytes");
  const head = init.subarray(0, OBFS2_INIT_LEN);
  const tries = secrets.length === 0 ? [null] : secrets;
  for (let i = 0; i < tries.length; i++) {
    const keys = deriveServerKeys(head, tries[i]!);
    const read = createAesCtr(keys.readKey, keys.readIv);
    const d = read.update(head);
    const transport = transportForTag(d.readUInt32LE(56));
    if (transport === null) continue;
    if (onlyPadded && transport !== "padded") return { kind: "front", transport, secretIndex: i };
    return {
      kind: "ok",
      transport,
      dc: d.readInt16LE(60),
      secretIndex: i,
      readCipher: read,
      writeCipher: createAesCtr(keys.writeKey, keys.writeIv),
    };
  }
  return { kind: "no-match" };
}

// tdlib regenerates the header while its first bytes could be mistaken for another transport (§2.2).
const FORBIDDEN_FIRST_WORDS = new Set([
  0x44414548, 0x54534f50, 0x20544547, 0x4954504f, 0xdddddddd, 0xeeeeeeee, 0x02010316,
]);

export function isAllowedClientHeaderStart(p: Uint8Array): boolean {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return p[0] !== 0xef && !FORBIDDEN_FIRST_WORDS.has(view.getUint32(0, true)) && view.getUint32(4, true) !== 0;
}

export interface Obfs2ClientInit {
  /** The 64 bytes to send: P[0..56) ‖ E[56..64). */
  readonly init: Uint8Array;
  /** Client→server stream, at offset 64. */
  readonly encrypt: CtrStream;
  /** Server→client stream, at offset 0. */
  readonly decrypt: CtrStream;
}

export interface Obfs2ClientOptions {
  /** 16-byte key, or null to speak to a Telegram DC directly (no secret). */
  readonly secret: Uint8Array | null;
  readonly transport: ClientTransport;
  readonly dc: number;
  readonly random: RandomSource;
  /** The init travels inside fake TLS: tdlib skips the first-bytes rules then. */
  readonly insideTls?: boolean;
}

export function createObfuscated2Init(opts: Obfs2ClientOptions): Obfs2ClientInit {
  let p = opts.random.bytes(OBFS2_INIT_LEN);
  for (let tries = 0; !opts.insideTls && !isAllowedClientHeaderStart(p); tries++) {
    if (tries > 1000) throw new Error("random source keeps producing forbidden obfuscated2 headers");
    p = opts.random.bytes(OBFS2_INIT_LEN);
  }
  const plain = Buffer.from(p);
  plain.writeUInt32LE(tagForTransport(opts.transport), 56);
  // tdlib writes the DC only when non-zero; bytes 60..61 stay random otherwise.
  if (opts.dc !== 0) plain.writeInt16LE(opts.dc, 60);
  // The client's output key is the server's read key and vice versa (mirror image, §2.3).
  const keys = deriveServerKeys(plain, opts.secret);
  const encrypt = createAesCtr(keys.readKey, keys.readIv);
  const enc = encrypt.update(plain);
  const init = Buffer.concat([plain.subarray(0, 56), enc.subarray(56, 64)]);
  return { init, encrypt, decrypt: createAesCtr(keys.writeKey, keys.writeIv) };
}
