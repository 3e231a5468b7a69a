import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { WriteQueue, type WritableSocket, type WriteQueueOptions } from "../../src/io/write-queue.ts";

/** A socket whose kernel takes at most `budget` bytes per write() (Infinity: everything). */
class FakeSocket implements WritableSocket {
  budget = Infinity;
  closed = false;
  ended = 0;
  calls = 0;
  writes: Uint8Array[] = []; // the exact objects handed to write()
  received: Buffer[] = [];

  write(data: Uint8Array, byteOffset = 0, byteLength = data.length - byteOffset): number {
    this.calls++;
    if (this.closed) return -1;
    const n = Math.min(byteLength, this.budget);
    this.writes.push(data);
    this.received.push(Buffer.from(data.subarray(byteOffset, byteOffset + n)));
    return n;
  }
  end(): void {
    this.ended++;
  }
  get bytes(): Buffer {
    return Buffer.concat(this.received);
  }
}

const tick = (): Promise<void> => new Promise((r) => queueMicrotask(r));
const bytes = (n: number, seed: number): Buffer => seededRandom(seed).bytes(n);

function setup(opts: WriteQueueOptions = {}) {
  const sock = new FakeSocket();
  const events: string[] = [];
  const q = new WriteQueue(sock, {
    onHigh: () => events.push("high"),
    onLow: () => events.push("low"),
    onClosed: () => events.push("closed"),
    ...opts,
  });
  return { sock, q, events };
}

describe("WriteQueue with a fake socket", () => {
  test("writes of one event are coalesced into one socket write (microtask mode)", async () => {
    const { sock, q } = setup();
    const parts = Array.from({ length: 64 }, (_, i) => bytes(64, i));
    for (const p of parts) expect(q.write(p)).toBe("ok");
    expect(sock.calls).toBe(0);
    expect(q.pendingBytes).toBe(64 * 64);
    await tick();
    expect(sock.calls).toBe(1);
    expect(sock.bytes.equals(Buffer.concat(parts))).toBe(true);
    expect(q.pendingBytes).toBe(0);
  });

  test("a lone chunk goes to the socket as is, without a copy", async () => {
    const { sock, q } = setup();
    const chunk = bytes(5000, 1);
    q.write(chunk);
    await tick();
    expect(sock.writes[0]).toBe(chunk);
    const imm = setup({ flushMode: "immediate" });
    const c2 = bytes(10, 2);
    imm.q.write(c2);
    expect(imm.sock.writes[0]).toBe(c2); // synchronously, no microtask
  });

  test("writeCopy: a scratch buffer reused right after the call still arrives intact", () => {
    const { sock, q } = setup({ flushMode: "immediate" });
    const scratch = Buffer.alloc(1000);
    const sent: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      if (i === 1) sock.budget = 400; // the kernel takes the first whole, 400 bytes of the second, then is full
      const msg = bytes(1000, 10 + i);
      msg.copy(scratch);
      sent.push(msg);
      expect(q.writeCopy(scratch)).toBe("ok");
      scratch.fill(0xee); // the caller reuses its buffer at once
    }
    expect(sock.calls).toBe(2); // the third went behind the refused tail without a write
    expect(q.pendingBytes).toBe(1600);
    expect(q.isWaitingDrain).toBe(true);
    sock.budget = Infinity;
    q.flush(); // drain
    expect(sock.bytes.equals(Buffer.concat(sent))).toBe(true);
    expect(q.pendingBytes).toBe(0);
  });

  test("writeCopy: sent at once when nothing is queued; honours the cap and a closed socket", () => {
    const { sock, q, events } = setup({ flushMode: "immediate", highWaterMark: 100, lowWaterMark: 10, maxPendingBytes: 200 });
    const chunk = bytes(50, 1);
    expect(q.writeCopy(chunk)).toBe("ok");
    expect(sock.writes[0]).toBe(chunk); // the caller's own buffer went to the kernel, no copy
    expect(q.writeCopy(bytes(201, 2))).toBe("overflow");
    sock.closed = true;
    expect(q.writeCopy(bytes(10, 3))).toBe("closed");
    expect(events).toContain("closed");
    expect(q.writeCopy(bytes(10, 4))).toBe("closed");
  });

  test("immediate: a write the kernel takes whole is never queued; a refused tail is kept, counted and sent in order", () => {
    const { sock, q, events } = setup({ flushMode: "immediate", highWaterMark: 500, lowWaterMark: 100 });
    const a = bytes(300, 1);
    expect(q.write(a)).toBe("ok");
    expect(q.pendingBytes).toBe(0);
    sock.budget = 120; // the kernel takes 120 bytes of the next write, then the rest must wait
    const b = bytes(700, 2);
    expect(q.write(b)).toBe("backpressure"); // 580 held: above the high-water mark
    expect(q.pendingBytes).toBe(580);
    expect(q.isWaitingDrain).toBe(true);
    expect(events).toEqual(["high"]);
    const c = bytes(50, 3);
    const calls = sock.calls;
    q.write(c); // behind the tail: queued without a write
    expect(sock.calls).toBe(calls);
    expect(q.pendingBytes).toBe(630);
    sock.budget = Infinity;
    q.flush();
    expect(sock.bytes.equals(Buffer.concat([a, b, c]))).toBe(true);
    expect(q.pendingBytes).toBe(0);
    expect(events).toEqual(["high", "low"]);
  });

  test("manual mode sends nothing until flush()", async () => {
    const { sock, q } = setup({ flushMode: "manual" });
    q.write(bytes(10, 1));
    q.write(bytes(10, 2));
    await tick();
    expect(sock.calls).toBe(0);
    q.flush();
    expect(sock.calls).toBe(1);
    expect(sock.bytes.length).toBe(20);
  });

  test("partial writes keep order; nothing is retried until drain calls flush()", async () => {
    const { sock, q } = setup();
    sock.budget = 7;
    const input: Buffer[] = [];
    for (let i = 0; i < 10; i++) input.push(bytes(1 + i * 3, i));
    for (const c of input) q.write(c);
    await tick();
    expect(sock.calls).toBe(1);
    expect(q.isWaitingDrain).toBe(true);
    q.write(bytes(5, 99));
    input.push(bytes(5, 99));
    await tick();
    expect(sock.calls).toBe(1); // still waiting for drain: no futile write
    for (let drains = 0; q.pendingBytes > 0 && drains < 1000; drains++) q.flush();
    expect(sock.bytes.equals(Buffer.concat(input))).toBe(true);
    expect(q.isWaitingDrain).toBe(false);
  });

  test("random chunk sizes and random kernel budgets deliver the exact stream (bounded)", async () => {
    const rnd = seededRandom(11);
    const { sock, q } = setup({ maxWriteBytes: 300, highWaterMark: 4000, lowWaterMark: 1000, maxPendingBytes: 1 << 20 });
    const input: Buffer[] = [];
    for (let round = 0; round < 300; round++) {
      sock.budget = rnd.int(4) === 0 ? 0 : 1 + rnd.int(500);
      for (let k = rnd.int(6); k > 0; k--) {
        const c = rnd.bytes(rnd.int(200));
        input.push(c);
        q.write(c);
      }
      await tick();
      if (rnd.int(2) === 0) q.flush();
    }
    sock.budget = Infinity;
    q.flush();
    expect(q.pendingBytes).toBe(0);
    expect(sock.bytes.equals(Buffer.concat(input))).toBe(true);
    // Coalesced writes never exceed maxWriteBytes (no single chunk here is larger).
    for (const w of sock.writes) expect(w.length).toBeLessThanOrEqual(300);
  });

  test("high/low water marks: onHigh once when crossing, onLow once when back below", async () => {
    const { sock, q, events } = setup({ highWaterMark: 100, lowWaterMark: 20, maxPendingBytes: 1000 });
    sock.budget = 0;
    expect(q.write(bytes(60, 1))).toBe("ok");
    expect(q.write(bytes(40, 2))).toBe("ok"); // exactly at the mark is not above it
    expect(q.write(bytes(1, 3))).toBe("backpressure");
    expect(q.write(bytes(50, 4))).toBe("backpressure");
    expect(events).toEqual(["high"]);
    expect(q.isAboveHighWater).toBe(true);
    await tick();
    sock.budget = 100;
    q.flush(); // 151 → 51: below high, still above low
    expect(q.pendingBytes).toBe(51);
    expect(events).toEqual(["high"]);
    q.flush(); // 51 → 0
    expect(events).toEqual(["high", "low"]);
    expect(q.isAboveHighWater).toBe(false);
    expect(q.write(bytes(5, 5))).toBe("ok");
  });

  test("the hard cap refuses the chunk (overflow) and leaves the queue as it was", async () => {
    const { sock, q } = setup({ highWaterMark: 100, lowWaterMark: 10, maxPendingBytes: 200 });
    sock.budget = 0;
    expect(q.write(bytes(150, 1))).toBe("backpressure");
    expect(q.write(bytes(51, 2))).toBe("overflow");
    expect(q.pendingBytes).toBe(150);
    expect(q.write(bytes(50, 3))).toBe("backpressure");
    expect(q.pendingBytes).toBe(200);
    sock.budget = Infinity;
    q.flush();
    expect(sock.bytes.equals(Buffer.concat([bytes(150, 1), bytes(50, 3)]))).toBe(true);
  });

  test("end() sends everything queued, then closes the socket once; later writes are refused", async () => {
    const { sock, q } = setup();
    sock.budget = 10;
    q.write(bytes(25, 1));
    q.end();
    expect(sock.ended).toBe(0);
    expect(q.write(bytes(1, 2))).toBe("closed");
    q.flush();
    expect(sock.ended).toBe(0);
    q.flush();
    expect(sock.ended).toBe(1);
    q.flush();
    q.end();
    expect(sock.ended).toBe(1);
    expect(sock.bytes.equals(bytes(25, 1))).toBe(true);
    const empty = setup();
    empty.q.end();
    expect(empty.sock.ended).toBe(1);
  });

  test("a closed socket (write returns -1) drops the queue and reports onClosed", async () => {
    const { sock, q, events } = setup({ highWaterMark: 10, lowWaterMark: 5 });
    sock.closed = true;
    q.write(bytes(20, 1));
    await tick();
    expect(events).toEqual(["high", "closed"]);
    expect(q.pendingBytes).toBe(0);
    expect(q.write(bytes(1, 2))).toBe("closed");
  });

  test("inconsistent marks are rejected", () => {
    expect(() => new WriteQueue(new FakeSocket(), { highWaterMark: 10, lowWaterMark: 20 })).toThrow(RangeError);
    expect(() => new WriteQueue(new FakeSocket(), { highWaterMark: 100, maxPendingBytes: 50 })).toThrow(RangeError);
  });
});

describe("WriteQueue on a real loopback socket", () => {
  test(
    "a paused reader bounds the writer's queue; resuming delivers every byte in order",
    async () => {
      const CHUNK = 64 << 10;
      const TOTAL = 48 << 20;
      const HIGH = 1 << 20;
      let serverSocket: Bun.Socket<undefined> | undefined;
      let received = 0;
      let receivedSum = 0;
      let mismatch = -1;
      using server = Bun.listen({
        hostname: "127.0.0.1",
        port: 0,
        socket: {
          open(s) {
            serverSocket = s;
            s.pause();
          },
          data(_s, d) {
            // Byte i of the stream is (i * 7) & 0xff: check order as we go, cheaply.
            for (let i = 0; i < d.length; i += 4093) {
              if (mismatch < 0 && d[i] !== ((received + i) * 7) % 256) mismatch = received + i;
            }
            receivedSum += d.length;
            received += d.length;
          },
        },
      });
      let queue: WriteQueue | undefined;
      const client = await Bun.connect({
        hostname: "127.0.0.1",
        port: server.port,
        socket: {
          data() {},
          drain() {
            queue?.flush();
          },
        },
      });
      try {
        let produced = 0;
        let paused = false;
        let highs = 0;
        let lows = 0;
        let maxPending = 0;
        const produce = (): void => {
          // The source: writes until the queue says stop (as a session would pause its client).
          while (!paused && produced < TOTAL) {
            const c = Buffer.allocUnsafe(CHUNK);
            for (let i = 0; i < CHUNK; i++) c[i] = ((produced + i) * 7) & 0xff;
            produced += CHUNK;
            const r = queue!.write(c);
            expect(r === "ok" || r === "backpressure").toBe(true);
            maxPending = Math.max(maxPending, queue!.pendingBytes);
          }
        };
        queue = new WriteQueue(client, {
          highWaterMark: HIGH,
          lowWaterMark: HIGH / 4,
          maxPendingBytes: 4 * HIGH,
          onHigh: () => {
            highs++;
            paused = true;
          },
          onLow: () => {
            lows++;
            paused = false;
            queueMicrotask(produce);
          },
        });
        produce();
        // Let the kernel buffers fill while the reader stays paused.
        for (let i = 0; i < 50 && !queue.isWaitingDrain; i++) await Bun.sleep(10);
        await Bun.sleep(100);
        expect(serverSocket).toBeDefined();
        expect(queue.isWaitingDrain).toBe(true);
        expect(paused).toBe(true);
        expect(produced).toBeLessThan(TOTAL); // the source really stopped
        // Still paused, so no onLow yet: the queue holds more than the low mark, never much more than high.
        expect(queue.pendingBytes).toBeGreaterThan(HIGH / 4);
        expect(maxPending).toBeLessThanOrEqual(HIGH + CHUNK);
        // What the kernel took plus what we hold is exactly what was produced.
        const inKernelOrDelivered = produced - queue.pendingBytes;
        expect(inKernelOrDelivered).toBeGreaterThan(0);
        expect(inKernelOrDelivered).toBeLessThan(TOTAL);

        serverSocket!.resume();
        const deadline = Date.now() + 20_000;
        while (received < TOTAL && Date.now() < deadline) await Bun.sleep(10);
        expect(received).toBe(TOTAL);
        expect(receivedSum).toBe(TOTAL);
        expect(mismatch).toBe(-1);
        expect(queue.pendingBytes).toBe(0);
        expect(highs).toBeGreaterThanOrEqual(1);
        expect(lows).toBe(highs);
        expect(maxPending).toBeLessThanOrEqual(HIGH + CHUNK);
      } finally {
        client.end();
        serverSocket?.end();
      }
    },
    { timeout: 30_000 },
  );
});
