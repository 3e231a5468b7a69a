// The fuzz loop shared by the bun tests (a fixed-seed slice) and scripts/fuzz.ts (a million inputs):
// input i of seed s is made from its own seeded RNG, run whole, checked, and for incremental
// decoders run again over a random chunking that must give the same value. Any throw is a failure.
import { chunksOf, hexDump, randomSplits, rngFor, type Rng } from "./generators.ts";

export { chunksOf };

/**
 * `run` gets the input and cut points (empty = whole); its result must be a plain comparable value
 * (no live objects). `check` returns a violated property, or null.
 */
export interface FuzzTarget<I, R> {
  readonly name: string;
  makeInput(rng: Rng, index: number): I;
  run(input: I, splits: readonly number[]): R | Promise<R>;
  check?(result: R, input: I): string | null;
  /** The same input split anywhere must give the same result as whole. */
  readonly incremental?: boolean;
  /** Byte length used to choose cut points (default: the input's own length). */
  size?(input: I): number;
}

export interface FuzzFailure {
  readonly target: string;
  readonly seed: number;
  readonly index: number;
  readonly problem: string;
  readonly input: string;
}

export interface FuzzReport {
  readonly target: string;
  readonly inputs: number;
  readonly ms: number;
  readonly failures: FuzzFailure[];
}

export interface FuzzOptions {
  /** Stop early after this many ms (the input count is then lower). */
  readonly maxMs?: number;
  /** Failures kept in full (the rest are counted). */
  readonly keepFailures?: number;
  /** First input index (to replay one: index = i, count = 1). */
  readonly startIndex?: number;
}

function describeInput(input: unknown): string {
  if (input instanceof Uint8Array) return `${input.length} bytes\n${hexDump(input)}`;
  if (input === null || typeof input !== "object" || Array.isArray(input)) return JSON.stringify(input);
  // An object: scalar fields as JSON, byte fields as hex dumps (Buffer.toJSON would list numbers).
  const fields: Record<string, unknown> = {};
  const dumps: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (v instanceof Uint8Array) dumps.push(`${k}: ${v.length} bytes\n${hexDump(v)}`);
    else fields[k] = v;
  }
  return [JSON.stringify(fields), ...dumps].join("\n");
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 6).join("\n")}`;
  return String(e);
}

// Each run gets its own copy: a decoder owns the chunks it is given and may keep views into them.
const fresh = <I>(input: I): I => (input instanceof Uint8Array ? (Uint8Array.from(input) as I) : input);

export function formatFailure(f: FuzzFailure): string {
  return `fuzz ${f.target}: seed ${f.seed} index ${f.index}: ${f.problem}\n  replay: bun scripts/fuzz.ts --only ${f.target} --seed ${f.seed} --index ${f.index}\n${f.input}`;
}

export async function fuzz<I, R>(target: FuzzTarget<I, R>, count: number, seed: number, opts: FuzzOptions = {}): Promise<FuzzReport> {
  const failures: FuzzFailure[] = [];
  const keep = opts.keepFailures ?? 5;
  let failed = 0;
  const start = performance.now();
  const deadline = opts.maxMs === undefined ? Infinity : start + opts.maxMs;
  const first = opts.startIndex ?? 0;
  let done = 0;
  for (let index = first; index < first + count; index++) {
    if ((index & 63) === 0 && performance.now() > deadline) break;
    done++;
    const rng = rngFor(seed, index);
    let input: I | undefined;
    let stage = "makeInput";
    try {
      input = target.makeInput(rng, index);
      stage = "run (whole)";
      const whole = await target.run(fresh(input), []);
      stage = "check";
      const bad = target.check?.(whole, input) ?? null;
      let problem: string | null = bad === null ? null : `property violated: ${bad}`;
      if (problem === null && target.incremental) {
        const size = target.size ? target.size(input) : input instanceof Uint8Array ? input.length : 0;
        const splits = randomSplits(rng, size);
        if (splits.length > 0) {
          stage = `run (split at ${splits.join(",")})`;
          const split = await target.run(fresh(input), splits);
          if (!Bun.deepEquals(whole, split, true)) {
            problem = `split at [${splits.join(",")}] differs from whole\n  whole: ${summary(whole)}\n  split: ${summary(split)}`;
          }
        }
      }
      if (problem !== null) {
        failed++;
        if (failures.length < keep) failures.push({ target: target.name, seed, index, problem, input: describeInput(input) });
      }
    } catch (e) {
      failed++;
      if (failures.length < keep) {
        failures.push({ target: target.name, seed, index, problem: `threw in ${stage}: ${errorText(e)}`, input: input === undefined ? "(none)" : describeInput(input) });
      }
    }
  }
  // Past `keep`, only the count matters; pad with stubs so failures.length is the true count.
  for (let i = failures.length; i < failed; i++) failures.push({ target: target.name, seed, index: -1, problem: "(more)", input: "" });
  return { target: target.name, inputs: done, ms: performance.now() - start, failures };
}

function summary(v: unknown): string {
  const s = JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? `hex:${Buffer.from(x).toString("hex")}` : typeof x === "bigint" ? `${x}n` : x));
  return s.length > 600 ? `${s.slice(0, 600)}...` : s;
}
