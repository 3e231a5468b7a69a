// The client role of the same protocol: what a Telegram app does, and what the proxy does in
// direct mode towards a DC. Client framing → CTR encrypt (→ TLS records) out; (TLS records →)
// CTR decrypt → server framing in. tdlib TcpTransport / TlsInit, client-side.md §2–4.

import type { CtrStream } from "../crypto/aes.ts";
import type { RandomSource } from "../crypto/random.ts";
import type { ClientTransport } from "./codec.ts";
import { createServerFrameDecoder, encodeClientFrame, type ServerDecodeResult } from "./client-frames.ts";
import { createTlsRecordReader, encodeTlsRecords, TLS_CLIENT_RECORD_PAYLOAD } from "./faketls-records.ts";

export interface OutboundStackOptions {
  readonly transport: ClientTransport;
  /** From createObfuscated2Init: encrypt at offset 64, decrypt at 0. */
  readonly encrypt: CtrStream;
  readonly decrypt: CtrStream;
  /** Wrap in 17 03 03 records (after the fake-TLS handshake). */
  readonly tls: boolean;
  readonly random: RandomSource;
}

export interface OutboundStack {
  /** Frames and encrypts packets for one write (without TLS records when `rawFirst` is set). */
  encode(packets: readonly { payload: Uint8Array; quickAck?: boolean }[], rawFirst?: boolean): Uint8Array;
  /** Bytes from the server → packets and quick acks. */
  decode(chunk: Uint8Array): ServerDecodeResult;
}

export function createOutboundStack(opts: OutboundStackOptions): OutboundStack {
  const frames = createServerFrameDecoder(opts.transport);
  const records = opts.tls ? createTlsRecordReader(0) : null;
  return {
    encode(packets, rawFirst = false) {
      const parts: Uint8Array[] = [];
      for (const p of packets) encodeClientFrame(opts.transport, p.payload, p.quickAck ?? false, opts.random, parts);
      const cipherText = opts.encrypt.update(Buffer.concat(parts));
      return records && !rawFirst ? encodeTlsRecords(cipherText, TLS_CLIENT_RECORD_PAYLOAD) : cipherText;
    },
    decode(chunk) {
      if (!records) return frames.push(opts.decrypt.update(chunk));
      const r = records.push(chunk);
      const res = frames.push(opts.decrypt.update(Buffer.concat(r.payload)));
      if (r.kind === "error" && res.kind === "ok") return { kind: "error", events: res.events, error: r.error };
      return res;
    },
  };
}
