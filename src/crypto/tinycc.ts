// Compiles a small C source with bun:ffi's built-in TinyCC (no compiler needed on the host). TinyCC
// reads its source from a file, not from the compiled binary's $bunfs, so the source goes to a
// private temp file for the few ms of compilation. Used by the CPU-instruction paths (crc32,
// aesenc) that Bun has no native binding for.
import { cc, type FFIFunction, type Library } from "bun:ffi";
import { unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The compiled library; throws when TinyCC refuses the source. */
export function compileC<Fns extends Record<string, FFIFunction>>(name: string, source: string, symbols: Fns): Library<Fns> {
  const path = join(tmpdir(), `mtproxy-${name}-${process.pid}-${Math.random().toString(36).slice(2)}.c`);
  writeFileSync(path, source, { mode: 0o600, flag: "wx" });
  try {
    return cc({ source: path, symbols });
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

/** CPUID leaf 1's ECX feature bits (bit 20 SSE4.2/crc32, bit 25 AES-NI), probed once; 0 where it
 * cannot be asked (not x86-64, or TinyCC refused). `cpuid` is spelled as bytes (0f a2): TinyCC's
 * assembler has no mnemonic for it. */
export function cpuidLeaf1Ecx(): number {
  if (probed.ecx === undefined) {
    probed.ecx = 0;
    if (process.arch === "x64") {
      try {
        const lib = compileC("cpuid", CPUID_SOURCE, { mtp_cpuid1_ecx: { args: [], returns: "u32" } });
        probed.ecx = lib.symbols.mtp_cpuid1_ecx();
        lib.close();
      } catch {
        // no probe: no native instruction paths
      }
    }
  }
  return probed.ecx;
}

const probed: { ecx: number | undefined } = { ecx: undefined };
const CPUID_SOURCE = `
unsigned mtp_cpuid1_ecx(void) {
  unsigned a = 1, b, c = 0, d;
  __asm__ volatile(".byte 0x0f, 0xa2" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
  return c;
}
`;
