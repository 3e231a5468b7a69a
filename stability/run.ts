// `make stability`: every scenario against the compiled proxy on loopback with the fake middle end,
// one table of figures at the end, exit 1 if any figure misses its bound. Always kills what it started.
//   bun stability/run.ts [--clients N] [--quick]
import { parseArgs } from "node:util";
import { figures, type RunContext } from "./context.ts";
import { frontingPhase } from "./phase-fronting.ts";
import { hostilePhase } from "./phase-hostile.ts";
import { burstPhase, holdPhase } from "./phase-load.ts";
import { meKillPhase, meSilentPhase, startHalfOpen } from "./phase-faults.ts";
import { slowReadersPhase } from "./phase-slow.ts";
import { cpuPercent, fdCount, MiB, mib, rssBytes } from "./proc.ts";
import { FakeMeProcess, killAll, proxyBinary, ProxyProcess } from "./processes.ts";
import { Report } from "./report.ts";

const { values } = parseArgs({ options: { clients: { type: "string", default: "10000" }, quick: { type: "boolean", default: false } } });
const quick = values.quick;
const CLIENT_SECRET = Buffer.from("0123456789abcdef0123456789abcdef", "hex");
const PROXY_SECRET = new Uint8Array(128).map((_, i) => (i * 37 + 11) & 0xff);

process.on("SIGINT", () => {
  killAll();
  process.exit(130);
});
process.on("SIGTERM", () => {
  killAll();
  process.exit(143);
});

const report = new Report();
const started = performance.now();

async function phase(name: string, fn: () => Promise<void>): Promise<void> {
  const t = performance.now();
  console.log(`== ${name}`);
  try {
    await fn();
  } catch (error) {
    report.crashed(name, error);
  }
  console.log(`   (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

async function idleCpu(ctx: RunContext, label: string): Promise<void> {
  const pct = await cpuPercent(ctx.proxy.pid, quick ? 3000 : 10_000);
  ctx.report.add("idle", `CPU with no traffic (${label})`, `${pct === null ? "?" : pct.toFixed(2)} % of a core over ${quick ? 3 : 10} s`, "< 1 %", pct !== null && pct < 1);
}

let code = 1;
try {
  console.log(`stability: proxy ${proxyBinary().join(" ")}`);
  const me = await FakeMeProcess.start(PROXY_SECRET);
  const proxy = await ProxyProcess.start({ clientSecret: CLIENT_SECRET, proxySecret: PROXY_SECRET, mePort: me.port });
  await Bun.sleep(1500); // the middle-end links come up
  const ctx: RunContext = {
    proxy,
    me,
    target: { host: "127.0.0.1", port: proxy.port, secret: CLIENT_SECRET },
    report,
    proxySecret: PROXY_SECRET,
    startup: figures(proxy.pid),
    extraFds: () => 0,
  };
  report.info("start-up", "RSS / fds", `${mib(ctx.startup.rss)} MiB / ${ctx.startup.fds}`);

  await phase("idle CPU", () => idleCpu(ctx, "after start-up"));
  await phase("hold", () => holdPhase(ctx, quick ? 1000 : Number(values.clients)));
  await phase("burst", () => burstPhase(ctx, 200, quick ? 50 : 500, 20));
  await phase("slow readers", () => slowReadersPhase(ctx, { slow: 20, answers: 40, seconds: quick ? 4 : 10 }));
  await phase("hostile", () => hostilePhase(ctx, quick ? 500 : 2000, 100));
  // stalled handshakes run beside the middle-end faults: without -D they are closed after 60 s
  const halfOpen = await startHalfOpen(ctx, 100);
  await phase("ME killed", () => meKillPhase(ctx));
  await phase("ME silent", () => meSilentPhase(ctx));
  await phase("fronting unreachable", () => frontingPhase(report, { clientSecret: CLIENT_SECRET, proxySecret: PROXY_SECRET, mePort: ctx.me.port }));
  await phase("half-open", () => halfOpen.finish(60_000));

  await phase("after load", async () => {
    // memory and fds back near start-up (the proxy collects after bursts every 2 s)
    const end = performance.now() + 20_000;
    let rss = rssBytes(proxy.pid) ?? 0;
    let fds = fdCount(proxy.pid) ?? 0;
    while ((rss > ctx.startup.rss + 64 * MiB || fds > ctx.startup.fds) && performance.now() < end) {
      await Bun.sleep(500);
      rss = rssBytes(proxy.pid) ?? 0;
      fds = fdCount(proxy.pid) ?? 0;
    }
    report.add("after load", "RSS vs start-up", `${mib(rss)} MiB (start-up ${mib(ctx.startup.rss)}, +${mib(rss - ctx.startup.rss)})`, "≤ +64 MiB", rss <= ctx.startup.rss + 64 * MiB);
    report.add("after load", "fds vs start-up", `${fds} (start-up ${ctx.startup.fds})`, `≤ ${ctx.startup.fds}`, fds <= ctx.startup.fds);
    await idleCpu(ctx, "after load");
  });
  const alive = proxy.proc.exitCode === null;
  report.add("process", "proxy alive through every phase", alive ? "yes" : `exited ${proxy.proc.exitCode}`, "yes", alive);
  await proxy.stop();
  code = report.failed === 0 ? 0 : 1;
} catch (error) {
  report.crashed("run", error);
} finally {
  killAll();
}

console.log(`\nstability (${((performance.now() - started) / 1000).toFixed(0)} s, ${report.rows.length} figures, ${report.failed} failed):\n`);
console.log(report.table());
process.exit(code);
