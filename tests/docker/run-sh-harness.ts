// Runs docker/run.sh under bash in a temp dir with stub `curl`, `ip` and proxy binary, so every branch
// of the §C.6 contract can be driven without a network, docker, or root paths.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const RUN_SH = resolve(import.meta.dir, "../../docker/run.sh");

export const CONFIG_TEXT = "# force_probability 10 10\ndefault 2;\nproxy_for 1 149.154.175.50:8888;\nproxy_for 2 149.154.161.144:8888;\n";
export const PROXY_SECRET_TEXT = "c4f9faca".repeat(16); // 128 bytes, like getProxySecret

/** How the stubs behave in one run. */
export interface StubPlan {
  /** getProxyConfig: write CONFIG_TEXT, or fail like a transport error (curl exit 6). */
  config?: "ok" | "fail";
  /** getProxySecret: write PROXY_SECRET_TEXT, or fail (curl exit 22, as with -f on HTTP 404). */
  proxySecret?: "ok" | "fail";
  /** myIp: the text curl prints; null = transport failure with no output. */
  externalIp?: string | null;
  /** Output of `ip -4 route get 8.8.8.8`; null = no route (nothing on stdout, exit 2). */
  route?: string | null;
  /** The proxy stub's exit code. */
  proxyExit?: number;
}

export interface RunShResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** The proxy's argv (without argv0), or null when run.sh never exec'd it. */
  argv: string[] | null;
  /** The pid the proxy stub ran as (equals run.sh's pid when it was exec'd). */
  proxyPid: number | null;
  runShPid: number;
  /** One line per curl call: its arguments joined by spaces. */
  curlCalls: string[];
}

export interface Sandbox {
  root: string;
  dataDir: string;
  configDir: string;
  secretFile: string;
  run(env?: Record<string, string>, plan?: StubPlan, opts?: { noSleep?: boolean; timeoutMs?: number }): Promise<RunShResult>;
  cleanup(): void;
}

const CURL_STUB = `#!/bin/bash
# stub curl: logs its arguments, then answers by URL as STUB_* env says.
printf '%s\\n' "$*" >> "$STUB_DIR/curl.log"
out=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift ;;
    https://*) url="$1" ;;
  esac
  shift
done
emit() { if [ -n "$out" ]; then cat > "$out"; else cat; fi; }
case "$url" in
  https://core.telegram.org/getProxyConfig)
    [ "$STUB_CONFIG" = ok ] || exit 6
    emit < "$STUB_DIR/config.txt" ;;
  https://core.telegram.org/getProxySecret)
    [ "$STUB_PROXY_SECRET" = ok ] || exit 22
    emit < "$STUB_DIR/proxy-secret.txt" ;;
  https://digitalresistance.dog/myIp)
    [ "$STUB_IP_FAIL" = 1 ] && exit 7
    printf '%s' "$STUB_EXTERNAL_IP" | emit ;;
  *) echo "stub curl: unexpected url '$url'" >&2; exit 99 ;;
esac
`;

const IP_STUB = `#!/bin/bash
printf '%s\\n' "$*" >> "$STUB_DIR/ip.log"
if [ "$STUB_ROUTE_NONE" = 1 ]; then echo "RTNETLINK answers: Network is unreachable" >&2; exit 2; fi
printf '%s\\n' "$STUB_ROUTE"
`;

const PROXY_STUB = `#!/bin/bash
printf '%s\\n' "$@" > "$STUB_DIR/argv"
echo $$ > "$STUB_DIR/pid"
exit "\${STUB_PROXY_EXIT:-0}"
`;

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

export function createSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "run-sh-"));
  const bin = join(root, "bin");
  const stubDir = join(root, "stub");
  const dataDir = join(root, "data");
  const configDir = join(root, "etc-telegram");
  for (const d of [bin, stubDir]) mkdirSync(d);
  writeExecutable(join(bin, "curl"), CURL_STUB);
  writeExecutable(join(bin, "ip"), IP_STUB);
  writeExecutable(join(root, "mtproto-proxy"), PROXY_STUB);
  writeFileSync(join(stubDir, "config.txt"), CONFIG_TEXT);
  writeFileSync(join(stubDir, "proxy-secret.txt"), PROXY_SECRET_TEXT);

  const readOpt = (name: string): string | null => {
    const p = join(stubDir, name);
    return existsSync(p) ? readFileSync(p, "utf8") : null;
  };

  return {
    root,
    dataDir,
    configDir,
    secretFile: join(dataDir, "secret"),
    async run(env = {}, plan = {}, opts = {}) {
      for (const f of ["argv", "pid", "curl.log", "ip.log"]) rmSync(join(stubDir, f), { force: true });
      const route = plan.route === undefined ? "8.8.8.8 via 10.0.0.1 dev eth0 src 10.0.0.5 uid 0\n    cache " : plan.route;
      const externalIp = plan.externalIp === undefined ? "203.0.113.7" : plan.externalIp;
      const fullEnv: Record<string, string> = {
        PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
        HOME: root,
        DATA_DIR: dataDir,
        CONFIG_DIR: configDir,
        PROXY_BIN: join(root, "mtproto-proxy"),
        STUB_DIR: stubDir,
        STUB_CONFIG: plan.config ?? "ok",
        STUB_PROXY_SECRET: plan.proxySecret ?? "ok",
        STUB_IP_FAIL: externalIp === null ? "1" : "0",
        STUB_EXTERNAL_IP: externalIp ?? "",
        STUB_ROUTE_NONE: route === null ? "1" : "0",
        STUB_ROUTE: route ?? "",
        STUB_PROXY_EXIT: String(plan.proxyExit ?? 0),
        ...(opts.noSleep === false ? {} : { RUN_SH_NO_SLEEP: "1" }),
        ...env,
      };
      const started = performance.now();
      const proc = Bun.spawn(["bash", RUN_SH], { cwd: root, env: fullEnv, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 4000);
      try {
        const [stdout, stderr, exitCode] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        const argvText = readOpt("argv");
        const pidText = readOpt("pid");
        return {
          exitCode,
          stdout,
          stderr,
          elapsedMs: performance.now() - started,
          argv: argvText === null ? null : argvText.replace(/\n$/, "").split("\n"),
          proxyPid: pidText === null ? null : Number(pidText.trim()),
          runShPid: proc.pid,
          curlCalls: (readOpt("curl.log") ?? "").split("\n").filter((l) => l !== ""),
        };
      } finally {
        clearTimeout(timer);
        proc.kill("SIGKILL");
      }
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A 32-hex secret derived from `n`, in the case asked for. */
export function hexSecret(n: number, upper = false): string {
  const s = (n.toString(16).padStart(8, "0") + "0123456789abcdef0123456789abcdef").slice(0, 32);
  return upper ? s.toUpperCase() : s;
}
