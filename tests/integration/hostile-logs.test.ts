// No secret is ever logged in full: the proxy at -v -v serves clients (plain, dd, a wrong secret, a
// replay) through a fake middle end, and its whole stderr is searched for the -S secret, the -P
// proxy tag and the --aes-pwd proxy secret in hex, upper-case hex and base64. The -S secret reaches
// only stdout, in the start-up links that exist to hand it to clients: never the log (stderr or -l).
// The -p stats port is reachable from 127.0.0.1 only.
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import { networkInterfaces } from "node:os";
import { systemRandom } from "../../src/crypto/random.ts";
import { openClient } from "../../stability/clients.ts";
import { killAll, ProxyProcess } from "../../stability/processes.ts";
import { FakeMiddleEnd } from "../support/fake-middle-end.ts";

const CLIENT_SECRET = Buffer.from("5ec7e75ec7e75ec7e75ec7e75ec7e7a1", "hex");
const TAG = Buffer.from("7a97a97a97a97a97a97a97a97a97a9b2", "hex");
const PROXY_SECRET = Buffer.from(Array.from({ length: 128 }, (_, i) => (i * 91 + 7) & 0xff));

let me: FakeMiddleEnd;
let proxy: ProxyProcess;
let lines: string[] = [];
let stdoutLines: string[] = [];

/** Every textual form a 16+ byte secret could be logged in (whole, and any 8-byte window in hex). */
function forms(secret: Buffer): string[] {
  const out = [secret.toString("hex"), secret.toString("hex").toUpperCase(), secret.toString("base64"), secret.toString("base64url")];
  for (let i = 0; i + 8 <= secret.length; i += 8) out.push(secret.subarray(i, i + 8).toString("hex"));
  return out;
}

const isLinkLine = (l: string): boolean => /secret \d+ (plain|dd|ee)[^:]*: (tg:\/\/proxy\?|https:\/\/t\.me\/proxy\?)/.test(l);

beforeAll(async () => {
  me = FakeMiddleEnd.start({ secret: PROXY_SECRET });
  proxy = await ProxyProcess.start({
    clientSecret: CLIENT_SECRET,
    proxySecret: PROXY_SECRET,
    mePort: me.port,
    extraArgs: ["-v", "-v", "-P", TAG.toString("hex")],
  });
  await me.waitFor(() => me.openTunnels.length > 0, 5000, "middle-end links");
  const target = { host: "127.0.0.1", port: proxy.port, secret: CLIENT_SECRET };
  for (const mode of ["plain", "dd"] as const) {
    const c = await openClient({ ...target, mode, transport: mode === "dd" ? "padded" : "intermediate" });
    await c.echo(3000);
    c.end();
  }
  const wrong = await openClient({ ...target, secret: systemRandom.bytes(16) });
  const raw = await openClient(target, { sendOpening: false });
  raw.sendRaw(systemRandom.bytes(200));
  await Bun.sleep(300);
  wrong.terminate();
  raw.terminate();
  await proxy.stop();
  lines = proxy.lines;
  stdoutLines = proxy.stdoutLines;
}, 30_000);

afterAll(() => {
  me?.stop();
  killAll();
});

test("-v -v logged debug lines at all (the search below means something)", () => {
  expect(lines.some((l) => l.includes("Connected to RPC Middle-End"))).toBe(true);
  expect(lines.length).toBeGreaterThan(8);
});

test("the proxy tag and the proxy secret appear in no log line, in any form", () => {
  for (const f of [...forms(TAG), ...forms(PROXY_SECRET)]) {
    const hit = lines.find((l) => l.includes(f));
    expect(hit ?? null).toBeNull();
  }
});

test("the client secret appears in no log line; the links that carry it are on stdout only", () => {
  for (const f of forms(CLIENT_SECRET)) {
    const hit = lines.find((l) => l.toLowerCase().includes(f.toLowerCase()));
    expect(hit ?? null).toBeNull();
  }
  expect(lines.some((l) => l.includes("listening for clients on"))).toBe(true);
  const links = stdoutLines.filter(isLinkLine);
  expect(links.length).toBeGreaterThan(0);
  expect(links.every((l) => l.includes(CLIENT_SECRET.toString("hex")))).toBe(true);
});

test("the -p stats port answers on 127.0.0.1 only: not on any other address of this machine", async () => {
  const p = await ProxyProcess.start({ clientSecret: CLIENT_SECRET, proxySecret: PROXY_SECRET, mePort: me.port });
  try {
    const res = await fetch(`http://127.0.0.1:${p.statsPort}/stats`, { headers: { connection: "close" } });
    expect(res.status).toBe(200);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === "IPv4" && !i.internal)
      .map((i) => i!.address);
    for (const addr of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: addr, port: p.statsPort });
        s.on("connect", () => (s.destroy(), resolve(false)));
        s.on("error", () => resolve(true));
      });
      expect(`${addr}: ${refused ? "refused" : "connected"}`).toBe(`${addr}: refused`);
    }
  } finally {
    await p.stop();
  }
}, 20_000);
