// A loopback client for the compiled-binary tests: drives a TestClientCodec (test-client.ts) like
// connectTestClient does, and also exposes the socket's source port, which the fake middle end must
// see in RPC_PROXY_REQ (backend-rpc.md §9.1 "client TCP port").
import type { Socket } from "bun";
import type { ServerEvent } from "../../src/transport/client-frames.ts";
import type { OutPacket, TestClientCodec } from "./test-client.ts";

export interface BinaryClient {
  readonly codec: TestClientCodec;
  /** Our end's TCP port, as the proxy sees it. */
  readonly localPort: number;
  sendRaw(bytes: Uint8Array): void;
  send(packets: readonly OutPacket[]): void;
  /** The next decoded event; rejects after `timeoutMs`, on a decode error or when closed. */
  next(timeoutMs?: number): Promise<ServerEvent>;
  /** Every raw byte received. */
  readonly received: Buffer;
  readonly closed: Promise<void>;
  readonly isClosed: boolean;
  close(): void;
}

interface Waiter {
  resolve(e: ServerEvent): void;
  reject(err: Error): void;
}

/** Connects and sends the codec's opening (unless `sendOpening` is false); ee waits for the ServerHello when `awaitHelloMs` is set. */
export async function openBinaryClient(
  port: number,
  codec: TestClientCodec,
  opts: { sendOpening?: boolean; awaitHelloMs?: number } = {},
): Promise<BinaryClient> {
  const events: ServerEvent[] = [];
  const waiters: Waiter[] = [];
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
    hostname: "127.0.0.1",
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

  const client: BinaryClient = {
    codec,
    localPort: socket.localPort,
    sendRaw(bytes) {
      if (closed) return;
      pending.push(Buffer.from(bytes));
      flush(socket);
    },
    send(packets) {
      client.sendRaw(codec.send(packets));
    },
    next(timeoutMs = 3000) {
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
    client.sendRaw(codec.opening());
    const ms = opts.awaitHelloMs;
    if (ms !== undefined && !codec.serverHelloOk) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ServerHello within ${ms} ms (received ${client.received.length} bytes)`)), ms);
        onHello = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
  return client;
}
