// createDataPlane as the server starts it: C's bind error, -C and --max-accept-rate at accept,
// -6 dual stack, reusePort across planes, and stop() closing every client and fronted connection.
import { afterEach, describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/errors.ts";
import { createMemoryLogger } from "../../src/log.ts";
import { createDataPlane } from "../../src/proxy/data-plane.ts";
import { connectTestClient, createTestClientCodec, type TestConnection } from "../support/test-client.ts";
import { cleanupList, DOMAIN, packet, planeOptions, SECRETS, startOrigin, startPlane, startPool, until } from "./harness.ts";

const cleanup = cleanupList();
afterEach(() => cleanup.run());

async function plainClient(port: number, seed = 1, host = "127.0.0.1"): Promise<TestConnection> {
  const { seededRandom } = await import("../../src/crypto/random.ts");
  const codec = createTestClientCodec({ secret: SECRETS[0]!, mode: "plain", dc: 2, random: seededRandom(seed) });
  const c = await connectTestClient(host, port, codec);
  cleanup.add(() => c.close());
  return c;
}

describe("data plane", () => {
  test("a port that cannot be bound fails start() with C's message and exit code 1", async () => {
    using taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const plane = createDataPlane({
      options: planeOptions({ httpPorts: [taken.port] }),
      log: createMemoryLogger().log,
      middle: null,
      direct: null,
      reusePort: false,
    });
    const err = await plane.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`cannot open http/tcp server socket at port ${taken.port}: Address already in use`);
    expect((err as ConfigError).exitCode).toBe(1);
    await plane.stop();
  });

  test("every -H port listens; reusePort lets a second plane (a worker) bind the same port", async () => {
    const { plane } = await startPlane(cleanup, null, { options: { httpPorts: [0, 0] }, reusePort: true });
    expect(plane.listeningPorts.length).toBe(2);
    const port = plane.listeningPorts[0]!;
    await startPlane(cleanup, null, { options: { httpPorts: [port] }, reusePort: true });
  });

  test("-C: over the cap the socket is accepted and closed at once; room again after a client leaves", async () => {
    const { pool } = await startPool(cleanup);
    const { plane, port } = await startPlane(cleanup, pool, { options: { maxSpecialConnections: 2 } });
    const a = await plainClient(port, 1);
    await plainClient(port, 2);
    await until(() => plane.activeClients === 2, 2000, "two clients");
    const c = await plainClient(port, 3);
    await c.closed;
    expect(plane.counters.rejectedCap).toBe(1);
    a.close();
    await until(() => plane.activeClients === 1, 2000, "one left");
    const d = await plainClient(port, 4);
    d.send([{ payload: packet(64) }]);
    expect((await d.next(2000)).kind).toBe("packet");
  });

  test("--max-accept-rate: a burst beyond R is closed at once", async () => {
    const { plane, port } = await startPlane(cleanup, null, { options: { maxAcceptRate: 3 } });
    const conns = await Promise.all([1, 2, 3, 4, 5].map((i) => plainClient(port, i)));
    await until(() => plane.counters.rejectedRate === 2, 2000, "two refused");
    await Bun.sleep(50);
    expect(conns.filter((c) => c.isClosed).length).toBe(2);
    expect(plane.activeClients).toBe(3);
  });

  test("-6 listens dual-stack: an IPv4 client is served and reported to the ME as IPv4", async () => {
    const { me, pool } = await startPool(cleanup);
    const { port } = await startPlane(cleanup, pool, { options: { ipv6: true, address: null } });
    const c = await plainClient(port, 1, "127.0.0.1");
    c.send([{ payload: packet(64) }]);
    await c.next(2000);
    expect(me.requests[0]!.clientAddr).toBe("127.0.0.1");
    expect(me.requests[0]!.proxyAddr).toBe("127.0.0.1");
  });

  test("stop() stops accepting and closes every client and fronted connection", async () => {
    const { pool } = await startPool(cleanup);
    const origin = startOrigin();
    cleanup.add(() => origin.stop());
    const { plane, port } = await startPlane(cleanup, pool, {
      options: { domains: [DOMAIN] },
      frontingTarget: () => ({ host: "127.0.0.1", port: origin.port }),
    });
    const codec = createTestClientCodec({ secret: SECRETS[0]!, mode: "ee", dc: 2, domain: DOMAIN });
    const served = await connectTestClient("127.0.0.1", port, codec, { awaitHelloMs: 2000 });
    cleanup.add(() => served.close());
    served.send([{ payload: packet(64) }]);
    await served.next(2000);
    const fronted = await plainClient(port, 9); // no TLS hello with -D: fronted
    await origin.waitBytes(64);
    const idle = await connectTestClient("127.0.0.1", port, codec, { sendOpening: false });
    cleanup.add(() => idle.close());
    await until(() => plane.activeClients === 3, 2000, "three clients");
    const started = performance.now();
    await plane.stop();
    expect(performance.now() - started).toBeLessThan(2500);
    expect(plane.activeClients).toBe(0);
    expect(plane.counters.frontingActive).toBe(0);
    await Promise.all([served.closed, fronted.closed, idle.closed]);
    await until(() => origin.closed === 1, 2000, "origin connection closed");
    expect(plane.listeningPorts).toEqual([]);
    const refused = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } }).then(
      (s) => (s.end(), false),
      () => true,
    );
    expect(refused).toBe(true);
  });
});
