// 2,000 hostile connections (random bytes, truncated inits, clients that vanish right after a
// query, resets, broken frames) beside 20 good clients. C loses good clients' answers when a
// connection id is reused after a close; every good answer here must come back to its own client.
import { systemRandom } from "../src/crypto/random.ts";
import { openClient, openMany, type ClientTarget, type LoadClient } from "./clients.ts";
import { checkLeaks, type RunContext } from "./context.ts";
import { makeRequest } from "./wire.ts";

export type HostileKind = "random-bytes" | "truncated-init" | "query-then-close" | "query-then-reset" | "bad-frame";
export const HOSTILE_KINDS: HostileKind[] = ["random-bytes", "truncated-init", "query-then-close", "query-then-reset", "bad-frame"];

/** One hostile connection of `kind`, closed (FIN or reset) at a random moment. */
export async function hostileConnection(target: ClientTarget, kind: HostileKind): Promise<void> {
  const c = await openClient(target, { sendOpening: false });
  const r = systemRandom;
  const opening = c.codec.opening();
  switch (kind) {
    case "random-bytes":
      c.sendRaw(r.bytes(1 + r.int(300)));
      break;
    case "truncated-init":
      c.sendRaw(opening.subarray(0, 1 + r.int(opening.length - 1)));
      break;
    case "query-then-close":
    case "query-then-reset":
      c.sendRaw(opening);
      c.sendPackets([makeRequest(c.id, c.nextSeq())]);
      // a reset: stop reading so the answer stays unread in the kernel, then close (RST)
      if (kind === "query-then-reset") c.pause();
      break;
    case "bad-frame":
      c.sendRaw(opening);
      c.sendRaw(r.bytes(8 + r.int(64)));
      break;
  }
  // random close timing: at once, soon, or after the answer could have arrived
  const wait = [0, 1, 5, 20, 100, 400][r.int(6)]!;
  if (wait > 0) await Bun.sleep(wait + r.int(wait));
  if (r.int(2) === 0 || kind === "query-then-reset") c.terminate();
  else c.end();
}

export async function hostilePhase(ctx: RunContext, total: number, parallel: number): Promise<void> {
  const phase = "hostile";
  const r = ctx.report;
  const good = await openMany(ctx.target, 20, 20, async (c) => void (await c.echo()));
  let running = true;
  let goodAnswers = 0;
  let goodFailures = 0;
  const loops = good.clients.map(async (c: LoadClient) => {
    while (running) {
      try {
        await c.echo(10_000);
        goodAnswers++;
      } catch {
        goodFailures++;
        return;
      }
    }
  });
  let next = 0;
  let hostileErrors = 0;
  const counts = new Map<HostileKind, number>();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) {
        const kind = HOSTILE_KINDS[next++ % HOSTILE_KINDS.length]!;
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
        try {
          await hostileConnection(ctx.target, kind);
        } catch {
          hostileErrors++;
        }
      }
    }),
  );
  const sec = (performance.now() - t0) / 1000;
  running = false;
  await Promise.all(loops);
  const mismatches = good.clients.reduce((a, c) => a + c.mismatches, 0);
  r.info(phase, "hostile connections", `${total} in ${sec.toFixed(1)} s (${[...counts].map(([k, n]) => `${k} ${n}`).join(", ")})`);
  r.add(phase, "hostile connects refused", String(hostileErrors), "0", hostileErrors === 0);
  r.add(phase, "good clients: answers / failures", `${goodAnswers} / ${goodFailures + good.errors.length}`, "0 failures", goodFailures + good.errors.length === 0 && goodAnswers > 0);
  r.add(phase, "answers to the wrong client", String(mismatches), "0", mismatches === 0);
  for (const c of good.clients) c.end();
  await checkLeaks(ctx, phase);
}
