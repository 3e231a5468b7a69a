// `make bench` direct table: direct-mode relay throughput on loopback. The proxy (data plane +
// DirectUpstream) runs in a child process so its CPU time is its own (process.cpuUsage); the load
// side does no crypto: clients send 64 KiB writes after a valid init, the DC echoes ciphertext as is
// (the proxy never parses direct-mode bytes, so it still runs all four AES-CTR streams per byte).
// --baseline also runs a bare Bun relay with the same four AES-CTR streams (BUN-NOTES' ceiling) for the ratio.
// --bin=PATH runs the compiled proxy instead (`--direct --direct-dc 2=<fake DC>`), CPU read from /proc.
// Usage: bun bench/direct.ts [--seconds=N] [--clients=N] [--tls] [--baseline] [--bin=dist/mtproto-proxy]
import { createAesCtr } from "../src/crypto/aes.ts";
import { seededRandom } from "../src/crypto/random.ts";
import { createDirectUpstream } from "../src/direct/direct-upstream.ts";
import { WriteQueue } from "../src/io/write-queue.ts";
import { createMemoryLogger } from "../src/log.ts";
import { createDataPlane } from "../src/proxy/data-plane.ts";
import { createTestClientCodec } from "../tests/support/test-client.ts";
import { lineReader, procCpuMs, until } from "./support/proc.ts";

const SECRET = Buffer.from("0123456789abcdeffedcba9876543210", "hex");
const MESSAGE = 64 << 10;
const WINDOW = 8; // 64 KiB messages in flight per client
const arg = (name: string, dflt: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt;

if (process.argv.includes("--role=proxy")) await proxyRole();
else if (process.argv.includes("--role=bare")) await bareRole();
else {
  const proxy = await mainRole("proxy");
  if (process.argv.includes("--baseline") && !process.argv.includes("--tls")) {
    const bare = await mainRole("bare");
    console.log(`direct relay / bare AES-CTR relay, per core: ${(proxy / bare).toFixed(2)}×`);
  }
}

/** The reference: accept, connect to the DC, relay with decrypt+encrypt each way, nothing else. */
async function bareRole(): Promise<void> {
  const dcPort = Number(arg("dc-port", "0"));
  const key = new Uint8Array(32).fill(7);
  const iv = new Uint8Array(16).fill(9);
  type Side = { q: WriteQueue | null; peer: Side | null; dec: ReturnType<typeof createAesCtr>; enc: ReturnType<typeof createAesCtr>; pause(): void; resume(): void };
  const mk = (): Side => ({ q: null, peer: null, dec: createAesCtr(key, iv), enc: createAesCtr(key, iv), pause() {}, resume() {} });
  const server = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(c) {
        const cs = mk();
        cs.q = new WriteQueue(c, { flushMode: "immediate", onHigh: () => dcSide.pause(), onLow: () => dcSide.resume() });
        cs.pause = () => c.pause();
        cs.resume = () => c.resume();
        const dcSide = mk();
        cs.peer = dcSide;
        dcSide.peer = cs;
        c.data = cs;
        void Bun.connect<undefined>({
          hostname: "127.0.0.1",
          port: dcPort,
          socket: {
            binaryType: "uint8array",
            open(d) {
              dcSide.q = new WriteQueue(d, { flushMode: "immediate", onHigh: () => cs.pause(), onLow: () => cs.resume() });
              dcSide.pause = () => d.pause();
              dcSide.resume = () => d.resume();
            },
            data(_d, chunk) {
              cs.q!.write(cs.enc.update(dcSide.dec.update(chunk)));
            },
            drain() {
              dcSide.q!.flush();
            },
          },
        });
      },
      data(c, chunk) {
        c.data.peer!.q?.write(c.data.peer!.enc.update(c.data.dec.update(chunk)));
      },
      drain(c) {
        c.data.q!.flush();
      },
    },
  });
  process.stdout.write(`PORT ${server.port}\n`);
  for await (const line of console) {
    if (line === "cpu") {
      const u = process.cpuUsage();
      process.stdout.write(`CPU ${u.user} ${u.system} -1 -1\n`);
    } else if (line === "quit") break;
  }
  process.exit(0);
}

async function proxyRole(): Promise<void> {
  const dcPort = Number(arg("dc-port", "0"));
  const tls = process.argv.includes("--tls");
  const mem = createMemoryLogger();
  const upstream = createDirectUpstream({ options: { directDcs: new Map([[2, { host: "127.0.0.1", port: dcPort }]]), ipv6: false }, log: mem.log });
  const plane = createDataPlane({
    options: {
      httpPorts: [0],
      ipv6: false,
      address: "127.0.0.1",
      secrets: [SECRET],
      domains: tls ? ["example.com"] : [],
      tlsStrict: false,
      maxSpecialConnections: 0,
      maxAcceptRate: 0,
      windowClamp: 0,
      direct: true,
      workers: 0,
    },
    log: mem.log,
    middle: null,
    direct: upstream,
    reusePort: false,
    domainProbe: { resolve: async () => null, timeoutMs: 100 },
  });
  await plane.start();
  process.stdout.write(`PORT ${plane.listeningPorts[0]}\n`);
  for await (const line of console) {
    if (line === "cpu") {
      const u = process.cpuUsage();
      process.stdout.write(`CPU ${u.user} ${u.system} ${upstream.counters.bytesClientToDc} ${upstream.counters.bytesDcToClient}\n`);
    } else if (line === "quit") break;
  }
  await plane.stop();
  process.exit(0);
}

/** Runs the load against a child of `role`; returns echoed MB/s per child core. */
async function mainRole(role: "proxy" | "bare"): Promise<number> {
  const seconds = Number(arg("seconds", "5"));
  const clients = Number(arg("clients", "4"));
  const tls = process.argv.includes("--tls");

  // The DC: echoes whatever arrives (ciphertext) through a WriteQueue, pausing when it backs up.
  const dc = Bun.listen<{ q: WriteQueue }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(s) {
        s.data = { q: new WriteQueue(s, { flushMode: "immediate", onHigh: () => s.pause(), onLow: () => s.resume() }) };
      },
      data(s, chunk) {
        s.data.q.write(chunk);
      },
      drain(s) {
        s.data.q.flush();
      },
      close(s) {
        s.data.q.destroy();
      },
    },
  });

  const bin = arg("bin", "");
  const { port, cpu, stop } = bin && role === "proxy" ? await spawnBinary(bin, dc.port, tls) : await spawnRole(role, dc.port, tls);

  let received = 0;
  const conns = await Promise.all(Array.from({ length: clients }, (_, i) => loadClient(port, tls, i, (n) => (received += n))));
  await Bun.sleep(1000); // warm-up
  const c0 = await cpu();
  const r0 = received;
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  const c1 = await cpu();
  const echoed = received - r0;
  const wall = (performance.now() - t0) / 1000;
  for (const c of conns) c.stop();
  await stop();
  dc.stop(true);

  // The proxy's own count of DC→client bytes (exact in fake-TLS mode too); the clients' count agrees
  // in plain mode and is all there is for the binary (-1 counters).
  const counted = c1.d2c >= 0;
  const mb = role === "bare" || !counted ? echoed / 1e6 : (c1.d2c - c0.d2c) / 1e6;
  if (!tls && role === "proxy" && counted && Math.abs(echoed / 1e6 - mb) > mb * 0.05 + 1) console.warn(`clients saw ${(echoed / 1e6).toFixed(1)} MB, proxy ${mb.toFixed(1)} MB`);
  const proxyCpu = c1.sec - c0.sec;
  const relayed = counted ? (c1.c2d - c0.c2d + (c1.d2c - c0.d2c)) / 1e6 : 2 * mb;
  const what = role === "bare" ? "bare AES-CTR relay" : bin ? "direct (binary)" : "direct (in-process data plane)";
  const rows: [string, string][] = [
    [`${what} ${tls ? "ee (fake TLS)" : "plain"}, ${clients} clients × ${WINDOW} × 64 KiB in flight`, `${(mb / wall).toFixed(0)} MB/s echoed`],
    ["proxy CPU (user+sys) per MB echoed", `${((proxyCpu / mb) * 1000).toFixed(2)} ms/MB`],
    ["echoed MB/s per proxy core", `${(mb / proxyCpu).toFixed(0)} MB/s`],
    ...(role === "proxy" ? [["relayed MB/s per proxy core (both directions)", `${(relayed / proxyCpu).toFixed(0)} MB/s`] as [string, string]] : []),
    ["proxy CPU utilisation", `${((proxyCpu / wall) * 100).toFixed(0)} %`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  return mb / proxyCpu;
}

/** A client that sends 64 KiB writes of unencrypted filler after a valid init and counts what comes back. */
async function loadClient(port: number, tls: boolean, seed: number, onBytes: (n: number) => void): Promise<{ stop(): void }> {
  const codec = createTestClientCodec({ secret: SECRET, mode: tls ? "ee" : "plain", transport: "intermediate", dc: 2, random: seededRandom(seed + 1) });
  const body = Buffer.from(seededRandom(seed + 99).bytes(MESSAGE));
  // In fake-TLS mode every write is one 17 03 03 record of at most 16 KiB, as a client would send.
  const message = tls ? recordsOf(body) : body;
  let inFlight = 0; // bytes sent and not yet echoed
  let queue: WriteQueue | null = null;
  let ready = !tls;
  let helloSeen = 0;
  let stopped = false;
  const pump = (): void => {
    while (!stopped && ready && queue && inFlight < WINDOW * MESSAGE && !queue.isAboveHighWater) {
      queue.write(message);
      inFlight += MESSAGE;
    }
  };
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      open(s) {
        queue = new WriteQueue(s, { flushMode: "immediate", onLow: pump });
      },
      data(_s, chunk) {
        if (!ready) {
          // ee: wait for the whole ServerHello, then send the first flight (CCS + init record).
          helloSeen += chunk.length;
          const r = codec.receive(chunk);
          if (!codec.serverHelloOk) return;
          void r;
          ready = true;
          queue!.write(codec.send([]));
          pump();
          return;
        }
        const n = tls ? chunk.length * (16384 / 16389) : chunk.length;
        inFlight -= n;
        onBytes(n);
        pump();
      },
      drain() {
        queue?.flush();
      },
      close() {
        stopped = true;
      },
    },
  });
  queue!.write(codec.opening());
  pump();
  return {
    stop() {
      stopped = true;
      socket.end();
    },
  };
}

function recordsOf(data: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += 16384) {
    const part = data.subarray(i, i + 16384);
    out.push(Buffer.from([0x17, 0x03, 0x03, part.length >> 8, part.length & 0xff]), part);
  }
  return Buffer.concat(out);
}

type Cpu = { sec: number; c2d: number; d2c: number };
type Spawned = { port: number; cpu: () => Promise<Cpu>; stop: () => Promise<void> };

/** This script in `role` as a child: its data plane, its own process.cpuUsage() and byte counters. */
async function spawnRole(role: "proxy" | "bare", dcPort: number, tls: boolean): Promise<Spawned> {
  const child = Bun.spawn([process.execPath, import.meta.path, `--role=${role}`, `--dc-port=${dcPort}`, ...(tls ? ["--tls"] : [])], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const lines = lineReader(child.stdout);
  const port = Number((await lines.next()).split(" ")[1]);
  return {
    port,
    async cpu() {
      child.stdin.write("cpu\n");
      child.stdin.flush();
      const [, u, s, c2d, d2c] = (await lines.next()).split(" ").map(Number) as number[];
      return { sec: (u! + s!) / 1e6, c2d: c2d!, d2c: d2c! };
    },
    async stop() {
      child.stdin.write("quit\n");
      child.stdin.flush();
      await child.exited;
    },
  };
}

/** The compiled proxy in --direct mode towards the fake DC; CPU from /proc, no byte counters. */
async function spawnBinary(bin: string, dcPort: number, tls: boolean): Promise<Spawned> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const args = ["--direct", "--direct-dc", `2=127.0.0.1:${dcPort}`, "-H", String(port), "--address", "127.0.0.1", "-S", SECRET.toString("hex")];
  if (tls) throw new Error("--tls with --bin needs a resolvable -D domain; run it in-process");
  if (process.getuid?.() === 0) args.push("-u", "nobody");
  const child = Bun.spawn([bin, ...args], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const up = await until(async () => {
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return true;
    } catch {
      return false;
    }
  }, 10_000);
  if (!up) {
    child.kill("SIGKILL");
    throw new Error(`${bin} did not listen on ${port}`);
  }
  return {
    port,
    cpu: async () => ({ sec: procCpuMs(child.pid) / 1000, c2d: -1, d2c: -1 }),
    async stop() {
      child.kill("SIGTERM");
      if (!(await Promise.race([child.exited.then(() => true), Bun.sleep(3000).then(() => false)]))) child.kill("SIGKILL");
    },
  };
}
