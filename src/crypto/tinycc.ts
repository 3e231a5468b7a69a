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
