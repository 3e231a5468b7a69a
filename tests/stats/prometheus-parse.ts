// A strict Prometheus text-format 0.0.4 parser for tests (unit and through the binary): HELP then TYPE
// before a family's samples, names and labels well formed, no duplicate series, counters end in _total.
import { expect } from "bun:test";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict text-format 0.0.4 parser: HELP then TYPE before a family's samples, no duplicate series. */
export function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  expect(text.endsWith("\n")).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const series = new Set<string>();
  const finished = new Set<string>();
  let current = "";
  const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  for (const line of text.slice(0, -1).split("\n")) {
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      expect(helps.has(m[1]!)).toBe(false);
      helps.add(m[1]!);
      if (current !== "") finished.add(current);
      current = m[1]!;
      continue;
    }
    if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge)$`).exec(line))) {
      expect(m[1]).toBe(current);
      expect(types.has(m[1]!)).toBe(false);
      types.set(m[1]!, m[2]!);
      continue;
    }
    m = new RegExp(`^(${NAME})(\\{(.*)\\})? (-?[0-9.e+]+|NaN|[+-]Inf)$`).exec(line);
    if (m === null) throw new Error(`bad line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    expect(name).toBe(current); // samples belong to the family announced last
    expect(types.has(name)).toBe(true);
    expect(finished.has(name)).toBe(false);
    const labels: Record<string, string> = {};
    if (m[3] !== undefined) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let pos = 0;
      while (pos < m[3].length) {
        re.lastIndex = pos;
        const l = re.exec(m[3]);
        if (l === null) throw new Error(`bad labels: ${m[3]}`);
        expect(labels[l[1]!]).toBeUndefined();
        labels[l[1]!] = l[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
        pos = re.lastIndex;
      }
    }
    const key = `${name}{${Object.entries(labels).sort().map(([k, v]) => `${k}=${v}`).join(",")}}`;
    expect(series.has(key)).toBe(false);
    series.add(key);
    const value = Number(m[4]!.replace("+Inf", "Infinity").replace("-Inf", "-Infinity"));
    if (types.get(name) === "counter") {
      expect(name.endsWith("_total")).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
    }
    samples.push({ name, labels, value });
  }
  return { types, samples };
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when absent. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
