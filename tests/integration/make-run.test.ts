// `make run` as a user meets it: scripts/run.sh starts the compiled binary in direct mode with a
// generated secret kept between runs, prints where it listens and the links, and a client reaches
// Telegram through it — here a loopback fake DC that --direct-dc points DC 2 at.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeDc } from "../support/fake-dc.ts";
import { REPO_ROOT } from "../support/proxy-bin.ts";
import { connectTestClient, createTestClientCodec } from "../support/test-client.ts";

const BIN = process.env.MTPROXY_BIN;

function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

interface Started {
  proc: ReturnType<typeof Bun.spawn>;
  output: () => string;
}

async function startRun(env: Record<string, string>): Promise<Started> {
  const proc = Bun.spawn(["bash", join(REPO_ROOT, "scripts/run.sh")], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += new TextDecoder().decode(chunk);
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  const deadline = Date.now() + 10_000;
  while (!text.includes("main loop")) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`proxy did not start:\n${text}`);
    await Bun.sleep(20);
  }
  return { proc, output: () => text };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

describe.skipIf(!BIN)("make run (scripts/run.sh, compiled binary)", () => {
  test("serves a client end to end in direct mode, prints valid links, keeps its secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), "make-run-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dc = startFakeDc();
    cleanups.push(() => dc.stop());
    const port = freePort();
    const env = {
      BIN: BIN!,
      RUN_DIR: dir,
      PORT: String(port),
      STATS_PORT: String(freePort()),
      ARGS: `--direct-dc 2=127.0.0.1:${dc.port}`,
    };

    const first = await startRun(env);
    cleanups.push(() => first.proc.kill("SIGKILL"));
    const secret = readFileSync(join(dir, "secret"), "utf8").trim();
    expect(secret).toMatch(/^[0-9a-f]{32}$/);
    const out = first.output();
    expect(out).toContain(`listening for clients on 0.0.0.0:${port} (direct to Telegram DCs)`);
    expect(out).toContain(`tg://proxy?server=YOUR_SERVER_IP&port=${port}&secret=${secret}`);
    expect(out).toContain(`https://t.me/proxy?server=YOUR_SERVER_IP&port=${port}&secret=dd${secret}`);

    const codec = createTestClientCodec({ secret: Buffer.from(secret, "hex"), mode: "dd", dc: 2 });
    const client = await connectTestClient("127.0.0.1", port, codec);
    try {
      const payload = Buffer.alloc(64, 7);
      client.send([{ payload }]);
      const ev = await client.next(5000);
      expect(ev.kind).toBe("packet");
      if (ev.kind === "packet") expect(Buffer.from(ev.payload.subarray(0, 64))).toEqual(payload);
      expect(dc.connections[0]?.dc).toBe(2);
    } finally {
      client.close();
    }

    first.proc.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);

    const second = await startRun(env);
    cleanups.push(() => second.proc.kill("SIGKILL"));
    expect(readFileSync(join(dir, "secret"), "utf8").trim()).toBe(secret);
    expect(second.output()).not.toContain("generated a new secret");
    second.proc.kill("SIGTERM");
    expect(await second.proc.exited).toBe(0);
  }, 30_000);
});
