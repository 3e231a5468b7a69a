// Plain per-process counters of the client data plane, incremented at boundaries (accept, handshake
// outcome, packet, flush, close), never per byte. The stats layer reads them; C counterparts are the
// ext-server and mtfront stats (inbound_connections_accepted, accept_rate_limit_failed, ...).
import type { FrontReason } from "../transport/faketls-hello.ts";
import type { DropReason } from "./forward-filter.ts";
import type { ClientTransport } from "./middle-contract.ts";

/** Why a connection was handed to domain fronting: the fake-TLS hello's reasons, an init whose
 * transport is not padded while -D is on (C's only-padded rule), plus the 10 s alarm. */
export type FrontCause = FrontReason | "not-padded-tag" | "alarm";

/** Packets the session did not forward: the forward filter's reasons, plus no middle end to take it. */
export type PacketDropReason = DropReason | "no-middle-end";

export type CloseReason =
  | "client" // the client closed or reset
  | "protocol" // bad framing, bad TLS record, buffer cap (C: fail_connection -1 / -429)
  | "middle" // RPC_CLOSE_EXT, the middle-end link died, or it judged the client too slow
  | "dropped" // C's RPC_F_DROPPED rule (-35)
  | "write-overflow" // our write queue to the client hit its hard cap
  | "direct" // the DC side of a direct link closed
  | "fronting" // the fronted origin closed, failed, or went idle
  | "no-fronting-target" // fronting asked for a domain without an address (C: -17)
  | "handshake-timeout" // beyond C: no handshake within the give-up bound (no -D)
  | "memory" // the process-wide output budget shed it, holding the most (C: connections_failed_lru)
  | "shutdown";

export interface SessionCounters {
  accepted: number;
  active: number;
  /** -C reached: accepted and closed at once (C pauses the listener instead). */
  rejectedCap: number;
  /** --max-accept-rate exceeded (C: accept_rate_limit_failed). */
  rejectedRate: number;
  /** --max-accept-rate tokens left after the last accept (a gauge; C: cur_accept_rate_remaining). */
  acceptRateRemaining: number;
  handshakesOk: Record<ClientTransport, number>;
  /** Successful handshakes per -S index. */
  handshakesBySecret: number[];
  tlsHandshakes: number;
  fronted: Record<FrontCause, number>;
  frontingActive: number;
  blackholed: number;
  /** Same events as fronted[...] (plus replayed obfuscated2 inits), kept as plain fields for the stats page. */
  replays: number;
  /** Beyond C: a plain/dd client replayed a recent obfuscated2 init; blackholed like a wrong secret. */
  replayedInits: number;
  /**
   * Handshakes refused as malformed or foreign: an init that matches no secret (blackholed), and
   * fronting for a non-TLS opening, a non-dd init under -D, trailing bytes, a too long hello, no TLS 1.3 cipher.
   */
  badHandshakes: number;
  badTimestamps: number;
  unknownSni: number;
  droppedPackets: Record<PacketDropReason, number>;
  forwardedPackets: number;
  pongs: number;
  closes: Record<CloseReason, number>;
  /** Raw socket bytes, counted per data chunk / per flush. */
  bytesFromClients: number;
  bytesToClients: number;
  bytesFromOrigins: number;
  bytesToOrigins: number;
}

const zero = <K extends string>(keys: readonly K[]): Record<K, number> => {
  const r = {} as Record<K, number>;
  for (const k of keys) r[k] = 0;
  return r;
};

export function createSessionCounters(): SessionCounters {
  return {
    accepted: 0,
    active: 0,
    rejectedCap: 0,
    rejectedRate: 0,
    acceptRateRemaining: 0,
    handshakesOk: zero(["abridged", "intermediate", "padded"]),
    handshakesBySecret: [],
    tlsHandshakes: 0,
    fronted: zero([
      "not-tls-hello",
      "unknown-sni",
      "port-80",
      "trailing-data",
      "too-long",
      "replayed-random",
      "bad-hmac",
      "bad-timestamp",
      "no-tls13-cipher",
      "not-padded-tag",
      "alarm",
    ]),
    frontingActive: 0,
    blackholed: 0,
    replays: 0,
    replayedInits: 0,
    badHandshakes: 0,
    badTimestamps: 0,
    unknownSni: 0,
    droppedPackets: zero(["ping", "short", "unaligned", "short-encrypted", "bad-inner-length", "not-handshake", "no-middle-end"]),
    forwardedPackets: 0,
    pongs: 0,
    closes: zero([
      "client",
      "protocol",
      "middle",
      "dropped",
      "write-overflow",
      "direct",
      "fronting",
      "no-fronting-target",
      "handshake-timeout",
      "memory",
      "shutdown",
    ]),
    bytesFromClients: 0,
    bytesToClients: 0,
    bytesFromOrigins: 0,
    bytesToOrigins: 0,
  };
}

const BAD_HANDSHAKE_CAUSES: ReadonlySet<FrontCause> = new Set(["not-tls-hello", "not-padded-tag", "trailing-data", "too-long", "no-tls13-cipher"]);

export function countFront(c: SessionCounters, cause: FrontCause): void {
  c.fronted[cause]++;
  if (cause === "replayed-random") c.replays++;
  else if (cause === "bad-timestamp") c.badTimestamps++;
  else if (cause === "unknown-sni") c.unknownSni++;
  else if (BAD_HANDSHAKE_CAUSES.has(cause)) c.badHandshakes++;
}
