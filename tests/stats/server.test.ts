import { expect, test } from "bun:test";
import { CliError } from "../../src/errors.ts";
import { ProxyStats } from "../../src/stats/counters.ts";
import { startStatsServer } from "../../src/stats/server.ts";

/** Sends `req` on a raw socket and collects everything until the server closes (bounded). */
async function rawExchange(port: number, req: string, timeoutMs = 2000): Promise<string> {
  const chunks: Buffer[] = [];
  const { promise, resolve, reject } = Promise.withResolvers<string>();
  const timer = setTimeout(() => reject(new Error("timeout")), timeoutMs);
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        chunks.push(Buffer.from(d));
      },
      close() {
        resolve(Buffer.concat(chunks).toString());
      },
      error(_s, e) {
        reject(e);
      },
    },
  });
  try {
    sock.write(req);
    return await promise;
  } finally {
    clearTimeout(timer);
    sock.end();
  }
}

test("serves /stats over loopback TCP and counts the HTTP connection like C", async () => {
  const stats = new ProxyStats();
  let seen = "";
  const server = startStatsServer({
    port: { start: 0, end: 0, isRange: false },
    stats,
    renderStats: () => {
      const s = stats.snapshot();
      seen = `${s.httpConnections} ${s.activeConnections} ${s.httpQueries}`;
      return `http_connections\t${s.httpConnections}\n`;
    },
    renderMetrics: () => "mtproxy_up 1\n",
  });
  try {
    expect(stats.listeningConnections).toBe(1);
    const reply = await rawExchange(server.port, "GET /stats HTTP/1.1\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\nServer: MTProxy\/1\.0\r\nDate: .+ GMT\r\nContent-Type: text\/plain\r\nConnection: close\r\nContent-Length: 19\r\n\r\nhttp_connections\t1\n$/);
    expect(seen).toBe("1 1 0"); // this request is an open HTTP connection and not yet counted as a query
    expect(stats.httpQueries).toBe(1);

    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    expect(await res.text()).toBe("mtproxy_up 1\n");

    expect(await rawExchange(server.port, "BOGUS-RPC-BYTES")).toBe(""); // not HTTP: closed silently
  } finally {
    server.stop();
  }
  expect(stats.listeningConnections).toBe(0);
  // all sockets closed: the gauges are back to zero
  for (let i = 0; i < 50 && stats.activeConnections !== 0; i++) await Bun.sleep(10);
  expect(stats.activeConnections).toBe(0);
  expect(stats.inboundConnections).toBe(0);
  expect(stats.httpConnections).toBe(0);
});

test("a -p range opens the first free port", () => {
  using busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const server = startStatsServer({ port: { start: busy.port, end: busy.port + 20, isRange: true }, renderStats: () => "" });
  try {
    expect(server.port).toBeGreaterThan(busy.port);
    expect(server.port).toBeLessThanOrEqual(busy.port + 20);
  } finally {
    server.stop();
  }
});

test("bind failures give C's messages and exit codes", () => {
  using busy = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const fail = (opts: { start: number; end: number }, isRange?: boolean): CliError => {
    try {
      startStatsServer({ port: { ...opts, isRange: false }, renderStats: () => "", ...(isRange === undefined ? {} : { isRange }) }).stop();
    } catch (e) {
      if (e instanceof CliError) return e;
      throw e;
    }
    throw new Error("expected a bind failure");
  };
  const single = fail({ start: busy.port, end: busy.port });
  expect(single.message).toBe(`cannot open server socket at port ${busy.port}: Address already in use`);
  expect(single.exitCode).toBe(1);
  expect(single.showUsage).toBe(false);
  const range = fail({ start: busy.port, end: busy.port }, true);
  expect(range.message).toBe(`cannot open server socket at port ${busy.port}-${busy.port}`);
  expect(range.exitCode).toBe(2);
});

test("statsRenderers wires live sources into both bodies", async () => {
  const { statsRenderers } = await import("../../src/stats/page.ts");
  const stats = new ProxyStats();
  stats.totForwardedQueries = 3;
  const r = statsRenderers({
    own: () => stats.snapshot(),
    workerSum: () => null,
    info: () => ({
      pid: 7, startTime: 100, pidIp: "127.0.0.1", pidPort: 8888, pidUtime: 100, workers: 0, maxConnections: 10,
      maxAcceptRate: 0, defaultRpcFlags: 2048, maxAllocatedBufferBytes: 1, windowClamp: 131072, proxyTagSet: false,
      configFileName: "c", version: "v", memory: null, cpu: null,
    }),
    nowSec: () => 110,
  });
  expect(r.renderStats()).toContain("\ntot_forwarded_queries\t3\n");
  stats.totForwardedQueries++;
  expect(r.renderMetrics()).toContain("\nmtproxy_forwarded_queries_total 4\n");
});
