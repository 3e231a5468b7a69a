// Compiles a small C source with bun:ffi's built-in TinyCC (no compiler needed on the host). TinyCC
// reads its source from a file, not from the compiled binary's $bunfs, so the source goes to a
// private temp file for the few ms of compilation. Used by the CPU-instruction paths (crc32,
// aesenc, VAES) that Bun has no native binding for.
// The compiled functions are called through linkSymbols on their addresses, not through cc()'s own
// symbols: on Bun 1.4.5 a cc() symbol costs ~33 ns a call and the same code linked by address ~6 ns
// (what a dlopen()ed libc call costs), and the hot paths call these per frame.
import { cc, linkSymbols, type FFIFunction, type Library, type Pointer } from "bun:ffi";
import { unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The compiled library; throws when TinyCC refuses the source. */
export function compileC<Fns extends Record<string, FFIFunction>>(name: string, source: string, symbols: Fns): Library<Fns> {
  const path = join(tmpdir(), `mtproxy-${name}-${process.pid}-${Math.random().toString(36).slice(2)}.c`);
  writeFileSync(path, source, { mode: 0o600, flag: "wx" });
  let compiled: Library<Fns>;
  try {
    compiled = cc({ source: path, symbols });
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  const byAddress: Record<string, FFIFunction> = {};
  for (const key of Object.keys(symbols)) {
    const address = (compiled.symbols[key] as unknown as { ptr?: Pointer }).ptr;
    if (typeof address !== "number" || address === 0) throw new Error(`TinyCC gave no address for ${key}`);
    byAddress[key] = { ...symbols[key], ptr: address };
  }
  const linked = linkSymbols(byAddress) as unknown as Library<Fns>;
  // The code lives in TinyCC's state, which cc()'s library frees when it is collected: callers keep
  // only the linked functions, so the state is held here until close().
  const pair = { compiled, linked };
  alive.add(pair);
  return {
    symbols: linked.symbols,
    close() {
      alive.delete(pair);
      linked.close();
      compiled.close();
    },
  };
}

const alive = new Set<{ compiled: Library<Record<string, FFIFunction>>; linked: Library<Record<string, FFIFunction>> }>();

/** The CPU features the native paths ask for, probed once (all false where CPUID cannot be asked:
 * not x86-64, or TinyCC refused). `cpuid` and `xgetbv` are spelled as bytes (0f a2, 0f 01 d0): TinyCC's
 * assembler has no mnemonics for them. */
export interface CpuFeatures {
  /** SSE4.2 (the crc32 instruction): CPUID.1:ECX bit 20. */
  readonly sse42: boolean;
  /** AES-NI: CPUID.1:ECX bit 25. */
  readonly aesni: boolean;
  /** AVX2 and VAES on 256-bit registers, and the OS saves ymm state (OSXSAVE, XCR0 bits 1–2). */
  readonly vaesAvx2: boolean;
}

export function cpuFeatures(): CpuFeatures {
  if (probed.features === undefined) {
    let words = [0, 0, 0, 0];
    if (process.arch === "x64") {
      try {
        const lib = compileC("cpuid", CPUID_SOURCE, { mtp_cpuid: { args: ["ptr"], returns: "void" } });
        const out = new Uint32Array(4);
        lib.symbols.mtp_cpuid(out);
        lib.close();
        words = [...out];
      } catch {
        // no probe: no native instruction paths
      }
    }
    const [leaf1Ecx, leaf7Ebx, leaf7Ecx, xcr0] = words as [number, number, number, number];
    const bit = (w: number, b: number): boolean => ((w >>> b) & 1) === 1;
    probed.features = {
      sse42: bit(leaf1Ecx, 20),
      aesni: bit(leaf1Ecx, 25),
      vaesAvx2: bit(leaf1Ecx, 27) && bit(leaf1Ecx, 28) && (xcr0 & 6) === 6 && bit(leaf7Ebx, 5) && bit(leaf7Ecx, 9),
    };
  }
  return probed.features;
}

const probed: { features: CpuFeatures | undefined } = { features: undefined };
/* out: CPUID.1:ECX, CPUID.7.0:EBX, CPUID.7.0:ECX, XCR0 (low word; read only when OSXSAVE is set). */
const CPUID_SOURCE = `
void mtp_cpuid(unsigned *out) {
  unsigned a = 1, b, c = 0, d, max;
  __asm__ volatile(".byte 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  out[0] = c;
  a = 0;
  c = 0;
  __asm__ volatile(".byte 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  max = a;
  out[1] = 0;
  out[2] = 0;
  if (max >= 7) {
    a = 7;
    c = 0;
    __asm__ volatile(".byte 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    out[1] = b;
    out[2] = c;
  }
  out[3] = 0;
  if ((out[0] >> 27) & 1) {
    c = 0;
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(a), "=d"(d) : "c"(c));
    out[3] = a;
  }
}
`;
