// docker/Dockerfile without a docker engine: the stage layout, the runtime contents, that it agrees
// with docker/run.sh and .dockerignore, and a local replay of the build stage's commands.
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseCopy, parseDockerfile } from "./dockerfile-parse.ts";
import type { Instruction, Stage } from "./dockerfile-parse.ts";

const ROOT = resolve(import.meta.dir, "../..");
const df = parseDockerfile(readFileSync(join(ROOT, "docker/Dockerfile"), "utf8"));
const runSh = readFileSync(join(ROOT, "docker/run.sh"), "utf8");
const [build, runtime] = df.stages as [Stage, Stage];

const ops = (s: Stage, op: string): Instruction[] => s.instructions.filter((i) => i.op === op);
const one = (s: Stage, op: string): string => {
  const found = ops(s, op);
  expect(found).toHaveLength(1);
  return found[0]!.args;
};
/** The default run.sh gives an env-overridable path: VAR="${VAR:-default}". */
const runShDefault = (name: string): string | undefined =>
  new RegExp(`^${name}="\\$\\{${name}:-([^}]*)\\}"$`, "m").exec(runSh)?.[1];

describe("Dockerfile layout", () => {
  test("two stages: Bun 1.4.5 (debian) builds, debian bookworm-slim runs", () => {
    expect(df.stages).toHaveLength(2);
    expect(build.image).toBe("oven/bun:1.4.5-debian");
    expect(build.name).toBe("build");
    expect(runtime.image).toBe("debian:bookworm-slim");
  });

  test("the build stage installs the locked packages and compiles src/main.ts", () => {
    const runs = ops(build, "RUN").map((i) => i.args);
    expect(runs.some((r) => /\bbun install\b.*--frozen-lockfile/.test(r))).toBe(true);
    expect(runs.some((r) => /\bbun build --compile .*--outfile \/out\/mtproto-proxy src\/main\.ts\b/.test(r))).toBe(true);
    // as the Makefile: the binary must not read .env / bunfig.toml (preload scripts) from its cwd
    expect(runs.some((r) => /--no-compile-autoload-dotenv --no-compile-autoload-bunfig/.test(r))).toBe(true);
  });

  test("the runtime installs only ca-certificates, curl and iproute2, without recommends, and cleans lists", () => {
    const runs = ops(runtime, "RUN").map((i) => i.args);
    const installs = runs.flatMap((r) => [...r.matchAll(/apt-get install ([^;&|]*)/g)].map((m) => m[1]!.trim().split(" ")));
    expect(installs).toHaveLength(1);
    const words = installs[0]!;
    expect(words).toContain("--no-install-recommends");
    expect(words.filter((w) => !w.startsWith("-")).sort()).toEqual(["ca-certificates", "curl", "iproute2"]);
    const installRun = runs.find((r) => r.includes("apt-get install"))!;
    expect(installRun).toContain("rm -rf /var/lib/apt/lists/*");
    expect(runs.some((r) => /useradd\b.*\bmtproxy\b/.test(r))).toBe(true);
  });

  test("the runtime holds only the binary and run.sh from outside", () => {
    const copies = ops(runtime, "COPY").map((i) => parseCopy(i.args));
    expect(copies.map((c) => [c.flags.get("from") ?? null, c.sources, c.dest])).toEqual([
      ["build", ["/out/mtproto-proxy"], "/usr/local/bin/mtproto-proxy"],
      [null, ["docker/run.sh"], "/run.sh"],
    ]);
    expect(ops(runtime, "ADD")).toHaveLength(0);
  });

  test("EXPOSE 443, VOLUME /data, curl HEALTHCHECK on /stats, ENTRYPOINT run.sh, no USER", () => {
    expect(one(runtime, "EXPOSE")).toBe("443");
    expect(one(runtime, "VOLUME")).toBe("/data");
    const hc = one(runtime, "HEALTHCHECK");
    expect(hc).toMatch(/ CMD curl -f\S* .*http:\/\/127\.0\.0\.1:2398\/stats/);
    expect(JSON.parse(one(runtime, "ENTRYPOINT"))).toEqual(["/run.sh"]);
    expect(ops(runtime, "USER")).toHaveLength(0);
    expect(ops(runtime, "CMD")).toHaveLength(0);
  });
});

describe("Dockerfile agrees with run.sh and .dockerignore", () => {
  test("run.sh defaults are the image's paths, and its ports are the exposed and health-checked ones", () => {
    expect(runShDefault("DATA_DIR")).toBe(one(runtime, "VOLUME"));
    expect(runShDefault("CONFIG_DIR")).toBe("/etc/telegram");
    const binCopy = ops(runtime, "COPY").map((i) => parseCopy(i.args)).find((c) => c.flags.get("from") === "build")!;
    expect(runShDefault("PROXY_BIN")).toBe(binCopy.dest);
    expect(runShDefault("WORKERS")).toBe("2");
    expect(runSh).toContain(`-H ${one(runtime, "EXPOSE")} `);
    expect(runSh).toContain("-p 2398 --http-stats");
    expect(runSh.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(statSync(join(ROOT, "docker/run.sh")).mode & 0o111).not.toBe(0);
  });

  test("every file the build copies from the context exists and is not excluded by .dockerignore", () => {
    const rules = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    // Allowlist form: everything excluded, then re-included entries (exact paths or directories).
    expect(rules[0]).toBe("*");
    const allowed = rules.slice(1).map((r) => {
      expect(r.startsWith("!")).toBe(true);
      return r.slice(1).replace(/\/$/, "");
    });
    const sources = df.stages.flatMap((s) =>
      ops(s, "COPY").map((i) => parseCopy(i.args)).filter((c) => !c.flags.has("from")).flatMap((c) => c.sources),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      const path = src.replace(/\/$/, "");
      expect(existsSync(join(ROOT, path))).toBe(true);
      expect(allowed.some((a) => path === a || path.startsWith(`${a}/`))).toBe(true);
    }
  });
});

describe("build stage replayed locally", () => {
  test("its COPY and RUN steps produce a glibc-only executable", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "docker-build-"));
    try {
      const work = join(tmp, "work");
      const out = join(tmp, "out");
      mkdirSync(work);
      expect(one(build, "WORKDIR")).toBe("/src");
      for (const ins of build.instructions) {
        if (ins.op === "COPY") {
          const c = parseCopy(ins.args);
          for (const src of c.sources) {
            const dest = c.dest.endsWith("/") ? join(work, c.dest, src.split("/").pop()!) : join(work, c.dest);
            cpSync(join(ROOT, src), dest, { recursive: true });
          }
        } else if (ins.op === "RUN") {
          const cmd = ins.args.replaceAll("/out/", `${out}/`);
          const proc = Bun.spawn(["bash", "-ec", cmd], { cwd: work, stdout: "pipe", stderr: "pipe" });
          const timer = setTimeout(() => proc.kill("SIGKILL"), 90_000);
          try {
            const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
            if (code !== 0) throw new Error(`RUN ${ins.args} (line ${ins.line}) exited ${code}: ${stderr}`);
          } finally {
            clearTimeout(timer);
          }
        }
      }
      const bin = join(out, "mtproto-proxy");
      expect(statSync(bin).mode & 0o111).not.toBe(0);
      expect([...readFileSync(bin).subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
      // Only glibc libraries: why the runtime is debian-slim and not alpine/scratch.
      const ldd = Bun.spawnSync(["ldd", bin]);
      const libs = ldd.stdout.toString().split("\n").map((l) => l.trim().split(" ")[0]!).filter((l) => l !== "");
      expect(libs.length).toBeGreaterThan(0);
      for (const lib of libs) expect(lib).toMatch(/^(linux-vdso\.so\.1|libc\.so\.6|libpthread\.so\.0|libdl\.so\.2|libm\.so\.6|librt\.so\.1|\/lib64\/ld-linux-x86-64\.so\.2|\/lib\/ld-linux-aarch64\.so\.1)$/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, { timeout: 120_000 });
});
