// The processes a stability run drives: the proxy under test (the compiled binary, or
// `bun src/main.ts` without one) and the fake middle end (me-process.ts). Each is killed by stop()
// and by the run's exit hook, so no scenario leaves a process behind.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const REPO = resolve(import.meta.dir, "..");
const live = new Set<Subprocess>();

/** Kill every process this run started (exit hook and signal handler). */
export function killAll(): void {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch (error) {
      if (!(error instanceof Error)) throw error;
    }
  }
  live.clear();
}

export function proxyBinary(): string[] {
  const env = process.env.MTPROXY_BIN;
  if (env) return [env];
  const bin = join(REPO, "dist/mtproto-proxy");
  return existsSync(bin) ? [bin] : [process.execPath, join(REPO, "src/main.ts")];
}

export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

async function readLines(stream: ReadableStream<Uint8Array>, sink: (line: string) => void): Promise<void> {
  const dec = new TextDecoder();
  let tail = "";
  for await (const chunk of stream) {
    tail += dec.decode(chunk, { stream: true });
    const parts = tail.split("\n");
    tail = parts.pop() ?? "";
    for (const l of parts) sink(l);
  }
  if (tail) sink(tail);
}

export class FakeMeProcess {
  readonly proc: Subprocess<"pipe", "pipe", "inherit">;
  port = 0;
  readonly #lines: string[] = [];

  private constructor(proc: Subprocess<"pipe", "pipe", "inherit">) {
    this.proc = proc;
    void readLines(proc.stdout, (l) => this.#lines.push(l));
  }

  static async start(secret: Uint8Array, port = 0): Promise<FakeMeProcess> {
    const proc = Bun.spawn([process.execPath, join(REPO, "stability/me-process.ts"), Buffer.from(secret).toString("hex"), String(port)], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "inherit",
    });
    live.add(proc);
    const me = new FakeMeProcess(proc);
    const line = await me.#waitLine(/^port \d+$/, 5000);
    me.port = Number(line.split(" ")[1]);
    return me;
  }

  get pid(): number {
    return this.proc.pid;
  }

  async mode(m: "echo" | "silent"): Promise<void> {
    this.proc.stdin.write(`mode ${m}\n`);
    await this.proc.stdin.flush();
    await this.#waitLine(new RegExp(`^ok mode ${m}$`), 3000);
    this.#lines.length = 0;
  }

  kill(): void {
    this.proc.kill("SIGKILL");
    live.delete(this.proc);
  }

  async #waitLine(re: RegExp, ms: number): Promise<string> {
    const end = performance.now() + ms;
    for (;;) {
      const hit = this.#lines.find((l) => re.test(l));
      if (hit) return hit;
      if (performance.now() > end) throw new Error(`fake ME: no line ${re} within ${ms} ms`);
      await Bun.sleep(10);
    }
  }
}

export interface ProxySetup {
  readonly clientSecret: Uint8Array;
  readonly proxySecret: Uint8Array;
  /** Middle-end port for `proxy_for 2` and `default 2`; null = --direct. */
  readonly mePort: number | null;
  readonly extraArgs?: string[];
}

export class ProxyProcess {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly port: number;
  readonly statsPort: number;
  /** stderr: the log. */
  readonly lines: string[] = [];
  /** stdout: what the operator copies (the start-up links). */
  readonly stdoutLines: string[] = [];
  readonly #dir: string;

  private constructor(proc: Subprocess<"ignore", "pipe", "pipe">, port: number, statsPort: number, dir: string) {
    this.proc = proc;
    this.port = port;
    this.statsPort = statsPort;
    this.#dir = dir;
    void readLines(proc.stderr, (l) => {
      if (this.lines.length < 20_000) this.lines.push(l);
    });
    void readLines(proc.stdout, (l) => {
      if (this.stdoutLines.length < 1_000) this.stdoutLines.push(l);
    });
  }

  static async start(setup: ProxySetup): Promise<ProxyProcess> {
    const dir = mkdtempSync(join(tmpdir(), "mtproxy-stability-"));
    const port = freePort();
    const statsPort = freePort();
    const args = ["-H", String(port), "-p", String(statsPort), "--http-stats", "-S", Buffer.from(setup.clientSecret).toString("hex")];
    if (process.getuid?.() === 0) args.push("-u", "root");
    if (setup.mePort === null) args.push("--direct");
    else {
      const secretFile = join(dir, "proxy-secret");
      const conf = join(dir, "proxy-multi.conf");
      writeFileSync(secretFile, setup.proxySecret);
      writeFileSync(conf, `proxy_for 2 127.0.0.1:${setup.mePort};\ndefault 2;\n`);
      args.push("--aes-pwd", secretFile);
      args.push(...(setup.extraArgs ?? []), conf);
    }
    if (setup.mePort === null) args.push(...(setup.extraArgs ?? []));
    const proc = Bun.spawn([...proxyBinary(), ...args], { cwd: dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    live.add(proc);
    const p = new ProxyProcess(proc, port, statsPort, dir);
    await p.waitLine(/main loop/, 15_000);
    return p;
  }

  get pid(): number {
    return this.proc.pid;
  }

  async waitLine(re: RegExp, ms: number): Promise<string> {
    const end = performance.now() + ms;
    for (;;) {
      const hit = this.lines.find((l) => re.test(l));
      if (hit) return hit;
      if (this.proc.exitCode !== null) throw new Error(`proxy exited ${this.proc.exitCode}:\n${this.lines.slice(-20).join("\n")}`);
      if (performance.now() > end) throw new Error(`proxy: no line ${re} within ${ms} ms:\n${this.lines.slice(-20).join("\n")}`);
      await Bun.sleep(20);
    }
  }

  async stats(): Promise<Map<string, string>> {
    const res = await fetch(`http://127.0.0.1:${this.statsPort}/stats`, { headers: { connection: "close" }, signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    return new Map(text.split("\n").filter((l) => l.includes("\t")).map((l) => l.split("\t", 2) as [string, string]));
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGTERM");
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 4000);
    await this.proc.exited;
    clearTimeout(t);
    live.delete(this.proc);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
