// Client→proxy frame decoder for the three obfuscated transports, incremental over any chunking.
// Mirrors the frame loop of net-tcp-rpc-ext-server.c: tcp_rpcs_compact_parse_execute (client-side.md §3.1–3.5),
// including its quirk of not looking at a frame until min+8 bytes are buffered (min = 1 abridged, 4 otherwise).

import { ChunkQueue } from "./chunk-queue.ts";
import { parseAbridgedHeader, type HeaderParse } from "./abridged.ts";
import { parseIntermediateHeader } from "./intermediate.ts";
import type { ClientPacket, ClientTransport, DecodeResult, FrameDecoder } from "./codec.ts";

/** Bytes C wants buffered before it parses a header: min + 8 (§3.1). */
export function minBufferedBeforeParse(transport: ClientTransport): number {
  return (transport === "abridged" ? 1 : 4) + 8;
}

export function createFrameDecoder(transport: ClientTransport): FrameDecoder {
  const queue = new ChunkQueue();
  const threshold = minBufferedBeforeParse(transport);
  const padded = transport === "padded";
  const parse: (first4: number) => HeaderParse =
    transport === "abridged" ? parseAbridgedHeader : (v) => parseIntermediateHeader(v, padded);

  return {
    get bufferedBytes() {
      return queue.length;
    },
    push(chunk: Uint8Array): DecodeResult {
      queue.push(chunk);
      const packets: ClientPacket[] = [];
      while (queue.length >= threshold) {
        const h = parse(queue.u32le());
        if (h.kind === "error") return { kind: "error", packets, error: h.error };
        if (queue.length < h.headerBytes + h.length) break;
        queue.skip(h.headerBytes);
        const body = queue.take(h.length);
        packets.push({ payload: padded ? body.subarray(0, h.length & ~3) : body, quickAck: h.quickAck });
      }
      return { kind: "ok", packets };
    },
  };
}
