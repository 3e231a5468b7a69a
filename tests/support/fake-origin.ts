// A stand-in for the real web site behind -D on a chosen port (the proxy fronts to 443, or 80):
// records every byte per connection and answers the first chunk of each with a fixed reply.
import type { Socket, TCPSocketListener } from "bun";

export interface FakeOriginAt {
  readonly port: number;
  /** Bytes received, one entry per accepted connection, in accept order. */
  readonly connections: Buffer[];
  waitConnectionBytes(index: number, n: number, timeoutMs?: number): Promise<Buffer>;
  stop(): void;
}

/** Binds 127.0.0.1:`port`; returns the bind error's message instead when it fails (busy, no privilege). */
export function startOriginAt(port: number, reply: Uint8Array): FakeOriginAt | string {
  const connections: Buffer[] = [];
  const index = new Map<Socket<undefined>, number>();
  let listener: TCPSocketListener<undefined>;
  try {
    listener = Bun.listen<undefined>({
      hostname: "127.0.0.1",
      port,
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
          if (first) s.write(reply);
        },
      },
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return {
    port: listener.port,
    connections,
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
