// A Telegram-like client built only from our transport codecs (STYLE.md "Fake peers"): plain,
// dd and ee (fake TLS) secrets, any framing, any DC. The codec part is pure; connectTestClient()
// drives it over a loopback Bun socket for integration tests.
import type { Socket } from "bun";
import { seededRandom, type RandomSource } from "../../src/crypto/random.ts";
import type { ServerEvent } from "../../src/transport/client-frames.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { buildClientHello } from "../../src/transport/faketls-client.ts";
import { encodeClientFirstFlight } from "../../src/transport/faketls-records.ts";
import { checkServerHello } from "../../src/transport/faketls-response.ts";
import { createObfuscated2Init } from "../../src/transport/obfuscated2.ts";
import { createOutboundStack, type OutboundStack } from "../../src/transport/outbound-stack.ts";

export type SecretMode = "plain" | "dd" | "ee";

export interface TestClientOptions {
  /** The 16-byte key the server was given with -S; null = no-secret mode (plain only). */
  readonly secret: Uint8Array | null;
  readonly mode: SecretMode;
  /** SNI for ee. */
  readonly domain?: string;
  /** plain: any framing (default intermediate, as tdlib); dd and ee always use padded. */
  readonly transport?: ClientTransport;
  readonly dc: number;
  readonly random?: RandomSource;
  /** Unix time put into the ClientHello (ee). */
  readonly nowSec?: number;
  /** ClientHello size for ee (517 = the 2019 layout; ~1800 = modern tdlib). */
  readonly helloLength?: number;
}

export interface OutPacket {
  readonly payload: Uint8Array;
  readonly quickAck?: boolean;
}

export interface ClientReceive {
  readonly events: ServerEvent[];
  readonly error: string | null;
}

export interface TestClientCodec {
  readonly transport: ClientTransport;
  /** The first bytes: the 64-byte init (plain, dd) or the ClientHello (ee). */
  opening(): Uint8Array;
  /** Bytes for these packets (for ee, the first call also carries CCS + the init record). */
  send(packets: readonly OutPacket[]): Uint8Array;
  /** Bytes from the proxy → events (ee: the ServerHello is checked and swallowed first). */
  receive(chunk: Uint8Array): ClientReceive;
  /** ee: the fake ServerHello arrived and its HMAC matched. */
  readonly serverHelloOk: boolean;
}

export function createTestClientCodec(opts: TestClientOptions): TestClientCodec {
  const random = opts.random ?? seededRandom(0x5eed);
  const transport: ClientTransport = opts.mode === "plain" ? (opts.transport ?? "intermediate") : "padded";
  if (opts.mode !== "plain" && !opts.secret) throw new Error(`${opts.mode} mode needs a secret`);
  const tls = opts.mode === "ee";
  const init = createObfuscated2Init({ secret: opts.secret, transport, dc: opts.dc, random, insideTls: tls });
  const stack: OutboundStack = createOutboundStack({ transport, encrypt: init.encrypt, decrypt: init.decrypt, tls, random });
  let hello: Buffer | null = null;
  let helloOk = false;
  let helloBuf: Buffer = Buffer.alloc(0);
  let firstFlightSent = false;

  return {
    transport,
    get serverHelloOk() {
      return helloOk;
    },
    opening() {
      if (!tls) return init.init;
      hello = buildClientHello({
        secret: opts.secret!,
        domain: opts.domain ?? "example.com",
        nowSec: opts.nowSec ?? Math.floor(Date.now() / 1000),
        random,
        keyShare: () => random.bytes(32),
        ...(opts.helloLength ? { totalLength: opts.helloLength } : {}),
      });
      return hello;
    },
    send(packets) {
      if (!tls || firstFlightSent) return stack.encode(packets);
      firstFlightSent = true;
      return encodeClientFirstFlight(init.init, stack.encode(packets, true));
    },
    receive(chunk) {
      if (!tls || helloOk) {
        const r = stack.decode(chunk);
        return { events: r.events, error: r.kind === "error" ? r.error.code : null };
      }
      helloBuf = Buffer.concat([helloBuf, chunk]);
      const check = checkServerHello(helloBuf, opts.secret!, hello!.subarray(11, 43));
      if (check.kind === "need-more") return { events: [], error: null };
      if (check.kind === "bad") return { events: [], error: `server hello: ${check.reason}` };
      helloOk = true;
      const rest = helloBuf.subarray(check.consumed);
      helloBuf = Buffer.alloc(0);
      return rest.length > 0 ? this.receive(rest) : { events: [], error: null };
    },
  };
}

export interface TestConnection {
  readonly codec: TestClientCodec;
  /** Our end's TCP port, as the proxy sees it (the "client TCP port" of RPC_PROXY_REQ). */
  readonly localPort: number;
  /** Writes raw bytes (the opening, a hand-made frame...); nothing once closed. */
  sendRaw(bytes: Uint8Array): void;
  send(packets: readonly OutPacket[]): void;
  /** The next decoded event; rejects after `timeoutMs`, on a decode error or when closed. */
  next(timeoutMs?: number): Promise<ServerEvent>;
  /** Every raw byte received (for blackhole / fronting checks). */
  readonly received: Buffer;
  /** Resolves when the proxy closes the connection. */
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  close(): void;
}

interface Waiter {
  resolve(e: ServerEvent): void;
  reject(err: Error): void;
}

export interface ConnectOptions {
  /** Send the codec's opening at once (default true). */
  sendOpening?: boolean;
  /** ee: resolve only once the ServerHello has been checked, within this many ms. */
  awaitHelloMs?: number;
  /** `next()`'s timeout when none is given (default 2000 ms). */
  defaultTimeoutMs?: number;
}

/** Connects to host:port and sends the opening; for ee waits for the ServerHello when `awaitHelloMs` is set. */
export async function connectTestClient(host: string, port: number, codec: TestClientCodec, opts: ConnectOptions = {}): Promise<TestConnection> {
  const events: ServerEvent[] = [];
  const waiters: Waiter[] = [];
  // chunks, not one growing buffer: a 1 MiB answer arrives in hundreds of reads
  const chunks: Buffer[] = [];
  let pending: Buffer[] = [];
  let closed = false;
  let decodeError: string | null = null;
  let onHello: (() => void) | null = null;
  let resolveClosed!: () => void;
  const closedP = new Promise<void>((r) => (resolveClosed = r));

  const markClosed = (): void => {
    if (closed) return;
    closed = true;
    for (const w of waiters.splice(0)) w.reject(new Error("connection closed"));
    resolveClosed();
  };
  const flush = (s: Socket<undefined>): void => {
    while (pending.length > 0) {
      const head = pending[0]!;
      const n = s.write(head);
      if (n >= head.length) pending.shift();
      else {
        pending[0] = head.subarray(Math.max(n, 0));
        return;
      }
    }
  };

  const socket = await Bun.connect<undefined>({
    hostname: host,
    port,
    socket: {
      binaryType: "buffer",
      data(_s, chunk) {
        chunks.push(Buffer.from(chunk));
        const r = codec.receive(chunk);
        if (r.error) decodeError = r.error;
        if (codec.serverHelloOk && onHello) {
          onHello();
          onHello = null;
        }
        for (const e of r.events) {
          const w = waiters.shift();
          if (w) w.resolve(e);
          else events.push(e);
        }
        if (decodeError) for (const w of waiters.splice(0)) w.reject(new Error(decodeError));
      },
      drain: flush,
      close: markClosed,
      error: markClosed,
    },
  });

  const conn: TestConnection = {
    codec,
    localPort: socket.localPort,
    sendRaw(bytes) {
      if (closed) return;
      pending.push(Buffer.from(bytes));
      flush(socket);
    },
    send(packets) {
      conn.sendRaw(codec.send(packets));
    },
    next(timeoutMs = opts.defaultTimeoutMs ?? 2000) {
      const e = events.shift();
      if (e) return Promise.resolve(e);
      if (decodeError) return Promise.reject(new Error(decodeError));
      if (closed) return Promise.reject(new Error("connection closed"));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no event within ${timeoutMs} ms`));
        }, timeoutMs);
        const w: Waiter = {
          resolve: (ev) => {
            clearTimeout(t);
            resolve(ev);
          },
          reject: (err) => {
            clearTimeout(t);
            reject(err);
          },
        };
        waiters.push(w);
      });
    },
    get received() {
      return Buffer.concat(chunks);
    },
    closed: closedP,
    get isClosed() {
      return closed;
    },
    close() {
      pending = [];
      if (!closed) socket.end();
    },
  };

  if (opts.sendOpening ?? true) {
    conn.sendRaw(codec.opening());
    const ms = opts.awaitHelloMs;
    if (ms !== undefined && !codec.serverHelloOk) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ServerHello within ${ms} ms (received ${conn.received.length} bytes)`)), ms);
        onHello = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
  return conn;
}
