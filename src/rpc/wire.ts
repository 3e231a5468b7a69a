// Proxy operations on the middle-end link after the handshake (backend-rpc.md §9): RPC_PROXY_REQ
// encoding as forward_tcp_query / forward_mtproto_packet build it (mtproto-proxy.c), and decoding of
// what the ME sends, with process_client_packet's exact size rules.
import { i32le, putU32le, u32le } from "../io/le.ts";
import type { ClientTransport } from "../proxy/middle-contract.ts";
import type { Endpoint } from "./address.ts";
import {
  CODE_req_DH_params,
  CODE_req_pq,
  CODE_req_pq_multi,
  CODE_set_client_DH_params,
  MIN_ENCRYPTED_PACKET,
  MIN_PACKET,
  RPC_CLOSE_CONN,
  RPC_CLOSE_EXT,
  RPC_F_COMPACT,
  RPC_F_EXT_SERVER_MAGIC,
  RPC_F_EXTMODE2,
  RPC_F_HAS_AD_TAG,
  RPC_F_MEDIUM,
  RPC_F_NOT_ENCRYPTED,
  RPC_F_QUICKACK,
  RPC_PING,
  RPC_PONG,
  RPC_PROXY_ANS,
  RPC_PROXY_REQ,
  RPC_SIMPLE_ACK,
  TL_PROXY_TAG,
} from "./constants.ts";

export type PacketClass = "encrypted" | "unencrypted" | "invalid";

/**
 * forward_mtproto_packet's filter: ≥ 28 bytes and aligned; encrypted (auth_key_id ≠ 0) needs ≥ 56;
 * unencrypted needs a sane inner length and one of the four key-exchange functions.
 */
export function classifyClientPacket(p: Uint8Array, start = 0, end = p.length): PacketClass {
  const len = end - start;
  if (len < MIN_PACKET || len & 3) return "invalid";
  if (u32le(p, start) !== 0 || u32le(p, start + 4) !== 0) return len < MIN_ENCRYPTED_PACKET ? "invalid" : "encrypted";
  const inner = i32le(p, start + 16);
  if (inner + 20 > len || inner < 20) return "invalid";
  const fn = u32le(p, start + 20);
  return fn === CODE_req_pq || fn === CODE_req_pq_multi || fn === CODE_req_DH_params || fn === CODE_set_client_DH_params
    ? "unencrypted"
    : "invalid";
}

/** Flags as C computes them for a TCP (ext-server) client; RPC_F_PAD is never sent (ext_rpcs_execute). */
export function proxyReqFlags(transport: ClientTransport, kind: PacketClass, quickAck: boolean, hasTag: boolean): number {
  let f = (transport === "abridged" ? RPC_F_COMPACT : RPC_F_MEDIUM) | RPC_F_EXTMODE2 | RPC_F_EXT_SERVER_MAGIC;
  if (kind === "unencrypted") f |= RPC_F_NOT_ENCRYPTED;
  if (quickAck) f |= RPC_F_QUICKACK;
  if (hasTag) f |= RPC_F_HAS_AD_TAG;
  return f >>> 0;
}

/** TL string: short form (1 length byte) below 254 bytes, else fe + 3-byte length; padded to 4. */
export function tlStringLength(n: number): number {
  return (((n < 254 ? 1 : 4) + n + 3) >> 2) << 2;
}

function writeTlString(out: Uint8Array, off: number, s: Uint8Array): number {
  let o = off;
  if (s.length < 254) out[o++] = s.length;
  else {
    out[o++] = 0xfe;
    out[o++] = s.length & 0xff;
    out[o++] = (s.length >> 8) & 0xff;
    out[o++] = (s.length >> 16) & 0xff;
  }
  out.set(s, o);
  o += s.length;
  const end = off + tlStringLength(s.length);
  out.fill(0, o, end);
  return end;
}

function writeIp16(out: Uint8Array, off: number, e: Endpoint): void {
  if (e.ipv4) {
    out.fill(0, off, off + 10);
    out[off + 10] = 0xff;
    out[off + 11] = 0xff;
    out[off + 12] = e.ipv4 >>> 24;
    out[off + 13] = (e.ipv4 >>> 16) & 0xff;
    out[off + 14] = (e.ipv4 >>> 8) & 0xff;
    out[off + 15] = e.ipv4 & 0xff;
  } else out.set(e.ipv6.subarray(0, 16), off);
}

//  0 type | 4 flags | 8 ext_conn_id i64 | 16 client ip(16) | 32 client port i32 |
//  36 proxy ip(16) | 52 proxy port i32 | [56 extra_size | 60 extra: TL_PROXY_TAG, string(tag)] | payload
export interface ProxyReqHead {
  flags: number;
  connId: bigint;
  client: Endpoint;
  /** The local address the client reached, NAT-translated already for IPv4. */
  proxy: Endpoint;
  /** The -P tag; written only when flags has HAS_AD_TAG. */
  tag: Uint8Array | null;
}

/** Bytes 16..56 of RPC_PROXY_REQ: client ip(16), client port, proxy ip(16), proxy port. */
export const PROXY_REQ_ADDRESSES_BYTES = 40;

/**
 * The address part of every RPC_PROXY_REQ of one binding, encoded once when the client binds: the
 * per-request head then copies it whole, and the binding holds one small buffer instead of two
 * endpoint objects with their byte arrays.
 */
export function encodeProxyReqAddresses(client: Endpoint, proxy: Endpoint): Uint8Array {
  const out = new Uint8Array(PROXY_REQ_ADDRESSES_BYTES);
  writeIp16(out, 0, client);
  putU32le(out, 16, client.port);
  writeIp16(out, 20, proxy);
  putU32le(out, 36, proxy.port);
  return out;
}

/** Bytes of the RPC_PROXY_REQ head for `flags` and `tag` (56, plus the extra block when the flags ask for one). */
export function proxyReqHeadBytes(flags: number, tag: Uint8Array | null): number {
  const withTag = (flags & RPC_F_HAS_AD_TAG) !== 0 && tag !== null;
  return (flags & 0xc) !== 0 ? 60 + (withTag ? 4 + tlStringLength(tag!.length) : 0) : 56;
}

/** Bytes of the RPC_PROXY_REQ head for `h`. */
export function proxyReqHeadLength(h: ProxyReqHead): number {
  return proxyReqHeadBytes(h.flags, h.tag);
}

/**
 * Writes an RPC_PROXY_REQ head at `off` of `out` (the link writes each request straight into its
 * batch); returns the offset after it. `connId` is one of ours (ConnIdAllocator: below 2^53),
 * `addresses` from encodeProxyReqAddresses.
 */
export function writeProxyReqFields(out: Uint8Array, off: number, flags: number, connId: number, addresses: Uint8Array, tag: Uint8Array | null): number {
  const withTag = (flags & RPC_F_HAS_AD_TAG) !== 0 && tag !== null;
  const extraLen = withTag ? 4 + tlStringLength(tag!.length) : 0;
  putU32le(out, off, RPC_PROXY_REQ);
  putU32le(out, off + 4, flags);
  putU32le(out, off + 8, connId % 0x100000000);
  putU32le(out, off + 12, Math.floor(connId / 0x100000000));
  out.set(addresses, off + 16);
  if ((flags & 0xc) === 0) return off + 56;
  putU32le(out, off + 56, extraLen);
  if (withTag) {
    putU32le(out, off + 60, TL_PROXY_TAG);
    writeTlString(out, off + 64, tag!);
  }
  return off + 60 + extraLen;
}

/** Everything of RPC_PROXY_REQ before the client's payload, as its own buffer. */
export function encodeProxyReqHead(h: ProxyReqHead): Uint8Array {
  const out = new Uint8Array(proxyReqHeadLength(h));
  writeProxyReqFields(out, 0, h.flags, 0, encodeProxyReqAddresses(h.client, h.proxy), h.tag);
  new DataView(out.buffer).setBigInt64(8, h.connId, true); // any i64 (test vectors), not only ours
  return out;
}

/** The fields of a received RPC_PROXY_REQ (the fake ME records these). */
export interface ProxyReqFields {
  flags: number;
  connId: bigint;
  clientIp: Uint8Array;
  clientPort: number;
  proxyIp: Uint8Array;
  proxyPort: number;
  /** The TL_PROXY_TAG string when present. */
  tag: Uint8Array | null;
  extra: Uint8Array | null;
  payload: Uint8Array;
}

export function decodeProxyReq(body: Uint8Array): ProxyReqFields | null {
  if (body.length < 56) return null;
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (dv.getUint32(0, true) !== RPC_PROXY_REQ) return null;
  const flags = dv.getUint32(4, true);
  let off = 56;
  let extra: Uint8Array | null = null;
  let tag: Uint8Array | null = null;
  if (flags & 0xc) {
    if (body.length < 60) return null;
    const n = dv.getInt32(56, true);
    if (n < 0 || n & 3 || 60 + n > body.length) return null;
    extra = body.slice(60, 60 + n);
    off = 60 + n;
    if (n >= 8 && dv.getUint32(60, true) === TL_PROXY_TAG) {
      const l = body[64]!;
      if (l < 254 && 65 + l <= off) tag = body.slice(65, 65 + l);
    }
  }
  return {
    flags,
    connId: dv.getBigInt64(8, true),
    clientIp: body.slice(16, 32),
    clientPort: dv.getInt32(32, true),
    proxyIp: body.slice(36, 52),
    proxyPort: dv.getInt32(52, true),
    tag,
    extra,
    payload: body.subarray(off),
  };
}

export type MiddlePacket =
  | { type: "proxy-ans"; flags: number; connId: bigint; payload: Uint8Array }
  | { type: "simple-ack"; connId: bigint; confirm: number }
  | { type: "close-ext"; connId: bigint }
  | { type: "ping"; id: Uint8Array }
  | { type: "pong" }
  /** Wrong sizes and unknown ops are ignored by C (logged at -v). */
  | { type: "ignored"; op: number; length: number };

export type MiddlePacketType = MiddlePacket["type"];

/**
 * What the ME sent in bytes[start, end), by process_client_packet's exact size rules, without
 * allocating: the fields are then read at fixed offsets (MIDDLE_FIELDS) from `start`.
 */
export function middlePacketType(bytes: Uint8Array, start: number, end: number): MiddlePacketType {
  const n = end - start;
  switch (n >= 4 ? u32le(bytes, start) : 0) {
    case RPC_PROXY_ANS:
      return n >= 16 ? "proxy-ans" : "ignored";
    case RPC_SIMPLE_ACK:
      return n === 16 ? "simple-ack" : "ignored";
    case RPC_CLOSE_EXT:
      return n === 12 ? "close-ext" : "ignored";
    case RPC_PING:
      return n === 12 ? "ping" : "ignored";
    case RPC_PONG:
      return "pong";
  }
  return "ignored";
}

/** Field offsets from the start of each middle packet body. */
export const MIDDLE_FIELDS = {
  proxyAns: { flags: 4, connId: 8, payload: 16 },
  simpleAck: { connId: 4, confirm: 12 },
  closeExt: { connId: 4 },
  ping: { id: 4 },
} as const;

/**
 * The i64 connection id at `off` as a Map key: exact for ids in [0, 2^53), which covers every id
 * ConnIdAllocator hands out; any other id (negative, or ≥ 2^53) cannot be ours and maps to -1.
 */
export function connIdKey(bytes: Uint8Array, off: number): number {
  const hi = u32le(bytes, off + 4);
  return hi < 0x200000 ? hi * 0x100000000 + u32le(bytes, off) : -1;
}

export function decodeMiddlePacket(body: Uint8Array): MiddlePacket {
  const type = middlePacketType(body, 0, body.length);
  const f = MIDDLE_FIELDS;
  switch (type) {
    case "proxy-ans":
      return { type, flags: i32le(body, f.proxyAns.flags), connId: i64le(body, f.proxyAns.connId), payload: body.subarray(f.proxyAns.payload) };
    case "simple-ack":
      return { type, connId: i64le(body, f.simpleAck.connId), confirm: u32le(body, f.simpleAck.confirm) };
    case "close-ext":
      return { type, connId: i64le(body, f.closeExt.connId) };
    case "ping":
      return { type, id: body.slice(f.ping.id, f.ping.id + 8) };
    case "pong":
      return { type };
  }
  return { type: "ignored", op: body.length >= 4 ? u32le(body, 0) : 0, length: body.length };
}

/** The signed 64-bit little-endian connection id at `off` (a DataView only for the BigInt read). */
export function i64le(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset + off, 8).getBigInt64(0, true);
}

function opWithId(op: number, id: bigint | Uint8Array): Uint8Array {
  const out = new Uint8Array(12);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, op, true);
  if (typeof id === "bigint") dv.setBigInt64(4, id, true);
  else out.set(id.subarray(0, 8), 4);
  return out;
}

export const encodeCloseConn = (connId: bigint): Uint8Array => opWithId(RPC_CLOSE_CONN, connId);
export const encodeCloseExt = (connId: bigint): Uint8Array => opWithId(RPC_CLOSE_EXT, connId);
export const encodePing = (id: bigint | Uint8Array): Uint8Array => opWithId(RPC_PING, id);
export const encodePong = (id: bigint | Uint8Array): Uint8Array => opWithId(RPC_PONG, id);

export function encodeProxyAnsHead(flags: number, connId: bigint): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RPC_PROXY_ANS, true);
  dv.setInt32(4, flags | 0, true);
  dv.setBigInt64(8, connId, true);
  return out;
}

export function encodeSimpleAck(connId: bigint, confirm: number): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RPC_SIMPLE_ACK, true);
  dv.setBigInt64(4, connId, true);
  dv.setUint32(12, confirm >>> 0, true);
  return out;
}

/** For decoded middle packets that identify a client: the 8 raw id bytes are echoed in CLOSE_CONN. */
export function isConnPacket(p: MiddlePacket): p is Extract<MiddlePacket, { connId: bigint }> {
  return p.type === "proxy-ans" || p.type === "simple-ack" || p.type === "close-ext";
}
