// A refreshed proxy secret reaches the middle-end pool: with the old secret the ME refuses the
// handshake; after pool.applySecret(new) the pool's next connections complete it.
import { afterEach, expect, test } from "bun:test";
import { checkProxySecret } from "../../src/config/proxy-secret.ts";
import { createMemoryLogger } from "../../src/log.ts";
import { MiddlePool } from "../../src/rpc/pool.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
import { makeConfig, SECRET, target, until } from "../rpc/helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

test("pool.applySecret: new connections use the refreshed secret", async () => {
  const me = FakeMiddleEnd.start({ secret: SECRET });
  cleanups.push(() => me.stop());
  const old = checkProxySecret(new Uint8Array(64).fill(7), "secret");
  const fresh = checkProxySecret(SECRET, "secret");
  if (!old.ok || !fresh.ok) throw new Error("test secrets must be valid");
  const { log } = createMemoryLogger(0);
  const pool = new MiddlePool({
    config: makeConfig([[2, [target(me.port, 1)]]], 2),
    secret: old.secret,
    options: { proxyTag: null, natInfo: [], pingIntervalSec: 5 },
    log,
    limits: { tickMs: 50, handshakeTimeoutMs: 500 },
  });
  cleanups.push(() => pool.stop());
  pool.start();
  await until(() => pool.snapshot().connectionsOpened >= 1 && pool.snapshot().connectionsTotal === 0, 2000, "a refused handshake");
  expect(pool.snapshot().connectionsReady).toBe(0);
  pool.applySecret(fresh.secret);
  await until(() => pool.snapshot().connectionsReady === 1, 5000, "a ready connection with the new secret");
  expect(me.openTunnels).toHaveLength(1);
}, 10_000);
