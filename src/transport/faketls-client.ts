// The client role of fake TLS (tdlib TlsHelloStore::finish): a ClientHello whose random is the
// HMAC of the hello under the secret with the Unix time XORed into its last 4 bytes (§4.4).
// Used by the test client; the layout is the C probe template, optionally padded to a modern size.

import { hmacSha256 } from "../crypto/hash.ts";
import type { RandomSource } from "../crypto/random.ts";
import { buildProbeClientHello, PROBE_HELLO_LEN } from "./domain-probe.ts";

/** Writes HMAC(secret, hello with zero random) ^ LE(ts) into bytes 11..43 of a copy. */
export function finishClientHello(hello: Uint8Array, secret: Uint8Array, nowSec: number): Buffer {
  const h = Buffer.from(hello);
  h.fill(0, 11, 43);
  const mac = hmacSha256(secret, h);
  mac.writeInt32LE(mac.readInt32LE(28) ^ (nowSec | 0), 28);
  mac.copy(h, 11);
  return h;
}

export interface ClientHelloOptions {
  readonly secret: Uint8Array;
  readonly domain: string;
  readonly nowSec: number;
  readonly random: RandomSource;
  readonly keyShare: () => Uint8Array;
  /** Total bytes (>= 517): grows the padding extension, like tdlib's ~1.8 KB hellos. */
  readonly totalLength?: number;
}

export function buildClientHello(opts: ClientHelloOptions): Buffer {
  let hello = buildProbeClientHello(opts.domain, opts.random, opts.keyShare);
  const total = opts.totalLength ?? PROBE_HELLO_LEN;
  if (total !== PROBE_HELLO_LEN) {
    if (total < PROBE_HELLO_LEN || total > 0xffff) throw new RangeError(`hello length ${total}`);
    const delta = total - PROBE_HELLO_LEN;
    hello = Buffer.concat([hello, Buffer.alloc(delta)]);
    hello.writeUInt16BE(total - 5, 3); // record length
    hello.writeUInt16BE(total - 9, 7); // handshake length (the top byte at 6 stays 0)
    const extLenAt = 76 + 2 + hello.readUInt16BE(76) + 2; // after suites and "01 00"
    hello.writeUInt16BE(hello.readUInt16BE(extLenAt) + delta, extLenAt);
    // The padding extension (type 00 15) is last: its length field sits right before the old padding.
    const oldPad = findPaddingLength(hello);
    hello.writeUInt16BE(oldPad.length + delta, oldPad.at);
  }
  return finishClientHello(hello, opts.secret, opts.nowSec);
}

function findPaddingLength(h: Buffer): { at: number; length: number } {
  let pos = 76;
  pos += 2 + h.readUInt16BE(pos) + 2 + 2;
  while (pos + 4 <= h.length) {
    const type = h.readUInt16BE(pos);
    const len = h.readUInt16BE(pos + 2);
    if (type === 0x15) return { at: pos + 2, length: len };
    pos += 4 + len;
  }
  throw new Error("probe hello template has no padding extension");
}
