// /stats and /metrics are never served to a non-loopback peer unless allowed: a stats listener bound
// wider than C's 127.0.0.1 (as a misconfiguration would) still refuses peers other than 127.0.0.1,
// checked over real sockets from other source addresses of this machine; an allow list opens it.
import { afterEach, expect, test } from "bun:test";
import net from "node:net";
import { networkInterfaces } from "node:os";
import { startStatsServer, type StatsServer } from "../../src/stats/server.ts";

const servers: StatsServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop();
});

function serve(allow: string[] | null): StatsServer {
  const s = startStatsServer({
    port: { start: 0, end: 0, isRange: false },
    hostname: "0.0.0.0",
    allow,
    renderStats: () => "secret_figure\t42\n",
    renderMetrics: () => "mtproxy_secret_figure 42\n",
  });
  servers.push(s);
  return s;
}

/** GET `path` from source address `from` (to `to`); the whole answer as text. */
function get(from: string, to: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: to, port, localAddress: from });
    let text = "";
    s.on("connect", () => s.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    s.on("data", (b) => (text += b.toString("latin1")));
    s.on("end", () => resolve(text));
    s.on("close", () => resolve(text));
    s.on("error", reject);
  });
}

const external = Object.values(networkInterfaces())
  .flat()
  .filter((i) => i && i.family === "IPv4" && !i.internal)
  .map((i) => i!.address);

test("127.0.0.1 gets the figures; 127.0.0.2 and every non-loopback address get C's 404 page without them", async () => {
  const s = serve(null);
  for (const path of ["/stats", "/metrics"]) {
    expect(await get("127.0.0.1", "127.0.0.1", s.port, path)).toContain("secret_figure");
    const sources: [string, string][] = [["127.0.0.2", "127.0.0.1"], ...external.map((a): [string, string] => [a, a])];
    for (const [from, to] of sources) {
      const answer = await get(from, to, s.port, path);
      expect(answer.startsWith("HTTP/1.1 404")).toBe(true);
      expect(answer).not.toContain("secret_figure");
    }
  }
});

test.skipIf(external.length === 0)("an explicit allow list opens the figures to that address only", async () => {
  const s = serve([external[0]!]);
  expect(await get(external[0]!, external[0]!, s.port, "/stats")).toContain("secret_figure");
  const denied = await get("127.0.0.2", "127.0.0.1", s.port, "/stats");
  expect(denied).not.toContain("secret_figure");
});
