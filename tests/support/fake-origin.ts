// A stand-in for the real web site behind -D: records every byte per connection, answers the first
// chunk of each with a fixed reply, optionally echoes (with backpressure). On port 0 for in-process
// tests, or on the port the proxy fronts to (443, or 80) for the compiled-binary tests.
import type { Socket, TCPSocketListener } from "bun";

export interface FakeOrigin {
  readonly port: number;
  /** Bytes received, one entry per accepted connection, in accept order. */
  readonly connections: Buffer[];
  readonly closed: number;
  received(): Buffer;
  waitBytes(n: number, timeoutMs?: number): Promise<Buffer>;
  waitConnectionBytes(index: number, n: number, timeoutMs?: number): Promise<Buffer>;
  stop(): void;
}

/** Listens on 127.0.0.1 (`port`, default OS-chosen); answers each connection's first chunk with `reply`, echoes with `echo`. Throws when it cannot bind. */
export function startOrigin(reply: Uint8Array | null = null, opts: { echo?: boolean; port?: number } = {}): FakeOrigin {
  const connections: Buffer[] = [];
  let closed = 0;
  const index = new Map<Socket<undefined>, number>();
  const backlog = new Map<Socket<undefined>, Buffer[]>();
  const pump = (s: Socket<undefined>): void => {
    const q = backlog.get(s) ?? [];
    while (q.length > 0) {
      const n = s.write(q[0]!);
      if (n >= q[0]!.length) q.shift();
      else {
        q[0] = q[0]!.subarray(Math.max(0, n));
        break;
      }
    }
    backlog.set(s, q);
  };
  const echo = (s: Socket<undefined>, chunk: Buffer): void => {
    const q = backlog.get(s) ?? [];
    q.push(Buffer.from(chunk));
    backlog.set(s, q);
    pump(s);
  };
  const listener: TCPSocketListener<undefined> = Bun.listen({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    socket: {
      binaryType: "buffer",
      open(s) {
        index.set(s, connections.length);
        connections.push(Buffer.alloc(0));
      },
      data(s, chunk) {
        const i = index.get(s)!;
        const first = connections[i]!.length === 0;
        connections[i] = Buffer.concat([connections[i]!, chunk]);
        if (first && reply) s.write(reply);
        if (opts.echo) echo(s, chunk);
      },
      drain(s) {
        pump(s);
      },
      close() {
        closed++;
      },
    },
  });
  return {
    port: listener.port,
    connections,
    get closed() {
      return closed;
    },
    received: () => Buffer.concat(connections),
    async waitBytes(n, timeoutMs = 3000) {
      const end = Date.now() + timeoutMs;
      while (Buffer.concat(connections).length < n) {
        if (Date.now() > end) throw new Error(`origin got ${Buffer.concat(connections).length} of ${n} bytes`);
        await Bun.sleep(5);
      }
      return Buffer.concat(connections);
    },
    async waitConnectionBytes(i, n, timeoutMs = 3000) {
      const end = Date.now() + timeoutMs;
      while ((connections[i]?.length ?? 0) < n) {
        if (Date.now() > end) throw new Error(`origin connection ${i}: ${connections[i]?.length ?? "no connection"} of ${n} bytes`);
        await Bun.sleep(5);
      }
      return connections[i]!;
    },
    stop: () => listener.stop(true),
  };
}

export type FakeOriginAt = FakeOrigin;

/** Binds 127.0.0.1:`port`; returns the bind error's message instead when it fails (busy, no privilege). */
export function startOriginAt(port: number, reply: Uint8Array): FakeOrigin | string {
  try {
    return startOrigin(reply, { port });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Whether 127.0.0.1:`port` can be bound right now (the listener is released at once). */
export function canBind(port: number): string | null {
  try {
    const l = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
    l.stop(true);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
