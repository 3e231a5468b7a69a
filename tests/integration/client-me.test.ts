// The client data plane end to end on loopback: test clients (our codecs) → createDataPlane → a real
// MiddlePool → the fake middle end, and back; fronting to a fake origin; blackholing (client-side.md
// §0, §2.5, §3.5–3.8, §4.9, §6; backend-rpc.md §10.6–10.8).
import { afterEach, describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { RPC_PING, RPC_PONG } from "../../src/proxy/forward-filter.ts";
import type { ServerEvent } from "../../src/transport/client-frames.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { connectTestClient, createTestClientCodec, type SecretMode, type TestConnection } from "../support/test-client.ts";
import { cleanupList, DOMAIN, packet, SECRETS, startOrigin, startPlane, startPool, TAG, until } from "../proxy/harness.ts";

const cleanup = cleanupList();
afterEach(() => cleanup.run());

const FLAG_EXT = 0x1000 | 0x20000;
const FLAG_COMPACT = 0x40000000;
const FLAG_MEDIUM = 0x20000000;
const FLAG_QUICKACK = 0x80000000 | 0; // compared as signed below
const FLAG_TAG = 0x8;

async function client(port: number, mode: SecretMode, transport: ClientTransport, secretIndex = 1, seed = 1): Promise<TestConnection> {
  const codec = createTestClientCodec({
    secret: SECRETS[secretIndex]!,
    mode,
    transport,
    dc: 2,
    domain: DOMAIN,
    random: seededRandom(seed),
  });
  const c = await connectTestClient("127.0.0.1", port, codec, mode === "ee" ? { awaitHelloMs: 2000 } : {});
  cleanup.add(() => c.close());
  return c;
}

/**
 * Padded: the client's 0..15 padding bytes reach the ME in whole words (C keeps len & ~3) and come
 * back in the echo, plus the proxy's own 0..3 (§3.4, §3.6).
 */
function expectEcho(e: ServerEvent, p: Uint8Array, transport: ClientTransport): void {
  expect(e.kind).toBe("packet");
  if (e.kind !== "packet") return;
  const extra = e.payload.length - p.length;
  expect(extra).toBeGreaterThanOrEqual(0);
  expect(extra).toBeLessThanOrEqual(transport === "padded" ? 15 : 0);
  expect(Buffer.from(e.payload.subarray(0, p.length)).equals(p)).toBe(true);
}

const CASES: { mode: SecretMode; transport: ClientTransport }[] = [
  { mode: "plain", transport: "abridged" },
  { mode: "plain", transport: "intermediate" },
  { mode: "plain", transport: "padded" },
  { mode: "dd", transport: "padded" },
  { mode: "ee", transport: "padded" },
];

describe("middle-end mode: each transport × secret form", () => {
  for (const { mode, transport } of CASES) {
    test(`${mode}/${transport}: payloads echoed, PROXY_REQ as C sends it`, async () => {
      const { pool } = await startPool(cleanup);
      const { plane, port } = await startPlane(cleanup, pool, { options: mode === "ee" ? { domains: [DOMAIN] } : {} });
      const c = await client(port, mode, transport);
      const sizes = [56, 60, 504, 508, 4096, 65_536];
      for (const [i, n] of sizes.entries()) {
        const p = packet(n, i);
        c.send([{ payload: p }]);
        expectEcho(await c.next(3000), p, transport);
      }
      expect(plane.counters.handshakesOk[transport]).toBe(1);
      expect(plane.counters.handshakesBySecret[1]).toBe(1);
    });
  }
});
