// RPC_HANDSHAKE / RPC_HANDSHAKE_ERROR and struct process_id (backend-rpc.md §7). Mirrors
// tcp_rpcc_send_handshake_packet, tcp_rpcc_process_handshake_packet (net-tcp-rpc-client.c),
// matches_pid (common/pid.c) and, for the fake ME, tcp_rpcs_send_handshake_packet.
import { RPC_HANDSHAKE, RPC_HANDSHAKE_ERROR, RPCF_USE_CRC32C } from "./constants.ts";

//  struct process_id (12 bytes): 0 ip u32 (host order, LE) | 4 port i16 | 6 pid u16 | 8 utime i32
export interface ProcessId {
  ip: number;
  port: number;
  pid: number;
  utime: number;
}

export const PID_LEN = 12;
export const HANDSHAKE_LEN = 32;
export const HANDSHAKE_ERROR_LEN = 20;

/**
 * Builds our process id. C asserts getpid() < 65536 and dies otherwise; Linux PIDs go up to
 * 4194304, so we keep the low 16 bits like the maintained forks do. `port` −1 (no -p) is ff ff.
 */
export function makeProcessId(ip: number, port: number, pid: number, utime: number): ProcessId {
  return { ip: ip >>> 0, port: port & 0xffff, pid: pid & 0xffff, utime: utime | 0 };
}

export function writePid(dv: DataView, off: number, p: ProcessId): void {
  dv.setUint32(off, p.ip >>> 0, true);
  dv.setUint16(off + 4, p.port & 0xffff, true);
  dv.setUint16(off + 6, p.pid & 0xffff, true);
  dv.setInt32(off + 8, p.utime | 0, true);
}

export function readPid(dv: DataView, off: number): ProcessId {
  return {
    ip: dv.getUint32(off, true),
    port: dv.getUint16(off + 4, true),
    pid: dv.getUint16(off + 6, true),
    utime: dv.getInt32(off + 8, true),
  };
}

/** matches_pid(X, Y): every non-zero field of Y equals X's (an exact copy passes too). */
export function matchesPid(ours: ProcessId, theirs: ProcessId): boolean {
  return (
    (!theirs.ip || theirs.ip === ours.ip) &&
    (!theirs.port || theirs.port === ours.port) &&
    (!theirs.pid || theirs.pid === ours.pid) &&
    (!theirs.utime || theirs.utime === ours.utime)
  );
}

//  0 type | 4 flags | 8 sender_pid(12) | 20 peer_pid(12)
export interface HandshakePacket {
  flags: number;
  sender: ProcessId;
  peer: ProcessId;
}

export function encodeHandshake(h: HandshakePacket): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_LEN);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RPC_HANDSHAKE, true);
  dv.setUint32(4, h.flags >>> 0, true);
  writePid(dv, 8, h.sender);
  writePid(dv, 20, h.peer);
  return out;
}

//  0 type | 4 error_code i32 | 8 sender_pid(12)
export function encodeHandshakeError(code: number, sender: ProcessId): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_ERROR_LEN);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RPC_HANDSHAKE_ERROR, true);
  dv.setInt32(4, code, true);
  writePid(dv, 8, sender);
  return out;
}

/** The peer_pid the proxy puts in its handshake: the ME as seen from here (127.0.0.1 → 0). */
export function peerPidOf(meIpv4: number, mePort: number): ProcessId {
  return { ip: meIpv4 === 0x7f000001 ? 0 : meIpv4 >>> 0, port: mePort & 0xffff, pid: 0, utime: 0 };
}

export type HandshakeCheck =
  | { ok: true; packet: HandshakePacket; useCrc32c: boolean }
  /** `sendError`: C queues RPC_HANDSHAKE_ERROR(code) before failing the connection. */
  | { ok: false; code: number; reason: string; sendError: boolean };

export function decodeHandshake(body: Uint8Array): { ok: true; packet: HandshakePacket } | { ok: false; code: number; reason: string } {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.length < 4 || dv.getUint32(0, true) !== RPC_HANDSHAKE) return { ok: false, code: -2, reason: "expected RPC_HANDSHAKE" };
  if (body.length !== HANDSHAKE_LEN) return { ok: false, code: -3, reason: `bad handshake length ${body.length}` };
  return { ok: true, packet: { flags: dv.getUint32(4, true), sender: readPid(dv, 8), peer: readPid(dv, 20) } };
}

/** tcp_rpcc_process_handshake_packet with TCP_RPC_IGNORE_PID (mtproto-proxy sets it). */
export function checkMiddleHandshake(body: Uint8Array, ours: ProcessId, askedFlags: number): HandshakeCheck {
  const d = decodeHandshake(body);
  if (!d.ok) return { ...d, sendError: d.code === -3 };
  const h = d.packet;
  if (!matchesPid(ours, h.peer)) return { ok: false, code: -4, reason: "peer_pid does not match ours", sendError: true };
  if (h.flags & 0xff) return { ok: false, code: -7, reason: `bad handshake flags ${h.flags}`, sendError: true };
  if (h.flags & RPCF_USE_CRC32C && !(askedFlags & RPCF_USE_CRC32C)) {
    return { ok: false, code: -8, reason: "unrequested CRC32C", sendError: true };
  }
  return { ok: true, packet: h, useCrc32c: (h.flags & RPCF_USE_CRC32C) !== 0 };
}
