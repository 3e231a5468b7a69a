// The request format stability clients send through the proxy and the fake middle end answers:
// a 64-byte "encrypted" MTProto-looking packet (auth_key_id ≠ 0) carrying a command and a tag.
//   0..8 auth_key_id (client id, never 0) | 8..12 command | 12..16 answer size | 16..24 sequence
export const REQUEST_LEN = 64;
/** Echo the request (the default). */
export const CMD_ECHO = 0;
/** Answer with `size` bytes (a 1 MiB download). */
export const CMD_BIG = 0x41474942;

export function makeRequest(clientId: number, seq: number, cmd = CMD_ECHO, size = 0): Uint8Array {
  const b = Buffer.alloc(REQUEST_LEN);
  b.writeUInt32LE(clientId >>> 0 || 1, 0);
  b.writeUInt32LE(0x5eed5eed, 4);
  b.writeUInt32LE(cmd, 8);
  b.writeUInt32LE(size, 12);
  b.writeDoubleLE(seq, 16);
  for (let i = 24; i < REQUEST_LEN; i++) b[i] = (clientId * 31 + seq * 7 + i) & 0xff;
  return b;
}

export function requestFields(p: Uint8Array): { clientId: number; cmd: number; size: number; seq: number } | null {
  if (p.length < 24) return null;
  const b = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  return { clientId: b.readUInt32LE(0), cmd: b.readUInt32LE(8), size: b.readUInt32LE(12), seq: b.readDoubleLE(16) };
}
