// Client→proxy frame decoder for the three obfuscated transports, incremental over any chunking.
// Mirrors the frame loop of net-tcp-rpc-ext-server.c: tcp_rpcs_compact_parse_execute (client-side.md §3.1–3.5),
// including its quirk of not looking at a frame until min+8 bytes are buffered (min = 1 abridged, 4 otherwise).

import { u32le } from "../io/le.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import { abridgedHeaderWord, parseAbridgedHeader } from "./abridged.ts";
import { intermediateHeaderWord, parseIntermediateHeader } from "./intermediate.ts";
import type { ClientPacket, ClientTransport, DecodeResult, FrameDecoder, PacketHandler, ProtocolError } from "./codec.ts";

/** Bytes C wants buffered before it parses a header: min + 8 (§3.1). */
export function minBufferedBeforeParse(transport: ClientTransport): number {
  return (transport === "abridged" ? 1 : 4) + 8;
}

export function createFrameDecoder(transport: ClientTransport): FrameDecoder {
  const queue = new ChunkQueue();
  const threshold = minBufferedBeforeParse(transport);
  const padded = transport === "padded";
  const abridged = transport === "abridged";

  const headerError = (first4: number): ProtocolError => {
    const h = abridged ? parseAbridgedHeader(first4) : parseIntermediateHeader(first4, padded);
    if (h.kind !== "error") throw new Error("header word and header parse disagree");
    return h.error;
  };

  // Frames are cut straight from the chunk while nothing is buffered (the common case: a read holds
  // whole frames), so the queue, and the write barrier of storing into it, is only for leftovers.
  const pushEach = (chunk: Uint8Array, onPacket: PacketHandler): ProtocolError | null => {
    if (queue.length > 0) return fromQueue(chunk, onPacket);
    const n = chunk.length;
    let pos = 0;
    while (n - pos >= threshold) {
      const first4 = u32le(chunk, pos);
      const h = abridged ? abridgedHeaderWord(first4) : intermediateHeaderWord(first4, padded);
      if (h < 0) return headerError(first4);
      const start = pos + (h & 7);
      const length = h >>> 4;
      if (n - start < length) break;
      pos = start + length;
      onPacket(chunk, start, padded ? start + (length & ~3) : pos, (h & 8) !== 0);
    }
    if (pos < n) queue.push(pos === 0 ? chunk : chunk.subarray(pos));
    return null;
  };

  const fromQueue = (chunk: Uint8Array, onPacket: PacketHandler): ProtocolError | null => {
    queue.push(chunk);
    while (queue.length >= threshold) {
      const first4 = queue.u32le();
      const h = abridged ? abridgedHeaderWord(first4) : intermediateHeaderWord(first4, padded);
      if (h < 0) return headerError(first4);
      const headerBytes = h & 7;
      const length = h >>> 4;
      if (queue.length < headerBytes + length) break;
      queue.skip(headerBytes);
      const body = queue.take(length);
      onPacket(body, 0, padded ? length & ~3 : length, (h & 8) !== 0);
    }
    return null;
  };

  return {
    get bufferedBytes() {
      return queue.length;
    },
    pushEach,
    push(chunk: Uint8Array): DecodeResult {
      const packets: ClientPacket[] = [];
      const error = pushEach(chunk, (bytes, start, end, quickAck) => packets.push({ payload: bytes.subarray(start, end), quickAck }));
      return error ? { kind: "error", packets, error } : { kind: "ok", packets };
    },
  };
}
