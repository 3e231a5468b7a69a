// A loopback fake Telegram DC for direct mode, built from our own codecs: accepts an obfuscated2
// init without a secret (as Telegram's DC ports do), records its tag and DC index, then echoes
// every frame in the same transport, optionally with a quick ack first or closing after N frames.
import type { Socket, TCPSocketListener } from "bun";
import { seededRandom } from "../../src/crypto/random.ts";
import { WriteQueue } from "../../src/io/write-queue.ts";
import { createClientStack, type ClientStack } from "../../src/transport/client-stack.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { acceptObfuscated2, OBFS2_INIT_LEN, tagForTransport } from "../../src/transport/obfuscated2.ts";

export interface FakeDcOptions {
  /** Answer a frame carrying the quick-ack bit with a quick ack (token = payload length | 1<<31) first. */
  readonly quickAck?: boolean;
  /** Close the connection after echoing this many frames. */
  readonly closeAfterFrames?: number;
  /** Close right after accepting the init. */
  readonly closeOnAccept?: boolean;
  /** Do not echo (frames are still counted). */
  readonly silent?: boolean;
}

export interface FakeDcConnection {
  /** The tag word as decrypted (0xefefefef, 0xeeeeeeee, 0xdddddddd), null when the init did not decode. */
  tag: number | null;
  transport: ClientTransport | null;
  dc: number | null;
  frames: number;
  bytesIn: number;
  closed: boolean;
  error: string | null;
}

export interface FakeDc {
  readonly host: string;
  readonly port: number;
  readonly connections: FakeDcConnection[];
  /** Resolves when `n` connections have been accepted (rejects after timeoutMs). */
  waitForConnections(n: number, timeoutMs?: number): Promise<void>;
  stop(): void;
  [Symbol.dispose](): void;
}

interface State {
  rec: FakeDcConnection;
  buf: Buffer;
  stack: ClientStack | null;
  queue: WriteQueue;
}

export function startFakeDc(opts: FakeDcOptions = {}): FakeDc {
  const connections: FakeDcConnection[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const random = seededRandom(0xdc);

  const handle = (s: Socket<State>, chunk: Uint8Array): void => {
    const st = s.data;
    st.rec.bytesIn += chunk.length;
    let rest: Uint8Array = chunk;
    if (!st.stack) {
      st.buf = st.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([st.buf, chunk]);
      if (st.buf.length < OBFS2_INIT_LEN) return;
      const r = acceptObfuscated2(st.buf.subarray(0, OBFS2_INIT_LEN), [], false);
      if (r.kind !== "ok") {
        st.rec.error = "init did not decode";
        s.end();
        return;
      }
      st.rec.tag = tagForTransport(r.transport);
      st.rec.transport = r.transport;
      st.rec.dc = r.dc;
      st.stack = createClientStack({ transport: r.transport, readCipher: r.readCipher, writeCipher: r.writeCipher, tls: null, random });
      rest = st.buf.subarray(OBFS2_INIT_LEN);
      st.buf = Buffer.alloc(0);
      if (opts.closeOnAccept) {
        s.end();
        return;
      }
    }
    if (rest.length === 0) return;
    const res = st.stack.decode(rest);
    for (const p of res.packets) {
      st.rec.frames++;
      if (opts.quickAck && p.quickAck) st.stack.queueQuickAck((p.payload.length | 0x80000000) >>> 0);
      if (!opts.silent) st.stack.queuePacket(p.payload);
      if (opts.closeAfterFrames !== undefined && st.rec.frames >= opts.closeAfterFrames) break;
    }
    const out = st.stack.flush();
    if (out) st.queue.write(out);
    if (res.kind === "error") {
      st.rec.error = res.error.message;
      st.queue.end();
    } else if (opts.closeAfterFrames !== undefined && st.rec.frames >= opts.closeAfterFrames) st.queue.end();
  };

  const listener: TCPSocketListener<State> = Bun.listen<State>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(s) {
        const rec: FakeDcConnection = { tag: null, transport: null, dc: null, frames: 0, bytesIn: 0, closed: false, error: null };
        connections.push(rec);
        s.data = {
          rec,
          buf: Buffer.alloc(0),
          stack: null,
          queue: new WriteQueue(s, { onHigh: () => s.pause(), onLow: () => s.resume() }),
        };
        for (const w of waiters.splice(0)) {
          if (connections.length >= w.n) w.resolve();
          else waiters.push(w);
        }
      },
      data: handle,
      drain(s) {
        s.data.queue.flush();
      },
      close(s) {
        s.data.rec.closed = true;
        s.data.queue.destroy();
      },
      error(s, err) {
        s.data.rec.error = err.message;
      },
    },
  });

  const dc: FakeDc = {
    host: "127.0.0.1",
    port: listener.port,
    connections,
    waitForConnections(n, timeoutMs = 2000) {
      if (connections.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { n, resolve: () => (clearTimeout(t), resolve()) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`fake DC: ${connections.length} of ${n} connections within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    stop() {
      listener.stop(true);
    },
    [Symbol.dispose]() {
      dc.stop();
    },
  };
  return dc;
}
