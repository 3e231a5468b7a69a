// The few libc calls Bun does not expose (getrlimit/setrlimit for -c, setsid for -d), through bun:ffi.
// Mirrors the syscalls in engine.c raise_file_limit / server_init. Loaded lazily; null where libc is absent.
import { dlopen, FFIType, ptr } from "bun:ffi";

const RLIMIT_NOFILE = 7; // Linux
const RLIM_INFINITY = 0xffffffffffffffffn;

export interface Rlimit {
  soft: number;
  hard: number;
}

export interface OsCalls {
  getNofile(): Rlimit | null;
  /** True when setrlimit succeeded. */
  setNofile(limit: Rlimit): boolean;
  /** The new session id, or -1. */
  setsid(): number;
}

function toNumber(v: bigint): number {
  return v === RLIM_INFINITY || v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function toRlim(n: number): bigint {
  return n >= Number.MAX_SAFE_INTEGER ? RLIM_INFINITY : BigInt(n);
}

/** libc through FFI, or null (not glibc Linux, or FFI unavailable): callers degrade and say so. */
export function loadOsCalls(): OsCalls | null {
  let lib;
  try {
    lib = dlopen("libc.so.6", {
      getrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      setrlimit: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      setsid: { args: [], returns: FFIType.i32 },
    });
  } catch (error) {
    if (error instanceof Error) return null;
    throw error;
  }
  const s = lib.symbols;
  return {
    getNofile() {
      const buf = new BigUint64Array(2);
      if (s.getrlimit(RLIMIT_NOFILE, ptr(buf)) !== 0) return null;
      return { soft: toNumber(buf[0]!), hard: toNumber(buf[1]!) };
    },
    setNofile(limit) {
      const buf = new BigUint64Array([toRlim(limit.soft), toRlim(limit.hard)]);
      return s.setrlimit(RLIMIT_NOFILE, ptr(buf)) === 0;
    },
    setsid() {
      return s.setsid();
    },
  };
}

/** `Max open files` from /proc/self/limits, for the message when FFI is unavailable. */
export function readProcNofile(text: string): Rlimit | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!m) return null;
  const n = (v: string) => (v === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(v));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}
