// A loopback fake Telegram DC for direct mode, built from our own codecs: accepts an obfuscated2
// init without a secret (as Telegram's DC ports do), records its tag and DC index, then echoes
// every frame in the same transport, optionally with a quick ack first or closing after N frames.
import type { Socket, TCPSocketListener } from "bun";
import { seededRandom } from "../../src/crypto/random.ts";
import { WriteQueue } from "../../src/io/write-queue.ts";
import type { CtrStream } from "../../src/crypto/aes.ts";
import { ChunkQueue } from "../../src/transport/chunk-queue.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { createFrameEncoder, type FrameEncoder } from "../../src/transport/frame-encoder.ts";
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

interface Link {
  transport: ClientTransport;
  read: CtrStream;
  write: CtrStream;
  frames: ChunkQueue;
  encoder: FrameEncoder;
}

interface State {
  rec: FakeDcConnection;
  buf: Buffer;
  link: Link | null;
  queue: WriteQueue;
}

/** A DC parses each frame as soon as it is whole (no C proxy min+8 quirk); padded keeps len & ~3. */
function nextFrame(link: Link): { payload: Uint8Array; quickAck: boolean } | null {
  const q = link.frames;
  if (link.transport === "abridged") {
    if (q.length < 1) return null;
    const b0 = q.byteAt(0);
    let words = b0 & 0x7f;
    let hdr = 1;
    if (words === 0x7f) {
      if (q.length < 4) return null;
      words = q.byteAt(1) | (q.byteAt(2) << 8) | (q.byteAt(3) << 16);
      hdr = 4;
    }
    if (q.length < hdr + words * 4) return null;
    q.skip(hdr);
    return { payload: q.take(words * 4), quickAck: (b0 & 0x80) !== 0 };
  }
  if (q.length < 4) return null;
  const v = (q.byteAt(0) | (q.byteAt(1) << 8) | (q.byteAt(2) << 16) | (q.byteAt(3) << 24)) >>> 0;
  const len = v & 0x7fffffff;
  if (q.length < 4 + len) return null;
  q.skip(4);
  const body = q.take(len);
  return { payload: link.transport === "padded" ? body.subarray(0, len & ~3) : body, quickAck: v >= 0x80000000 };
}

export function startFakeDc(opts: FakeDcOptions = {}): FakeDc {
  const connections: FakeDcConnection[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const random = seededRandom(0xdc);

  const handle = (s: Socket<State>, chunk: Uint8Array): void => {
    const st = s.data;
    st.rec.bytesIn += chunk.length;
    let rest: Uint8Array = chunk;
    if (!st.link) {
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
      st.link = { transport: r.transport, read: r.readCipher, write: r.writeCipher, frames: new ChunkQueue(), encoder: createFrameEncoder(r.transport, random) };
      rest = st.buf.subarray(OBFS2_INIT_LEN);
      st.buf = Buffer.alloc(0);
      if (opts.closeOnAccept) {
        s.end();
        return;
      }
    }
    if (rest.length === 0) return;
    const link = st.link;
    link.frames.push(link.read.update(rest));
    const parts: Uint8Array[] = [];
    const limit = opts.closeAfterFrames ?? Infinity;
    for (let p = nextFrame(link); p !== null && st.rec.frames < limit; p = nextFrame(link)) {
      st.rec.frames++;
      if (opts.quickAck && p.quickAck) link.encoder.quickAck((p.payload.length | 0x80000000) >>> 0, parts);
      if (!opts.silent) parts.push(link.encoder.packetInto(p.payload, 0, p.payload.length, 0));
    }
    if (parts.length > 0) st.queue.write(link.write.update(parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
    if (st.rec.frames >= limit) st.queue.end();
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
          link: null,
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
