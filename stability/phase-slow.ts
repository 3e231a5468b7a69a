// Clients that ask for 1 MiB answers and never read (C asserts and dies near 256 MiB of buffers):
// the proxy must stay within its caps while ordinary clients beside them keep their latency.
import { openClient, openMany, percentile, type LoadClient } from "./clients.ts";
import { checkLeaks, type RunContext } from "./context.ts";
import { MiB, mib, rssBytes } from "./proc.ts";
import { CMD_BIG, makeRequest } from "./wire.ts";

/** Ping-pong echoes on every client until `stop()`; collects round-trip times. */
function echoLoop(clients: LoadClient[]): { stop(): Promise<void>; lat: number[]; failed: () => number } {
  let running = true;
  let failed = 0;
  const lat: number[] = [];
  const loops = clients.map(async (c) => {
    while (running && !c.isClosed) {
      try {
        lat.push(await c.echo(10_000));
      } catch (error) {
        failed++;
        if (failed <= 3) console.log(`  good client ${c.id}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      await Bun.sleep(5);
    }
  });
  return {
    lat,
    failed: () => failed,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

export async function slowReadersPhase(ctx: RunContext, opts: { slow: number; answers: number; seconds: number }): Promise<void> {
  const phase = "slow readers";
  const r = ctx.report;
  const pid = ctx.proxy.pid;
  const good = await openMany(ctx.target, 20, 20, async (c) => void (await c.echo()));
  // the normal latency of these clients before the attack
  const calm = echoLoop(good.clients);
  await Bun.sleep(2000);
  await calm.stop();
  const calmLat = calm.lat.slice().sort((a, b) => a - b);

  const startRss = rssBytes(pid) ?? 0;
  let peak = startRss;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid) ?? 0)), 50);
  const loaded = echoLoop(good.clients);
  let slowOpened = 0;
  let slowClosedByProxy = 0;
  let running = true;
  const slowLoop = async (): Promise<void> => {
    while (running) {
      let c: LoadClient;
      try {
        c = await openClient(ctx.target);
      } catch {
        await Bun.sleep(50);
        continue;
      }
      slowOpened++;
      c.pause();
      const reqs = Array.from({ length: opts.answers }, () => makeRequest(c.id, c.nextSeq(), CMD_BIG, MiB));
      c.sendPackets(reqs);
      await Promise.race([c.closed, (async () => {
        while (running && !c.isClosed) await Bun.sleep(50);
      })()]);
      if (c.isClosed) slowClosedByProxy++;
      else c.terminate();
    }
  };
  const slowLoops = Array.from({ length: opts.slow }, slowLoop);
  await Bun.sleep(opts.seconds * 1000);
  running = false;
  await Promise.all(slowLoops);
  await loaded.stop();
  clearInterval(sampler);
  const loadLat = loaded.lat.slice().sort((a, b) => a - b);
  const growth = peak - startRss;
  r.add(phase, "proxy RSS growth (peak)", `${mib(growth)} MiB (peak ${mib(peak)} MiB)`, "≤ 256 MiB", growth <= 256 * MiB);
  r.info(phase, "slow clients opened / cut by the proxy", `${slowOpened} / ${slowClosedByProxy} (${opts.answers} × 1 MiB asked each)`);
  const calm99 = percentile(calmLat, 99);
  const load99 = percentile(loadLat, 99);
  const load50 = percentile(loadLat, 50);
  r.info(phase, "good clients p50 / p99 before", `${percentile(calmLat, 50).toFixed(2)} / ${calm99.toFixed(2)} ms`);
  // "normal latency": the p50 stays in the low milliseconds and the p99 under 100 ms
  const latOk = load50 <= Math.max(5, calm99 * 4) && load99 <= 100;
  r.add(phase, "good clients p50 / p99 during", `${load50.toFixed(2)} / ${load99.toFixed(2)} ms (${loadLat.length} echoes)`, "p50 ≤ 5 ms, p99 ≤ 100 ms", latOk);
  const goodFailed = loaded.failed() + good.errors.length + good.clients.reduce((a, c) => a + c.mismatches, 0);
  r.add(phase, "good clients failed", String(goodFailed), "0", goodFailed === 0);
  for (const c of good.clients) c.end();
  await checkLeaks(ctx, phase);
}
