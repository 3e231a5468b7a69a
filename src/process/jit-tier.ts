// The JavaScriptCore tiers the server runs with: no FTL (the fourth, LLVM-style tier), chosen by
// re-executing the compiled binary once with BUN_JSC_useFTLJIT=0 (JSC reads its options from the
// environment before any script runs, so a running process cannot switch them). No C counterpart.
//
// Why (docs/benchmarks.md, tenth session): on a fresh proxy, FTL compiles the hot path during the
// first ~10–20 s of traffic and its compiles put 1–3 ms stalls into that period's round trips. 1,000
// clients at 1 KiB/s each, p99 of seconds 2–10: 1.3–3.1 ms with FTL, median 0.60 ms without (C's
// median 0.68). The DFG tier alone costs no measurable CPU per MB or per message here (native
// ciphers and syscalls dominate), so the tier buys this data path nothing and makes every
// restart's reconnect herd slower. The price: one extra process image at start (~20 ms).

/** The JSC option this module sets; a user who sets it (to anything) keeps their own choice. */
export const FTL_OPTION_ENV = "BUN_JSC_useFTLJIT";

/**
 * The environment to re-execute this process with so it runs without FTL, or null to run as is:
 * the option is already set (by the user, or by our own earlier re-exec; -M workers inherit it), or
 * this is `bun src/main.ts` rather than the compiled binary (its runtime flags would be lost).
 */
export function ftlOffReexecEnv(env: Readonly<Record<string, string | undefined>>, compiled: boolean): Record<string, string> | null {
  if (!compiled || env[FTL_OPTION_ENV] !== undefined) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out[FTL_OPTION_ENV] = "0";
  return out;
}

/** A compiled binary's entry script lives in Bun's embedded file system. */
export function isCompiledEntry(main: string): boolean {
  return main.startsWith("/$bunfs/");
}
