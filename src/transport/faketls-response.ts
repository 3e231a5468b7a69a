// The fake ServerHello + ChangeCipherSpec + ApplicationData answer to an accepted ClientHello,
// and the client-side check of it. Mirrors the response builder in net-tcp-rpc-ext-server.c:
// tcp_rpcs_compact_parse_execute and tdlib TlsInit::wait_hello_response (client-side.md §4.7).
//
//   0 16 03 03 00 7a | 5 02 00 00 76 | 9 03 03 | 11 server random (32) | 43 20 | 44 session id (32)
//   76 13 cc | 78 00 | 79 00 2e | 81 key_share (40) + supported_versions (6), order per domain
//   127 14 03 03 00 01 01 | 133 17 03 03 EE EE | 138 E random bytes
// Server random = HMAC-SHA256(secret, client random ‖ response with the random zeroed).

import { generateKeyPairSync } from "node:crypto";
import { hmacSha256 } from "../crypto/hash.ts";

export const SERVER_HELLO_FIXED_LEN = 138;
const KEY_SHARE_HEAD = Buffer.from("00330024001d0020", "hex");
const SUPPORTED_VERSIONS = Buffer.from("002b00020304", "hex");
const CCS = Buffer.from("140303000101", "hex");

export interface ServerHelloParams {
  readonly secret: Uint8Array;
  /** The 32 bytes as received (timestamp XOR included). */
  readonly clientRandom: Uint8Array;
  /** Client bytes 44..76, copied whatever the client's length byte says. */
  readonly sessionId: Uint8Array;
  /** 0x01..0x03: the suite 13 xx echoed back. */
  readonly cipherByte: number;
  readonly reversedOrder: boolean;
  readonly encryptedSize: number;
  readonly keyShare: Uint8Array;
  readonly appData: (n: number) => Uint8Array;
}

export function buildServerHello(p: ServerHelloParams): Buffer {
  const r = Buffer.allocUnsafe(SERVER_HELLO_FIXED_LEN + p.encryptedSize);
  r.set([0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03], 0);
  r.fill(0, 11, 43);
  r[43] = 0x20;
  r.set(p.sessionId.subarray(0, 32), 44);
  r.set([0x13, p.cipherByte, 0x00, 0x00, 0x2e], 76);
  const keyShareAt = p.reversedOrder ? 87 : 81;
  const versionsAt = p.reversedOrder ? 81 : 121;
  r.set(KEY_SHARE_HEAD, keyShareAt);
  r.set(p.keyShare.subarray(0, 32), keyShareAt + 8);
  r.set(SUPPORTED_VERSIONS, versionsAt);
  r.set(CCS, 127);
  r.set([0x17, 0x03, 0x03, (p.encryptedSize >>> 8) & 0xff, p.encryptedSize & 0xff], 133);
  r.set(p.appData(p.encryptedSize), SERVER_HELLO_FIXED_LEN);
  hmacSha256(p.secret, p.clientRandom, r).copy(r, 11);
  return r;
}

export type ServerHelloCheck =
  | { readonly kind: "need-more" }
  | { readonly kind: "bad"; readonly reason: string }
  | { readonly kind: "ok"; readonly consumed: number };

/**
 * Client side (tdlib): one 16 03 03 record of any length, then exactly 14 03 03 00 01 01 17 03 03
 * and one more record; the server random must be the HMAC described above.
 */
export function checkServerHello(buf: Uint8Array, secret: Uint8Array, clientRandom: Uint8Array): ServerHelloCheck {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 5) return { kind: "need-more" };
  if (b[0] !== 0x16 || b[1] !== 0x03 || b[2] !== 0x03) return { kind: "bad", reason: "not a handshake record" };
  const hello = 5 + b.readUInt16BE(3);
  if (b.length < hello + 11) return { kind: "need-more" };
  if (!b.subarray(hello, hello + 9).equals(Buffer.from("140303000101170303", "hex"))) {
    return { kind: "bad", reason: "no CCS + application data" };
  }
  const end = hello + 11 + b.readUInt16BE(hello + 9);
  if (b.length < end) return { kind: "need-more" };
  if (hello < 43) return { kind: "bad", reason: "short ServerHello" };
  const zeroed = Buffer.from(b.subarray(0, end));
  zeroed.fill(0, 11, 43);
  const expect = hmacSha256(secret, clientRandom, zeroed);
  if (!expect.equals(b.subarray(11, 43))) return { kind: "bad", reason: "server random HMAC mismatch" };
  return { kind: "ok", consumed: end };
}

/**
 * A fresh X25519 public key for the key_share (~11 µs in Bun). C draws its own valid curve point
 * (generate_public_key); clients do not validate it, and a real key is indistinguishable from one.
 */
export function x25519PublicKey(): Uint8Array {
  const der = generateKeyPairSync("x25519").publicKey.export({ format: "der", type: "spki" });
  return der.subarray(der.length - 32);
}
