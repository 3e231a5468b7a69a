// Load scenarios: hold many concurrent clients (each handshaken and bound to the middle end), and
// a burst of pipelined echoes through a few hundred clients with every answer checked.
import { openMany, percentile, type LoadClient } from "./clients.ts";
import { checkLeaks, figures, type RunContext } from "./context.ts";
import { fdCount, mib, nofileSoft, rssBytes } from "./proc.ts";
import { makeRequest } from "./wire.ts";

async function closeAll(clients: LoadClient[], ms: number): Promise<void> {
  for (const c of clients) c.end();
  const t = Bun.sleep(ms);
  await Promise.race([Promise.all(clients.map((c) => c.closed)), t]);
  for (const c of clients) if (!c.isClosed) c.terminate();
}

export async function holdPhase(ctx: RunContext, wanted: number): Promise<void> {
  const phase = "hold";
  const r = ctx.report;
  // each client costs one fd here; keep 512 for the rest of the run
  const soft = nofileSoft() ?? 1024;
  let n = wanted;
  if (soft - 512 < wanted) {
    n = Math.max(100, soft - 512);
    console.log(`  NOTE: fd limit ${soft} of this process is too low for ${wanted} clients (raise it with ulimit -n); holding ${n}`);
    r.add(phase, "fd limit allows the wanted clients", `soft limit ${soft}: ${n} clients`, `${wanted} clients`, false);
  }
  const pid = ctx.proxy.pid;
  const before = figures(pid);
  const t0 = performance.now();
  const { clients, errors } = await openMany(ctx.target, n, 100, async (c) => {
    await c.echo(20_000);
  });
  const openSec = (performance.now() - t0) / 1000;
  await Bun.sleep(1000);
  const alive = clients.filter((c) => !c.isClosed);
  const rss = rssBytes(pid) ?? 0;
  const fds = fdCount(pid) ?? 0;
  // everyone echoes once more while all are held: the proxy still serves each of them
  const second = await Promise.allSettled(alive.map((c) => c.echo(20_000)));
  const secondFailed = second.filter((s) => s.status === "rejected").length;
  const mismatches = clients.reduce((a, c) => a + c.mismatches, 0);
  const errs = errors.length + (n - errors.length - alive.length) + secondFailed + mismatches;
  r.add(phase, "concurrent clients held", `${alive.length} of ${n} (opened in ${openSec.toFixed(1)} s)`, `${n}`, alive.length === n);
  r.add(phase, "errors (connect, answer, mismatch)", String(errs), "0", errs === 0);
  if (errors.length > 0) console.log(`  first connect error: ${errors[0]}`);
  r.info(phase, "proxy fds while held", `${fds} (start-up ${before.fds})`);
  const perClient = alive.length > 0 ? (rss - before.rss) / alive.length : 0;
  r.add(phase, "RSS per idle client", `${(perClient / 1024).toFixed(1)} KiB (RSS ${mib(rss)} MiB)`, "≤ 32 KiB", perClient <= 32 * 1024);
  await closeAll(clients, 10_000);
  await checkLeaks(ctx, phase);
}

export async function burstPhase(ctx: RunContext, clientsN: number, perClient: number, window: number): Promise<void> {
  const phase = "burst";
  const r = ctx.report;
  const { clients, errors } = await openMany(ctx.target, clientsN, 50, async (c) => {
    await c.echo(10_000);
  });
  const total = clientsN * perClient;
  let answered = 0;
  let failed = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      let sent = 0;
      const inflight = new Set<Promise<void>>();
      while (sent < perClient) {
        while (inflight.size < window && sent < perClient) {
          sent++;
          const p: Promise<void> = c
            .request(makeRequest(c.id, c.nextSeq()), true, 30_000)
            .then(
              (ms) => {
                answered++;
                if (lat.length < 200_000) lat.push(ms);
              },
              () => void failed++,
            )
            .finally(() => inflight.delete(p));
          inflight.add(p);
        }
        await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }),
  );
  const sec = (performance.now() - t0) / 1000;
  const mismatches = clients.reduce((a, c) => a + c.mismatches, 0);
  const lost = total - answered + errors.length * perClient;
  lat.sort((a, b) => a - b);
  r.add(phase, "messages answered", `${answered} of ${total} in ${sec.toFixed(1)} s (${Math.round(answered / sec)} msg/s)`, `${total}`, answered === total);
  r.add(phase, "lost or wrong answers", String(lost + mismatches), "0", lost + mismatches === 0 && failed === 0);
  r.info(phase, "round trip p50 / p99", `${percentile(lat, 50).toFixed(1)} / ${percentile(lat, 99).toFixed(1)} ms (window ${window} per client)`);
  await closeAll(clients, 5000);
  await checkLeaks(ctx, phase);
}
