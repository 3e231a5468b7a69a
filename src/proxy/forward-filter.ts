// What happens to one decoded client packet before it reaches the middle end: RPC_PING is
// answered (12 bytes) or eaten, short or malformed packets are dropped, the rest is forwarded.
// Mirrors net-tcp-rpc-server.c: tcp_rpcs_default_execute and mtproto-proxy.c: forward_mtproto_packet /
// forward_mtproto_enc_packet (client-side.md §3.5, §3.7 steps 2–4). Pure.

import { i32le, u32le } from "../io/le.ts";

export const RPC_PING = 0x5730a2df;
export const RPC_PONG = 0x8430eaa7;
export const CODE_req_pq = 0x60469778;
export const CODE_req_pq_multi = 0xbe7e8ef1;
export const CODE_req_DH_params = 0xd712e4be;
export const CODE_set_client_DH_params = 0xf5045f1f;

/** offsetof(struct encrypted_message, message): auth_key_id 8 + msg_key 16 + salt 8 + session 8 + msg_id 8 + seq 4 + len 4. */
export const MIN_ENCRYPTED_LEN = 56;
/** sizeof(int header[7]): auth_key_id, msg_id, inner length, function. */
export const MIN_PACKET_LEN = 28;

export type DropReason = "ping" | "short" | "unaligned" | "short-encrypted" | "bad-inner-length" | "not-handshake";

export type PacketAction =
  /** RPC_PING of exactly 12 bytes: send this payload back as an ordinary frame. */
  | { readonly kind: "pong"; readonly answer: Uint8Array }
  | { readonly kind: "drop"; readonly reason: DropReason }
  /** Forward as RPC_PROXY_REQ; `unencrypted` adds flag 2. */
  | { readonly kind: "forward"; readonly unencrypted: boolean };

const UNENCRYPTED_FUNCTIONS = new Set([CODE_req_pq, CODE_req_pq_multi, CODE_req_DH_params, CODE_set_client_DH_params]);

// The verdicts are shared constants: one per packet would be garbage on the hot path.
const FORWARD_ENCRYPTED: PacketAction = Object.freeze({ kind: "forward", unencrypted: false });
const FORWARD_UNENCRYPTED: PacketAction = Object.freeze({ kind: "forward", unencrypted: true });
const DROP = Object.fromEntries(
  (["ping", "short", "unaligned", "short-encrypted", "bad-inner-length", "not-handshake"] as const).map((reason) => [reason, Object.freeze({ kind: "drop", reason })]),
) as Record<DropReason, PacketAction>;

/** The verdict for p[start, end) (all of `p` by default). */
export function classifyClientPacket(p: Uint8Array, start = 0, end = p.length): PacketAction {
  const len = end - start;
  if (len >= 4 && u32le(p, start) === RPC_PING) {
    if (len !== 12) return DROP.ping;
    const answer = new Uint8Array(12); // a copy (a Buffer's slice() would be a view)
    answer.set(p.subarray(start, end));
    new DataView(answer.buffer).setUint32(0, RPC_PONG, true);
    return { kind: "pong", answer };
  }
  if (len < MIN_PACKET_LEN) return DROP.short;
  if (len % 4 !== 0) return DROP.unaligned;
  if ((u32le(p, start) | u32le(p, start + 4)) !== 0) return len < MIN_ENCRYPTED_LEN ? DROP["short-encrypted"] : FORWARD_ENCRYPTED; // auth_key_id
  const inner = i32le(p, start + 16); // signed, as in C
  if (inner + 20 > len || inner < 20) return DROP["bad-inner-length"];
  if (!UNENCRYPTED_FUNCTIONS.has(u32le(p, start + 20))) return DROP["not-handshake"];
  return FORWARD_UNENCRYPTED;
}
