// The compiled proxy (or `bun src/main.ts`) in middle-end mode for end-to-end tests: a real
// proxy-multi.conf and --aes-pwd file in a temp dir, pointing at loopback fake middle ends that share
// the secret; waits until the process logged `main loop` and every middle end has its links.
import { FakeMiddleEnd, type FakeMiddleEndOptions } from "./fake-middle-end.ts";
import { Cleanup, freePort, getStats, startProxy, tempDir, USER_ARGS, writeFile, type ProxyProcess } from "../supervisor/process-harness.ts";

/** The proxy secret (--aes-pwd) the fake middle ends check the proxy's keys against. */
export const AES_PWD = new Uint8Array(128).map((_, i) => (i * 29 + 3) & 0xff);
export const CLIENT_SECRETS_HEX = ["0123456789abcdef0123456789abcdef", "f0e1d2c3b4a5968778695a4b3c2d1e0f", "11111111222222223333333344444444"];
export const CLIENT_SECRETS = CLIENT_SECRETS_HEX.map((h) => Buffer.from(h, "hex"));
export const TAG_HEX = "00112233445566778899aabbccddeeff";

export function startMe(cleanup: Cleanup, over: Partial<FakeMiddleEndOptions> = {}): FakeMiddleEnd {
  const me = FakeMiddleEnd.start({ secret: AES_PWD, ...over });
  cleanup.add(() => me.stop());
  return me;
}

/** proxy-multi.conf text: one `proxy_for <dc> 127.0.0.1:<port>;` per entry. */
export function meConfig(entries: readonly (readonly [number, FakeMiddleEnd | number])[], opts: { defaultDc?: number; minConnections?: number } = {}): string {
  const lines: string[] = [];
  if (opts.minConnections !== undefined) lines.push(`min_connections ${opts.minConnections};`);
  if (opts.defaultDc !== undefined) lines.push(`default ${opts.defaultDc};`);
  for (const [dc, me] of entries) lines.push(`proxy_for ${dc} 127.0.0.1:${typeof me === "number" ? me : me.port};`);
  return lines.join("\n") + "\n";
}

export interface BinaryProxyOptions {
  config: string;
  /** Middle ends that must have `links` handshaken links before the proxy counts as ready. */
  mes: readonly { me: FakeMiddleEnd; links: number }[];
  secrets?: readonly string[];
  tag?: string | null;
  domains?: readonly string[];
  workers?: number;
  extra?: readonly string[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

export interface BinaryProxy {
  readonly p: ProxyProcess;
  /** The -H port. */
  readonly port: number;
  /** The -p stats port (single process and supervisor). */
  readonly statsPort: number;
  readonly dir: string;
  readonly configPath: string;
}

export async function startBinaryProxy(cleanup: Cleanup, o: BinaryProxyOptions): Promise<BinaryProxy> {
  const dir = tempDir(cleanup);
  const secretFile = writeFile(dir, "proxy-secret", AES_PWD);
  const configPath = writeFile(dir, "proxy-multi.conf", o.config);
  const port = freePort();
  const statsPort = freePort();
  const args = ["-H", String(port), "--aes-pwd", secretFile, "--http-stats", "-p", String(statsPort), ...USER_ARGS];
  for (const s of o.secrets ?? CLIENT_SECRETS_HEX) args.push("-S", s);
  const tag = o.tag === undefined ? TAG_HEX : o.tag;
  if (tag !== null) args.push("-P", tag);
  for (const d of o.domains ?? []) args.push("-D", d);
  if (o.workers) args.push("-M", String(o.workers));
  args.push(...(o.extra ?? []), configPath);
  const p = startProxy(args, cleanup, { env: o.env });
  const ms = o.startTimeoutMs ?? 10_000;
  if (o.workers) await p.waitForLine(/\[worker \d+\] main loop/, ms, o.workers);
  else await p.waitForLine(/main loop/, ms);
  for (const { me, links } of o.mes) await me.waitFor(() => me.openTunnels.length >= links, ms, `${links} middle-end link(s) on :${me.port}`);
  // the fake ME counts a link as up when it sent its handshake; the proxy is ready once it read it
  if (!o.workers) {
    const want = o.mes.reduce((n, m) => n + m.links, 0);
    const end = performance.now() + ms;
    while (Number((await getStats(statsPort)).get("ready_outbound_connections") ?? 0) < want) {
      if (performance.now() > end) throw new Error(`proxy never reported ${want} ready middle-end links`);
      await Bun.sleep(20);
    }
  } else {
    await Bun.sleep(200);
  }
  return { p, port, statsPort, dir, configPath };
}

/** An encrypted-looking MTProto packet (auth_key_id ≠ 0): `len` bytes, a multiple of 4, ≥ 56. */
export function mtprotoPacket(len: number, seed = 1): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i + 4 <= len; i += 4) b.writeUInt32LE((i * 2654435761 + seed * 40503) >>> 0, i);
  if (len >= 8) b.writeUInt32LE((0x11223344 + seed) >>> 0, 0);
  return b;
}

/** An unencrypted req_pq (auth_key_id 0, msg_len 20, function 0x60469778): forwarded with flag 2. */
export function reqPqPacket(seed = 1): Buffer {
  const b = Buffer.alloc(40);
  b.writeUInt32LE((0x9000 + seed) >>> 0, 8); // message id
  b.writeUInt32LE(20, 16);
  b.writeUInt32LE(0x60469778, 20);
  for (let i = 24; i < 40; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}
