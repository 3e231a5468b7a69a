// The shared contract of the client-facing codec layers (STYLE.md "Codec stack"): decoders turn
// hostile bytes into values (packets, need-more or a ProtocolError), never throws.
// Limits mirror net-tcp-rpc-ext-server.c: tcp_rpcs_compact_parse_execute (client-side.md §3).

export type ClientTransport = "abridged" | "intermediate" | "padded";

/** MAX_POST_SIZE = 262144*4 - 4096 (mtproto-proxy.c: ext_rpc_methods.max_packet_len), §3.5. */
export const MAX_PACKET_LEN = 1_044_480;
/** MAX_CONNECTION_BUFFER_SPACE = 1 << 25 (mtproto-proxy.c: check_conn_buffers), §3.7 step 1. */
export const MAX_CONNECTION_BUFFER_BYTES = 1 << 25;

export type ProtocolErrorCode =
  | "bad-length" // zero length, bit 30, not a multiple of 4, padded 1..3
  | "overlong-abridged" // 0x7f header carrying < 0x7f words
  | "too-long" // over MAX_PACKET_LEN
  | "bad-tls-header" // a record that is not 17 03 03, or a bad first flight
  | "short-first-record" // first application-data record < 64 bytes
  | "buffer-overflow"; // more than the per-connection byte cap is buffered

export interface ProtocolError {
  readonly code: ProtocolErrorCode;
  readonly message: string;
}

export function protocolError(code: ProtocolErrorCode, message: string): ProtocolError {
  return { code, message };
}

/** One whole MTProto transport packet from the client. */
export interface ClientPacket {
  readonly payload: Uint8Array;
  /** The frame's quick-ack bit (RPC_PROXY_REQ flag 0x80000000). */
  readonly quickAck: boolean;
}

/** Packets decoded before an error are still delivered: C executes them before failing. */
export type DecodeResult =
  | { readonly kind: "ok"; readonly packets: ClientPacket[] }
  | { readonly kind: "error"; readonly packets: ClientPacket[]; readonly error: ProtocolError };

/**
 * Receives each packet as it is cut: its payload is bytes[start, end), in the pushed chunk when it
 * fits in one (no view is cut for it), else in a copy. Valid only during the call. An object with a
 * method, not a callback: the data path's sink is the client session itself, so a client holds no
 * closure (and no captured scope) for it for its whole life.
 */
export interface PacketSink {
  clientPacket(bytes: Uint8Array, start: number, end: number, quickAck: boolean): void;
}

/** Runs a packet-at-a-time decode (`decodeEach(sink)`) and collects what it cuts into a DecodeResult. */
export function collectPackets(decodeEach: (sink: PacketSink) => ProtocolError | null): DecodeResult {
  const packets: ClientPacket[] = [];
  const error = decodeEach({ clientPacket: (bytes, start, end, quickAck) => packets.push({ payload: bytes.subarray(start, end), quickAck }) });
  return error ? { kind: "error", packets, error } : { kind: "ok", packets };
}

/** An incremental decoder over arbitrarily chunked input. The pushed chunk now belongs to it. */
export interface FrameDecoder {
  push(chunk: Uint8Array): DecodeResult;
  /**
   * push() without result objects (the data path): each packet goes to `sink` as it is cut;
   * returns the error that ends the stream after the packets before it, or null.
   */
  pushEach(chunk: Uint8Array, sink: PacketSink): ProtocolError | null;
  /** Bytes held while waiting for the rest of a frame. */
  readonly bufferedBytes: number;
}
