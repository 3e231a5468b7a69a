// `make stability` fuzzing: spreads --inputs (default 1,000,000) over every decoder target with a
// time bound, prints a table (decoder, inputs, seconds, failures) and exits 1 on any failure.
//   bun scripts/fuzz.ts [--inputs N] [--seed S] [--max-seconds T] [--only NAME] [--index I]
// --only NAME --seed S --index I replays exactly one failing input and prints it.
import { parseArgs } from "node:util";
import { formatFailure, fuzz, type FuzzReport } from "../tests/fuzz/harness.ts";
import { ALL_TARGETS, weightOf } from "../tests/fuzz/targets.ts";

const { values } = parseArgs({
  options: {
    inputs: { type: "string", default: "1000000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    "max-seconds": { type: "string", default: "900" },
    only: { type: "string" },
    index: { type: "string" },
  },
});
const total = Number(values.inputs);
const seed = Number(values.seed);
const maxMs = Number(values["max-seconds"]) * 1000;
if (!Number.isInteger(total) || total < 1 || !Number.isInteger(seed) || !(maxMs > 0)) {
  console.error("usage: bun scripts/fuzz.ts [--inputs N] [--seed S] [--max-seconds T] [--only NAME] [--index I]");
  process.exit(2);
}
const targets = values.only ? ALL_TARGETS.filter((t) => t.name === values.only) : ALL_TARGETS;
if (targets.length === 0) {
  console.error(`no target named ${values.only}; targets: ${ALL_TARGETS.map((t) => t.name).join(", ")}`);
  process.exit(2);
}

if (values.index !== undefined) {
  const r = await fuzz(targets[0]!, 1, seed, { startIndex: Number(values.index) });
  if (r.failures.length === 0) console.log(`${targets[0]!.name} seed ${seed} index ${values.index}: passes`);
  for (const f of r.failures) console.log(formatFailure(f));
  process.exit(r.failures.length === 0 ? 0 : 1);
}

const weightSum = targets.reduce((s, t) => s + weightOf(t.name), 0);
console.log(`fuzz: ${total} inputs over ${targets.length} decoders, seed ${seed}, at most ${maxMs / 1000} s`);
const reports: FuzzReport[] = [];
const started = performance.now();
for (const t of targets) {
  const count = Math.ceil((total * weightOf(t.name)) / weightSum);
  // Each target gets its share of what is left of the time budget.
  const left = maxMs - (performance.now() - started);
  const remainingWeight = targets.slice(reports.length).reduce((s, x) => s + weightOf(x.name), 0);
  const r = await fuzz(t, count, seed, { maxMs: Math.max(1000, (left * weightOf(t.name)) / remainingWeight) });
  reports.push(r);
  console.log(`  ${t.name.padEnd(22)} ${String(r.inputs).padStart(9)} ${(r.ms / 1000).toFixed(1).padStart(7)} s ${String(r.failures.length).padStart(4)} failures${r.inputs < count ? `  (time bound: ${count} planned)` : ""}`);
}

const inputs = reports.reduce((s, r) => s + r.inputs, 0);
const failures = reports.flatMap((r) => r.failures);
const line = (a: string, b: string, c: string, d: string): string => `| ${a.padEnd(22)} | ${b.padStart(9)} | ${c.padStart(7)} | ${d.padStart(8)} |`;
console.log();
console.log(line("decoder", "inputs", "seconds", "failures"));
console.log(`|${"-".repeat(24)}|${"-".repeat(11)}|${"-".repeat(9)}|${"-".repeat(10)}|`);
for (const r of reports) console.log(line(r.target, String(r.inputs), (r.ms / 1000).toFixed(1), String(r.failures.length)));
console.log(line("total", String(inputs), ((performance.now() - started) / 1000).toFixed(1), String(failures.length)));
for (const f of failures.filter((x) => x.index >= 0)) console.log(`\n${formatFailure(f)}`);
if (inputs < total) console.log(`\nnote: ${inputs} of ${total} inputs ran within the time bound`);
process.exit(failures.length === 0 ? 0 : 1);
