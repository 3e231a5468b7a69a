// -D with an origin that cannot be reached (localhost:443, nothing listening): probes and stalled
// handshakes are fronted, the connect fails, and each is closed at once (stalled ones after the
// 10 s alarm), while fake-TLS clients are served beside them.
import { openClient, openMany, type ClientTarget, type LoadClient } from "./clients.ts";
import type { Report } from "./report.ts";
import { fdCount } from "./proc.ts";
import { ProxyProcess } from "./processes.ts";

async function closedWithin(clients: LoadClient[], since: number, ms: number): Promise<{ n: number; lastMs: number }> {
  await Promise.race([Promise.all(clients.map((c) => c.closed)), Bun.sleep(ms)]);
  const closed = clients.filter((c) => c.isClosed);
  return { n: closed.length, lastMs: Math.max(0, ...closed.map((c) => c.closedAt - since)) };
}

export async function frontingPhase(report: Report, setup: { clientSecret: Uint8Array; proxySecret: Uint8Array; mePort: number }): Promise<void> {
  const phase = "fronting unreachable";
  const proxy = await ProxyProcess.start({ ...setup, extraArgs: ["-D", "localhost"] });
  try {
    await Bun.sleep(1500); // middle-end links
    const fds0 = fdCount(proxy.pid) ?? 0;
    const target: ClientTarget = { host: "127.0.0.1", port: proxy.port, secret: setup.clientSecret, mode: "ee", domain: "localhost" };
    const good = await openMany(target, 10, 10, async (c) => void (await c.echo(5000)));
    const probesAt = performance.now();
    const probes: LoadClient[] = [];
    for (let i = 0; i < 30; i++) {
      const c = await openClient(target, { sendOpening: false });
      c.sendRaw(Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      probes.push(c);
    }
    const stalledAt = performance.now();
    const stalled: LoadClient[] = [];
    for (let i = 0; i < 20; i++) stalled.push(await openClient(target, { sendOpening: false }));
    const p = await closedWithin(probes, probesAt, 5000);
    report.add(phase, "probes closed (origin refused)", `${p.n}/30, last after ${p.lastMs.toFixed(0)} ms`, "all within 3 s", p.n === 30 && p.lastMs <= 3000);
    // the served clients keep working meanwhile
    const echoes = await Promise.allSettled(good.clients.map((c) => c.echo(5000)));
    const goodFailed = good.errors.length + echoes.filter((e) => e.status === "rejected").length;
    report.add(phase, "fake-TLS clients served beside them", `${good.clients.length - goodFailed}/10`, "10/10", goodFailed === 0);
    const s = await closedWithin(stalled, stalledAt, 16_000);
    report.add(phase, "silent connections closed (10 s alarm, then origin refused)", `${s.n}/20, last after ${(s.lastMs / 1000).toFixed(1)} s`, "all within 13 s", s.n === 20 && s.lastMs <= 13_000);
    for (const c of good.clients) c.end();
    await Bun.sleep(500);
    const fds = fdCount(proxy.pid) ?? -1;
    report.add(phase, "fds after phase", `${fds} (before ${fds0})`, `≤ ${fds0}`, fds >= 0 && fds <= fds0);
  } finally {
    await proxy.stop();
  }
}
