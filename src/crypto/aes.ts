// AES-256 streams: the system libcrypto through aes-native.ts (can work in place), node:crypto when that
// is unavailable, disabled (MTPROXY_NATIVE_AES=0) or disagrees with it at start-up. CBC encryption goes
// through aes-cbc-lanes.ts where it loads, so several streams can be encrypted in one pass; CTR and CBC
// decryption through aes-ctr-vaes.ts and aes-cbc-decrypt-vaes.ts on CPUs with VAES (about twice
// OpenSSL's speed here). Those streams are in aes-cpu-streams.ts.
// CTR: obfuscated2 client transport (client-side.md §2.3). CBC without padding, chained across
// calls: the middle-end link (backend-rpc.md §2.5).
import type { Pointer } from "bun:ffi";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { cbcLanes, LaneCbcEncryptor, vaesCbcDecrypt, VaesCbcDecryptor, vaesCtr, VaesCtrStream } from "./aes-cpu-streams.ts";
import type { CbcLaneState } from "./aes-cbc-lanes.ts";
import { openNativeAes, type AesMode, type NativeAes } from "./aes-native.ts";
import { once } from "./once.ts";

/** A keystream that keeps its counter across calls; encrypt and decrypt are the same operation. */
export interface CtrStream {
  /** Returns a new buffer with `data` XORed with the next data.length keystream bytes. */
  update(data: Uint8Array): Buffer;
  /** The same, written over `data` (only for bytes nobody else will read as they were). */
  updateInPlace(data: Uint8Array): void;
  /** Releases the native context now (the stream is unusable after); a finalizer does it otherwise. */
  free(): void;
}

/**
 * AES-256-CBC with padding disabled. The chain continues across `update` calls, so encrypting
 * a stream in pieces gives the same bytes as encrypting it at once. Input lengths that are not
 * multiples of 16 are held back inside the cipher until the block completes.
 */
export interface CbcStream {
  update(data: Uint8Array): Buffer;
  /** Whole blocks only (data.length % 16 === 0) and only when no partial block is held back. */
  updateInPlace(data: Uint8Array): void;
  /** Bytes of an incomplete block held back by earlier update() calls (0..15). */
  readonly pendingBytes: number;
  free(): void;
}

/** Tests: streams created while on use OpenSSL contexts even where the VAES and multi-lane paths load,
 * so context accounting (free, finalizers, a closed link) can be checked on any machine. */
const openSslOnly = { on: false };
export function useOpenSslStreams(on: boolean): void {
  openSslOnly.on = on;
}

export function createAesCtr(key: Uint8Array, iv: Uint8Array): CtrStream {
  if (key.length !== 32 || iv.length !== 16) throw new RangeError("AES-256-CTR needs a 32-byte key and a 16-byte IV");
  const vaes = openSslOnly.on ? null : vaesCtr();
  return vaes ? new VaesCtrStream(vaes, key, iv) : createStream("ctr", key, iv);
}

/** True when CTR streams run on VAES (tests, doctor). */
export function vaesCtrActive(): boolean {
  return vaesCtr() !== null;
}

export function createAesCbcEncryptor(key: Uint8Array, iv: Uint8Array): CbcStream {
  checkCbcArgs(key, iv);
  const lanes = openSslOnly.on ? null : cbcLanes();
  return lanes ? new LaneCbcEncryptor(lanes, key, iv) : createStream("cbc-encrypt", key, iv);
}

/**
 * Encrypts data[i] in place with streams[i] (each from createAesCbcEncryptor, distinct, no partial
 * block held back, whole blocks given): one interleaved pass over all of them when the multi-lane
 * encryptor is loaded, one stream after another otherwise.
 */
export function cbcEncryptInPlaceMany(streams: readonly CbcStream[], data: readonly Uint8Array[]): void {
  const lanes = cbcLanes();
  if (lanes) {
    const states = laneStates; // reused: one flush per turn must not leave garbage behind
    let allLanes = true;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i]!;
      if (!(s instanceof LaneCbcEncryptor)) {
        allLanes = false;
        break;
      }
      if ((s.pendingBytes | (data[i]!.length & 15)) !== 0) {
        states.length = 0;
        throw new RangeError("in-place CBC needs whole blocks");
      }
      states.push(s.lane);
    }
    if (allLanes) {
      try {
        lanes.encrypt(states, data);
      } finally {
        states.length = 0;
      }
      return;
    }
    states.length = 0;
  }
  for (let i = 0; i < streams.length; i++) streams[i]!.updateInPlace(data[i]!);
}

const laneStates: CbcLaneState[] = [];

/** True when CBC encryption runs several streams per pass (tests, doctor). */
export function cbcLanesActive(): boolean {
  return cbcLanes() !== null;
}

export function createAesCbcDecryptor(key: Uint8Array, iv: Uint8Array): CbcStream {
  checkCbcArgs(key, iv);
  const vaes = openSslOnly.on ? null : vaesCbcDecrypt();
  return vaes ? new VaesCbcDecryptor(vaes, key, iv) : createStream("cbc-decrypt", key, iv);
}

/** True when CBC decryption runs on VAES (tests, doctor). */
export function vaesCbcDecryptActive(): boolean {
  return vaesCbcDecrypt() !== null;
}

function checkCbcArgs(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== 32 || iv.length !== 16) throw new RangeError("AES-256-CBC needs a 32-byte key and a 16-byte IV");
}

/**
 * CBC over a chunk the caller owns, of any length: whole blocks are decrypted (or encrypted) over the
 * chunk itself; only a block completed across two chunks comes out as a fresh 16-byte buffer. `emit`
 * gets the output pieces in order (none while a block is still incomplete).
 */
export function cbcUpdateOwned(s: CbcStream, data: Uint8Array, emit: (out: Uint8Array) => void): void {
  let rest = data;
  const pending = s.pendingBytes;
  if (pending > 0) {
    const head = Math.min(rest.length, 16 - pending);
    const out = s.update(rest.subarray(0, head));
    if (out.length > 0) emit(out);
    rest = rest.subarray(head);
  }
  const whole = rest.length & ~15;
  if (whole > 0) {
    const blocks = whole === rest.length ? rest : rest.subarray(0, whole);
    s.updateInPlace(blocks);
    emit(blocks);
  }
  if (whole < rest.length) s.update(rest.subarray(whole)); // held back until its block completes
}

type Stream = CtrStream & CbcStream;

function createStream(mode: AesMode, key: Uint8Array, iv: Uint8Array): Stream {
  const lib = nativeAes();
  const ctx = lib?.native.create(mode, key, iv) ?? null;
  return lib && ctx ? new NativeStream(lib, mode, ctx) : nodeStream(mode, key, iv);
}

function nodeStream(mode: AesMode, key: Uint8Array, iv: Uint8Array): Stream {
  const c = mode === "cbc-decrypt" ? createDecipheriv("aes-256-cbc", key, iv) : createCipheriv(mode === "ctr" ? "aes-256-ctr" : "aes-256-cbc", key, iv);
  if (mode !== "ctr") c.setAutoPadding(false);
  const block = mode === "ctr" ? 1 : 16;
  let total = 0;
  return {
    update(data) {
      total += data.length;
      return c.update(data);
    },
    updateInPlace(data) {
      if (block === 16 && ((data.length | total) & 15) !== 0) throw new RangeError("in-place CBC needs whole blocks");
      total += data.length;
      data.set(c.update(data));
    },
    get pendingBytes() {
      return total & (block - 1);
    },
    free() {},
  };
}

/** Live native contexts: counted so tests can prove every stream's context is released. */
const live = { count: 0 };
export function liveNativeAesContexts(): number {
  return live.count;
}

/** The library plus the safety net for streams dropped without free() (held value: the context). */
interface Loaded {
  readonly native: NativeAes;
  readonly finalizer: FinalizationRegistry<Pointer>;
}

function withFinalizer(native: NativeAes): Loaded {
  const finalizer = new FinalizationRegistry<Pointer>((ctx) => {
    native.free(ctx);
    live.count--;
  });
  return { native, finalizer };
}

// A class, not closures: a stream per client direction, so its size counts (idle RSS per client).
// The context is released only when the stream object itself is unreachable or free() ran.
class NativeStream implements Stream {
  #lib: Loaded;
  #ctx: Pointer | null;
  #total = 0;
  readonly #block: number;

  constructor(lib: Loaded, mode: AesMode, ctx: Pointer) {
    this.#lib = lib;
    this.#ctx = ctx;
    this.#block = mode === "ctr" ? 1 : 16;
    live.count++;
    lib.finalizer.register(this, ctx, this);
  }

  update(data: Uint8Array): Buffer {
    const c = this.#use();
    const pending = this.#total & (this.#block - 1);
    this.#total += data.length;
    if (data.length === 0) return Buffer.alloc(0);
    // CBC may release the held-back partial block with this input: up to 15 bytes more than given.
    const out = Buffer.allocUnsafe(data.length + pending);
    const n = this.#lib.native.update(c, out, data);
    if (n < 0) throw new Error("EVP_CipherUpdate failed");
    return n === out.length ? out : out.subarray(0, n);
  }

  updateInPlace(data: Uint8Array): void {
    const c = this.#use();
    if (this.#block === 16 && ((data.length | this.#total) & 15) !== 0) throw new RangeError("in-place CBC needs whole blocks");
    if (data.length === 0) return;
    if (this.#lib.native.update(c, data, data) !== data.length) throw new Error("EVP_CipherUpdate failed");
    this.#total += data.length;
  }

  get pendingBytes(): number {
    return this.#total & (this.#block - 1);
  }

  free(): void {
    const c = this.#ctx;
    if (c === null) return;
    this.#ctx = null;
    this.#lib.finalizer.unregister(this);
    this.#lib.native.free(c);
    live.count--;
  }

  #use(): Pointer {
    if (this.#ctx === null) throw new Error("AES stream used after free()");
    return this.#ctx;
  }
}

// Opened and self-checked on the first stream, not at import (--help and subcommands never pay).
const nativeAes = once((): Loaded | null => {
  const n = openNativeAes();
  return n && selfCheck(n) ? withFinalizer(n) : null;
});

/** True when streams use the system libcrypto (tests, doctor). */
export function nativeAesActive(): boolean {
  return nativeAes() !== null;
}

/** A few KiB through each mode, cut at odd points and in place, against node:crypto. */
export function selfCheck(n: NativeAes): boolean {
  const lib = withFinalizer(n);
  try {
    const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
    const iv = Uint8Array.from({ length: 16 }, (_, i) => (i * 53 + 5) & 0xff);
    const data = Uint8Array.from({ length: 8192 }, (_, i) => (i * 131 + 7) & 0xff);
    for (const mode of ["ctr", "cbc-encrypt", "cbc-decrypt"] as const) {
      const want = nodeStream(mode, key, iv).update(data);
      const ctx = n.create(mode, key, iv);
      if (!ctx) return false;
      const s = new NativeStream(lib, mode, ctx);
      try {
        const parts: Uint8Array[] = [];
        let i = 0;
        for (const cut of [1, 7, 16, 17, 45, 1000, 1003, 2055]) {
          parts.push(s.update(data.subarray(i, i + cut)));
          i += cut;
        }
        if (mode === "ctr" || (i & 15) === 0) {
          const rest = Uint8Array.from(data.subarray(i, i + 1024));
          s.updateInPlace(rest);
          parts.push(rest);
          i += 1024;
        }
        parts.push(s.update(data.subarray(i)));
        if (!Buffer.concat(parts).equals(want)) return false;
      } finally {
        s.free();
      }
    }
    return true;
  } catch {
    return false;
  }
}
