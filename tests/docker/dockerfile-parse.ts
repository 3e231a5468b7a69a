// A small Dockerfile reader for layout tests (no docker engine here): joins `\` continuations, drops
// comments and parser directives, resolves ARG defaults in FROM, and groups instructions by stage.

export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY, ... */
  op: string;
  /** Everything after the keyword, continuations joined with a space. */
  args: string;
  line: number;
}

export interface Stage {
  /** FROM image with global ARG defaults substituted. */
  image: string;
  name: string | null;
  instructions: Instruction[];
}

export interface Dockerfile {
  globalArgs: Map<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] ?? "";
    if (/^\s*(#.*)?$/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? "";
      if (/^\s*#/.test(next)) continue; // comment lines inside a continuation are dropped by docker
      line = line.replace(/\\\s*$/, " ") + next.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse '${line}'`);
    instructions.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim().replace(/\s+/g, " "), line: start + 1 });
  }

  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`bad FROM at line ${ins.line}`);
      const image = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => globalArgs.get((a ?? b)!) ?? "");
      stages.push({ image, name: m[2] ?? null, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op !== "ARG") throw new Error(`only ARG may precede FROM (line ${ins.line})`);
      const [k, v] = ins.args.split("=", 2);
      globalArgs.set(k!, v ?? "");
    } else {
      stages[stages.length - 1]!.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** Splits a COPY/ADD argument list into flags, sources and destination (JSON form not supported). */
export function parseCopy(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const words = args.split(" ");
  const flags = new Map<string, string>();
  while (words[0]?.startsWith("--")) {
    const [k, v] = words.shift()!.slice(2).split("=", 2);
    flags.set(k!, v ?? "");
  }
  const dest = words.pop();
  if (dest === undefined || words.length === 0) throw new Error(`bad COPY: ${args}`);
  return { flags, sources: words, dest };
}
