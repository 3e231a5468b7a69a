// Little-endian integer reads straight from bytes, for the per-packet paths: a DataView per packet
// is an allocation each (and JSC does not always remove it), these are none. Callers check bounds.

/** The unsigned 32-bit little-endian word at `off`. */
export function u32le(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** The signed 32-bit little-endian word at `off`. */
export function i32le(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24);
}

/** Writes `v` as a 32-bit little-endian word at `off` (its low 32 bits; signed or unsigned alike). */
export function putU32le(b: Uint8Array, off: number, v: number): void {
  b[off] = v;
  b[off + 1] = v >>> 8;
  b[off + 2] = v >>> 16;
  b[off + 3] = v >>> 24;
}

const bufferCopy = Buffer.prototype.copy;

/** Copies src[start, end) to dst at `at` without cutting a view of src (Buffer#copy takes any Uint8Array). */
export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  bufferCopy.call(src, dst, at, start, end);
}
