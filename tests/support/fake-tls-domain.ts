// A loopback "-D domain" for the start-up probe (client-side.md §4.2): it reads the probe's
// 517-byte ClientHello and answers like a TLS 1.3 server (our own ServerHello builder). `bad`
// echoes no session id (the probe must reject it); `silent` never answers (the probe times out).
import type { TCPSocketListener } from "bun";
import { buildServerHello } from "../../src/transport/faketls-response.ts";

export interface FakeTlsDomainOptions {
  mode?: "ok" | "bad" | "silent";
  /** supported_versions before key_share, as some servers send them. */
  reversedOrder?: boolean;
  /** Size of the fake encrypted flight, drawn per answer. */
  encryptedSize?: number | (() => number);
  /** The port on 127.0.0.1 (default: one the OS picks). */
  port?: number;
}

const PROBE_HELLO_BYTES = 517;

export function startFakeTlsDomain(opts: FakeTlsDomainOptions = {}): TCPSocketListener<{ buf: Buffer }> {
  const mode = opts.mode ?? "ok";
  const size = opts.encryptedSize ?? 2500;
  return Bun.listen<{ buf: Buffer }>({
    hostname: "127.0.0.1",
    port: opts.port ?? 0,
    socket: {
      open(s) {
        s.data = { buf: Buffer.alloc(0) };
      },
      data(s, chunk) {
        s.data.buf = Buffer.concat([s.data.buf, chunk]);
        if (s.data.buf.length < PROBE_HELLO_BYTES || mode === "silent") return;
        const h = s.data.buf;
        s.write(
          buildServerHello({
            secret: new Uint8Array(16),
            clientRandom: h.subarray(11, 43),
            sessionId: mode === "bad" ? Buffer.alloc(32) : h.subarray(44, 76),
            cipherByte: 1,
            reversedOrder: opts.reversedOrder ?? false,
            encryptedSize: typeof size === "number" ? size : size(),
            keyShare: new Uint8Array(32),
            appData: (n) => new Uint8Array(n),
          }),
        );
      },
    },
  });
}
