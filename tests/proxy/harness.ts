// Shared loopback fixtures for the data-plane tests: a data plane on an OS-chosen port (port 0 is
// accepted by createDataPlane; the CLI itself only allows 1..65535), a real MiddlePool against the
// fake middle end, and a fake origin for fronting that records every byte it receives.
import { seededRandom } from "../../src/crypto/random.ts";
import { createMemoryLogger } from "../../src/log.ts";
import { createDataPlane, loopbackPlaneOptions, type DataPlane, type DataPlaneDeps } from "../../src/proxy/data-plane.ts";
import type { MiddleEnd } from "../../src/proxy/middle-contract.ts";
import { MiddlePool } from "../../src/rpc/pool.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";
export { startOrigin, type FakeOrigin } from "../support/fake-origin.ts";
import { KEY_SELECT, makeConfig, SECRET, target } from "../rpc/helpers.ts";

export const TAG = Buffer.from("00112233445566778899aabbccddeeff", "hex");
export const SECRETS = [
  Buffer.from("0123456789abcdef0123456789abcdef", "hex"),
  Buffer.from("f0e1d2c3b4a5968778695a4b3c2d1e0f", "hex"),
  Buffer.from("11111111222222223333333344444444", "hex"),
];
export const DOMAIN = "example.com";

export type PlaneOptions = DataPlaneDeps["options"];

export function planeOptions(over: Partial<PlaneOptions> = {}): PlaneOptions {
  return { ...loopbackPlaneOptions(SECRETS), ...over };
}

export interface Cleanup {
  add(fn: () => unknown): void;
  run(): Promise<void>;
}

export function cleanupList(): Cleanup {
  const fns: (() => unknown)[] = [];
  return {
    add: (fn) => void fns.push(fn),
    async run() {
      while (fns.length) await fns.pop()!();
    },
  };
}

export async function startPool(cleanup: Cleanup, opts: { min?: number; tag?: Uint8Array | null } = {}) {
  const me = FakeMiddleEnd.start({ secret: SECRET });
  cleanup.add(() => me.stop());
  const mem = createMemoryLogger(0);
  const pool = new MiddlePool({
    config: makeConfig([[2, [target(me.port, opts.min ?? 2)]]], 2),
    secret: { bytes: SECRET, keySelect: KEY_SELECT },
    options: { proxyTag: opts.tag === undefined ? TAG : opts.tag, natInfo: [], pingIntervalSec: 0 },
    log: mem.log,
    pid: { ip: 0, port: 0xffff, pid: 4242, utime: 1_700_000_000 },
  });
  pool.start();
  cleanup.add(() => pool.stop());
  await me.waitFor(() => pool.snapshot().connectionsReady === (opts.min ?? 2), 3000, "pool ready");
  return { me, pool };
}

export async function startPlane(
  cleanup: Cleanup,
  middle: MiddleEnd | null,
  over: Omit<Partial<DataPlaneDeps>, "options"> & { options?: Partial<PlaneOptions> } = {},
): Promise<{ plane: DataPlane; port: number; lines: string[] }> {
  const mem = createMemoryLogger(0);
  const { options, ...rest } = over;
  const plane = createDataPlane({
    options: planeOptions(options),
    log: mem.log,
    middle,
    direct: null,
    reusePort: false,
    random: seededRandom(7),
    domainProbe: { resolve: async () => "127.0.0.1", timeoutMs: 200 },
    ...rest,
  });
  await plane.start();
  cleanup.add(() => plane.stop());
  return { plane, port: plane.listeningPorts[0]!, lines: mem.lines };
}


export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

/** An encrypted-looking MTProto packet (auth_key_id ≠ 0) of `len` bytes, multiple of 4, ≥ 56. */
export function packet(len: number, seed = 1): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  b.writeUInt32LE(0x11223344 + seed, 0);
  return b;
}
