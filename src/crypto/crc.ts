// CRC32 (IEEE, native Bun.hash.crc32) and CRC32C (Castagnoli) for the middle-end framing
// (backend-rpc.md §2.3; mirrors common/crc32.c and common/crc32c.c). Bun has no native CRC32C,
// so it is table slicing (by 8 for small frames, by 16 over aligned words for bulk), or the CPU's
// crc32 instruction through crc32c-native.ts for frames of NATIVE_MIN bytes and more.
import { loadNativeCrc32c, type Crc32cFn } from "./crc32c-native.ts";
import { once } from "./once.ts";

export function crc32(data: Uint8Array): number {
  return Bun.hash.crc32(data) >>> 0;
}

const CRC32C_POLY = 0x82f63b78;
const TABLES = buildTables(CRC32C_POLY, 16);
// Below this size, building an Int32Array view costs more than it saves (measured: 64-byte
// frames 32 M/s byte-assembled vs 19 M/s through a view; 1 MiB 2.0 vs 2.75 GB/s).
const WORD_PATH_MIN = 512;

function buildTables(poly: number, count: number): Int32Array {
  const t = new Int32Array(count * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < count; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** The table code alone (tests compare the native path with it). */
export function crc32cTable(data: Uint8Array, crc = 0, start = 0, length = data.length - start): number {
  if (length >= WORD_PATH_MIN) return crc32cWords(start === 0 && length === data.length ? data : data.subarray(start, start + length), crc);
  return crc32cBytes(data, crc, start, start + length);
}

// Below this size the FFI call (~30 ns) costs more than the table code (measured 64 B: 31 vs 40 ns).
const NATIVE_MIN = 64;
/**
 * The hardware path, or null where it is unavailable: compiled and self-checked on the first large
 * CRC32C (only the middle-end link needs one), so --help, subcommands and direct mode never pay for it.
 */
export const nativeCrc32c: () => Crc32cFn | null = once(() => loadNativeCrc32c(crc32cTable));

/** CRC32C of `data`, continuing from `crc` (pass the previous result to chain; 0 to start). */
export function crc32c(data: Uint8Array, crc = 0): number {
  if (data.length >= NATIVE_MIN) {
    const fn = nativeCrc32c();
    if (fn !== null) return fn(data, crc);
  }
  return data.length >= WORD_PATH_MIN ? crc32cWords(data, crc) : crc32cBytes(data, crc, 0, data.length);
}

/**
 * CRC32C of data[start, end) without a view of it (each frame of the middle-end link: a view per
 * frame would be one more object referencing the read chunk for the collector to trace and drop).
 */
export function crc32cRange(data: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n >= NATIVE_MIN) {
    const fn = nativeCrc32c();
    if (fn !== null) return fn(data, 0, start, n);
  }
  return n >= WORD_PATH_MIN ? crc32cWords(data.subarray(start, end), 0) : crc32cBytes(data, 0, start, end);
}

// Slicing-by-8 with the 32-bit words assembled from bytes: no allocation, best for frames.
function crc32cBytes(data: Uint8Array, crc: number, start: number, end: number): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// Slicing-by-16 over an aligned Int32Array view of the bulk. Int32Array is host-endian; every
// Bun target (x64, arm64) is little-endian, which the word split below assumes.
function crc32cWords(data: Uint8Array, crc: number): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  const n = data.length;
  while (((data.byteOffset + i) & 3) !== 0) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  const blocks = (n - i) >>> 4;
  const w = new Int32Array(data.buffer, data.byteOffset + i, blocks * 4);
  for (let k = 0; k < w.length; k += 4) {
    const a = c ^ w[k]!;
    const b = w[k + 1]!;
    const d = w[k + 2]!;
    const e = w[k + 3]!;
    c =
      t[3840 + (a & 0xff)]! ^
      t[3584 + ((a >>> 8) & 0xff)]! ^
      t[3328 + ((a >>> 16) & 0xff)]! ^
      t[3072 + (a >>> 24)]! ^
      t[2816 + (b & 0xff)]! ^
      t[2560 + ((b >>> 8) & 0xff)]! ^
      t[2304 + ((b >>> 16) & 0xff)]! ^
      t[2048 + (b >>> 24)]! ^
      t[1792 + (d & 0xff)]! ^
      t[1536 + ((d >>> 8) & 0xff)]! ^
      t[1280 + ((d >>> 16) & 0xff)]! ^
      t[1024 + (d >>> 24)]! ^
      t[768 + (e & 0xff)]! ^
      t[512 + ((e >>> 8) & 0xff)]! ^
      t[256 + ((e >>> 16) & 0xff)]! ^
      t[e >>> 24]!;
  }
  i += blocks * 16;
  while (i < n) c = t[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
