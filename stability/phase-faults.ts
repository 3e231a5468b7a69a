// Middle-end faults: the ME killed mid-stream and restarted, and an ME that completes the handshake
// and then goes silent (C holds such clients forever; we ping per -T and close them within 30 s).
// Plus connections that go half-open (a partial init, then nothing) beside them.
import { openClient, openMany, type LoadClient } from "./clients.ts";
import { checkLeaks, type RunContext } from "./context.ts";
import { FakeMeProcess } from "./processes.ts";

/** Tries a fresh client every 100 ms until one gets an echo; ms from `since`, or null. */
async function firstServed(ctx: RunContext, since: number, limitMs: number): Promise<number | null> {
  while (performance.now() - since < limitMs) {
    let c: LoadClient | null = null;
    try {
      c = await openClient(ctx.target);
      await c.echo(500);
      return performance.now() - since;
    } catch {
      await Bun.sleep(100);
    } finally {
      c?.terminate();
    }
  }
  return null;
}

async function allClosed(clients: LoadClient[], ms: number): Promise<boolean> {
  const t = Bun.sleep(ms).then(() => false);
  return Promise.race([Promise.all(clients.map((c) => c.closed)).then(() => true), t]);
}

export async function meKillPhase(ctx: RunContext): Promise<void> {
  const phase = "ME killed";
  const r = ctx.report;
  const { clients } = await openMany(ctx.target, 50, 50, async (c) => void (await c.echo()));
  let running = true;
  const loops = clients.map(async (c) => {
    while (running && !c.isClosed) await c.echo(5000).catch(() => undefined);
  });
  await Bun.sleep(500);
  const killedAt = performance.now();
  ctx.me.kill();
  const closed = await allClosed(clients, 10_000);
  const closeMs = Math.max(...clients.map((c) => (c.isClosed ? c.closedAt - killedAt : 10_000)));
  r.add(phase, "bound clients closed after the kill", `${clients.filter((c) => c.isClosed).length}/${clients.length} within ${closeMs.toFixed(0)} ms`, "all within 5 s", closed && closeMs <= 5000);
  running = false;
  await Promise.all(loops);
  await Bun.sleep(300);
  const restartAt = performance.now();
  ctx.me = await FakeMeProcess.start(ctx.proxySecret, ctx.me.port);
  const served = await firstServed(ctx, restartAt, 20_000);
  r.add(phase, "new client served after restart", served === null ? "never (20 s)" : `after ${(served / 1000).toFixed(1)} s (reconnect back-off)`, "≤ 15 s", served !== null && served <= 15_000);
  await checkLeaks(ctx, phase);
}

export async function meSilentPhase(ctx: RunContext): Promise<void> {
  const phase = "ME silent";
  const r = ctx.report;
  const { clients } = await openMany(ctx.target, 20, 20, async (c) => void (await c.echo()));
  await ctx.me.mode("silent");
  const silentAt = performance.now();
  // queries the ME will never answer
  for (const c of clients) void c.echo(60_000).catch(() => undefined);
  const closed = await allClosed(clients, 40_000);
  const closeMs = Math.max(...clients.map((c) => (c.isClosed ? c.closedAt - silentAt : 40_000)));
  r.add(phase, "bound clients closed (pings per -T, default 5 s)", `${clients.filter((c) => c.isClosed).length}/${clients.length} after ${(closeMs / 1000).toFixed(1)} s`, "all within 30 s", closed && closeMs <= 30_000);
  const answerAt = performance.now();
  await ctx.me.mode("echo");
  const served = await firstServed(ctx, answerAt, 20_000);
  r.add(phase, "new client served once the ME answers", served === null ? "never (20 s)" : `after ${(served / 1000).toFixed(2)} s`, "≤ 5 s", served !== null && served <= 5000);
  await checkLeaks(ctx, phase);
}

/** Opens connections that stall mid-handshake or send nothing; finish() reports their fate. */
export async function startHalfOpen(ctx: RunContext, n: number): Promise<{ finish(boundMs: number): Promise<void> }> {
  const openedAt = performance.now();
  const clients: LoadClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await openClient(ctx.target, { sendOpening: false });
    if (i % 2 === 0) c.sendRaw(c.codec.opening().subarray(0, 30));
    clients.push(c);
  }
  ctx.extraFds = () => clients.filter((c) => !c.isClosed).length;
  return {
    async finish(boundMs) {
      const phase = "half-open";
      const left = boundMs + 5000 - (performance.now() - openedAt);
      await allClosed(clients, Math.max(0, left));
      const closedN = clients.filter((c) => c.isClosed).length;
      const last = Math.max(...clients.map((c) => (c.isClosed ? c.closedAt - openedAt : Infinity)));
      for (const c of clients) if (!c.isClosed) c.terminate();
      ctx.extraFds = () => 0;
      ctx.report.add(
        phase,
        "stalled handshakes closed by the proxy",
        `${closedN}/${n}, last after ${Number.isFinite(last) ? (last / 1000).toFixed(1) : "-"} s`,
        `all within ${(boundMs / 1000).toFixed(0)} s + 5 s`,
        closedN === n,
      );
    },
  };
}
