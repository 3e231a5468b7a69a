// Client→proxy frame decoder for the three obfuscated transports, incremental over any chunking.
// Mirrors the frame loop of net-tcp-rpc-ext-server.c: tcp_rpcs_compact_parse_execute (client-side.md §3.1–3.5),
// including its quirk of not looking at a frame until min+8 bytes are buffered (min = 1 abridged, 4 otherwise).

import { u32le } from "../io/le.ts";
import { ChunkQueue } from "./chunk-queue.ts";
import { abridgedHeaderWord, parseAbridgedHeader } from "./abridged.ts";
import { intermediateHeaderWord, parseIntermediateHeader } from "./intermediate.ts";
import { collectPackets, type ClientTransport, type DecodeResult, type FrameDecoder, type PacketSink, type ProtocolError } from "./codec.ts";

/** Bytes C wants buffered before it parses a header: min + 8 (§3.1). */
export function minBufferedBeforeParse(transport: ClientTransport): number {
  return (transport === "abridged" ? 1 : 4) + 8;
}

export function createFrameDecoder(transport: ClientTransport): FrameDecoder {
  return new ClientFrameDecoder(transport);
}

// A class (one per client for its life), not closures: see ClientStackImpl in client-stack.ts.
class ClientFrameDecoder implements FrameDecoder {
  /** Leftover bytes of a frame split across reads; made at the first one (many clients never split one). */
  #queue: ChunkQueue | null = null;
  readonly #threshold: number;
  readonly #padded: boolean;
  readonly #abridged: boolean;

  constructor(transport: ClientTransport) {
    this.#threshold = minBufferedBeforeParse(transport);
    this.#padded = transport === "padded";
    this.#abridged = transport === "abridged";
  }

  get bufferedBytes(): number {
    return this.#queue?.length ?? 0;
  }

  // Frames are cut straight from the chunk while nothing is buffered (the common case: a read holds
  // whole frames), so the queue, and the write barrier of storing into it, is only for leftovers.
  pushEach(chunk: Uint8Array, sink: PacketSink): ProtocolError | null {
    const queue = this.#queue;
    if (queue !== null && queue.length > 0) return this.#fromQueue(queue, chunk, sink);
    const padded = this.#padded;
    const n = chunk.length;
    let pos = 0;
    while (n - pos >= this.#threshold) {
      const first4 = u32le(chunk, pos);
      const h = this.#headerWord(first4);
      if (h < 0) return this.#headerError(first4);
      const start = pos + (h & 7);
      const length = h >>> 4;
      if (n - start < length) break;
      pos = start + length;
      sink.clientPacket(chunk, start, padded ? start + (length & ~3) : pos, (h & 8) !== 0);
    }
    if (pos < n) (this.#queue ??= new ChunkQueue()).push(pos === 0 ? chunk : chunk.subarray(pos));
    return null;
  }

  push(chunk: Uint8Array): DecodeResult {
    return collectPackets((sink) => this.pushEach(chunk, sink));
  }

  #fromQueue(queue: ChunkQueue, chunk: Uint8Array, sink: PacketSink): ProtocolError | null {
    queue.push(chunk);
    while (queue.length >= this.#threshold) {
      const first4 = queue.u32le();
      const h = this.#headerWord(first4);
      if (h < 0) return this.#headerError(first4);
      const headerBytes = h & 7;
      const length = h >>> 4;
      if (queue.length < headerBytes + length) break;
      queue.skip(headerBytes);
      const body = queue.take(length);
      sink.clientPacket(body, 0, this.#padded ? length & ~3 : length, (h & 8) !== 0);
    }
    return null;
  }

  #headerWord(first4: number): number {
    return this.#abridged ? abridgedHeaderWord(first4) : intermediateHeaderWord(first4, this.#padded);
  }

  #headerError(first4: number): ProtocolError {
    const h = this.#abridged ? parseAbridgedHeader(first4) : parseIntermediateHeader(first4, this.#padded);
    if (h.kind !== "error") throw new Error("header word and header parse disagree");
    return h.error;
  }
}
