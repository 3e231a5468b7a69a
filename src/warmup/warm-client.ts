// One client of the start-up warm-up (warm-up.ts): what a Telegram app does on an obfuscated2
// connection (client-side.md §2–§3), over loopback, as fast as its echoes come back: a burst of
// 1–3 packets of mixed sizes (a quick ack asked now and then), wait for every echo, again; after a
// few bursts it hangs up and connects anew, so accepting, the handshake and the close are run as
// often as the packets. Its transport is given, so the proxy's three framings all get exercised.
import type { Socket } from "bun";
import type { RandomSource } from "../crypto/random.ts";
import type { ClientTransport } from "../transport/codec.ts";
import { createObfuscated2Init } from "../transport/obfuscated2.ts";
import { createOutboundStack } from "../transport/outbound-stack.ts";

/** Payload sizes a client cycles through: small requests, 1 KiB, a 16 KiB download chunk. */
const SIZES = [64, 256, 1024, 4096, 16384, 1024, 128, 2048];
/** Bursts on one connection before the client reconnects. */
const BURSTS_PER_CONNECTION = 6;

export interface WarmClientOptions {
  readonly port: number;
  readonly secret: Uint8Array;
  readonly transport: ClientTransport;
  readonly dc: number;
  readonly random: RandomSource;
  /** performance.now() after which no new connection or burst starts. */
  readonly deadline: number;
}

export interface WarmClientCounts {
  connections: number;
  roundTrips: number;
  /** Connections refused, cut by the proxy or answered with bytes that did not decode. */
  broken: number;
}

/** Connects again and again until the deadline; resolves with what it did (never rejects). */
export async function runWarmClient(o: WarmClientOptions): Promise<WarmClientCounts> {
  const payloads = SIZES.map((size) => payloadOf(size, o.random));
  const counts: WarmClientCounts = { connections: 0, roundTrips: 0, broken: 0 };
  while (performance.now() < o.deadline) {
    const c = await oneConnection(o, payloads);
    counts.connections++;
    counts.roundTrips += c.roundTrips;
    if (c.broken) {
      counts.broken++;
      break; // the warm-up is over for this client
    }
  }
  return counts;
}

/** One connection: its round trips, and whether it ended other than by our own hang-up. */
function oneConnection(o: WarmClientOptions, payloads: readonly Uint8Array[]): Promise<{ roundTrips: number; broken: boolean }> {
  return new Promise((resolve) => {
    const init = createObfuscated2Init({ secret: o.secret, transport: o.transport, dc: o.dc, random: o.random });
    const stack = createOutboundStack({ ...init, transport: o.transport, tls: false, random: o.random });
    const askAcks = o.transport !== "abridged"; // tdlib never asks over abridged (client-side.md §3.8)
    let sent = 0;
    let bursts = 0;
    let awaited = 0;
    let roundTrips = 0;
    let settled = false;
    const done = (broken: boolean): void => {
      if (settled) return;
      settled = true;
      resolve({ roundTrips, broken });
    };
    const hangUp = (s: Socket<undefined>, broken: boolean): void => {
      done(broken); // first: end() may run the close handler at once
      s.end();
    };
    const gone = (): void => done(true);
    const burst = (s: Socket<undefined>, prefix: Uint8Array | null): void => {
      if (bursts++ === BURSTS_PER_CONNECTION || performance.now() >= o.deadline) return hangUp(s, false);
      const packets = [];
      for (let n = 1 + (sent % 3); n > 0; n--, sent++) packets.push({ payload: payloads[sent % payloads.length]!, quickAck: askAcks && sent % 8 === 7 });
      awaited = packets.length;
      const bytes = stack.encode(packets);
      s.write(prefix ? Buffer.concat([prefix, bytes]) : bytes);
    };
    Bun.connect<undefined>({
      hostname: "127.0.0.1",
      port: o.port,
      socket: {
        binaryType: "uint8array",
        open: (s) => burst(s, init.init),
        data(s, chunk) {
          const r = stack.decode(chunk);
          for (const e of r.events) if (e.kind === "packet") awaited--;
          if (r.kind === "error") hangUp(s, true);
          else if (awaited === 0) {
            roundTrips++;
            burst(s, null);
          }
        },
        close: gone,
        error: gone,
        connectError: gone,
      },
    }).catch(gone);
  });
}

/** An MTProto-shaped payload the proxy forwards: 4-aligned, a non-zero auth_key_id, ≥ 56 bytes. */
function payloadOf(size: number, random: RandomSource): Uint8Array {
  const p = random.bytes(size);
  p[0] = 1;
  return p;
}
