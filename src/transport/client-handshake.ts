// The pre-established part of a client connection as a pure state machine: FIRST → (TLS hello →
// first record →) obfuscated2 init → established, or front / blackhole / close. Mirrors the
// in_packet_num == -3 branch of net-tcp-rpc-ext-server.c: tcp_rpcs_compact_parse_execute (client-side.md §0, §2, §4).
// The session owns sockets, the 10 s alarm and fronting; this only decides.

import type { RandomSource } from "../crypto/random.ts";
import type { ClientTransport, DecodeResult, ProtocolError } from "./codec.ts";
import { createClientStack, type ClientStack, type OutboundBytes } from "./client-stack.ts";
import { acceptClientHello, looksLikeClientHello, type FakeTlsSettings, type FrontReason } from "./faketls-hello.ts";
import { parseFirstFlight, TLS_RECORD_PAYLOAD_DEFAULT, TLS_RECORD_PAYLOAD_STRICT } from "./faketls-records.ts";
import { acceptObfuscated2, OBFS2_INIT_LEN } from "./obfuscated2.ts";
import type { ReplayCache } from "./replay-cache.ts";

/** C looks at nothing until min_len + 8 = 9 bytes are buffered (§3.1). */
export const FIRST_DECISION_BYTES = 9;

export interface HandshakeConfig {
  /** -S secrets in command-line order; empty = no-secret mode. */
  readonly secrets: readonly Uint8Array[];
  /** Present iff -D was given (TLS-only mode). */
  readonly tls: FakeTlsSettings | null;
  /** Outgoing TLS record payload cap (1425 in strict parity mode). */
  readonly maxRecordPayload?: number;
  readonly maxBufferedBytes?: number;
  /**
   * Direct mode: bytes after the init are only decrypted (ClientStack.decodeRaw), never framed;
   * `established.firstRaw` carries them and `first` stays an empty ok result.
   */
  readonly raw?: boolean;
}

export interface HandshakeEnv {
  readonly localPort: number;
  readonly nowSec: () => number;
  readonly replay: ReplayCache;
  readonly random: RandomSource;
  readonly keyShare: () => Uint8Array;
  readonly outbound?: OutboundBytes;
}

export type HandshakeOutcome =
  /** Keep reading; `send` (the fake ServerHello) must be written first when present. */
  | { readonly kind: "need-more"; readonly send: Uint8Array | null }
  /** Relay to `domain`, replaying `buffered` first (§4.9). */
  | { readonly kind: "front"; readonly domain: string; readonly reason: FrontReason | "not-padded-tag"; readonly buffered: Uint8Array }
  /** No secret matched: read and discard everything, never write (§2.5). */
  | { readonly kind: "blackhole" }
  | { readonly kind: "close"; readonly error: ProtocolError }
  | {
      readonly kind: "established";
      readonly transport: ClientTransport;
      readonly dc: number;
      readonly secretIndex: number;
      readonly tls: boolean;
      readonly stack: ClientStack;
      /** Packets that arrived together with the init (raw mode: none, or the record error). */
      readonly first: DecodeResult;
      /** Raw mode only: the decrypted client bytes that followed the init. */
      readonly firstRaw?: Uint8Array;
    };

export interface ClientHandshake {
  push(chunk: Uint8Array): HandshakeOutcome;
  /** Unconsumed input, for the 10 s alarm's fronting (what C still holds in c->in). */
  pending(): Uint8Array;
}

export function createClientHandshake(config: HandshakeConfig, env: HandshakeEnv): ClientHandshake {
  let buf: Buffer = Buffer.alloc(0);
  let state: "first" | "tls-hello" | "tls-first-record" | "obfs" | "done" = "first";

  const establish = (init: Uint8Array, rest: Uint8Array, tlsRemaining: number | null): HandshakeOutcome => {
    const r = acceptObfuscated2(init, config.secrets, config.tls !== null);
    state = "done";
    if (r.kind === "no-match") return { kind: "blackhole" };
    if (r.kind === "front") {
      // C fronts with c->in as it stands: the TLS record header was skipped, the init was only peeked.
      const buffered = tlsRemaining === null ? buf : buf.subarray(11);
      return { kind: "front", domain: config.tls!.defaultDomain, reason: "not-padded-tag", buffered };
    }
    const strict = config.tls?.strictHello ?? false;
    const stack = createClientStack({
      transport: r.transport,
      readCipher: r.readCipher,
      writeCipher: r.writeCipher,
      tls:
        tlsRemaining === null
          ? null
          : {
              recordRemaining: tlsRemaining,
              maxRecordPayload: config.maxRecordPayload ?? (strict ? TLS_RECORD_PAYLOAD_STRICT : TLS_RECORD_PAYLOAD_DEFAULT),
            },
      random: env.random,
      maxBufferedBytes: config.maxBufferedBytes,
      outbound: env.outbound,
    });
    const done = { kind: "established", transport: r.transport, dc: r.dc, secretIndex: r.secretIndex, tls: tlsRemaining !== null, stack } as const;
    if (config.raw) {
      const raw = stack.decodeRaw(rest); // the CTR output is a fresh buffer: no copy of the view needed
      buf = Buffer.alloc(0);
      // A broken TLS record after the init surfaces where the session already looks for errors.
      if (raw.kind === "error") return { ...done, first: { kind: "error", packets: [], error: raw.error }, firstRaw: new Uint8Array(0) };
      return { ...done, first: { kind: "ok", packets: [] }, firstRaw: raw.data };
    }
    const first = rest.length > 0 ? stack.decode(Buffer.from(rest)) : { kind: "ok" as const, packets: [] };
    buf = Buffer.alloc(0);
    return { ...done, first };
  };

  const step = (): HandshakeOutcome => {
    if (state === "first") {
      if (buf.length < FIRST_DECISION_BYTES) return { kind: "need-more", send: null };
      const tls = config.tls;
      if (tls && config.secrets.length > 0 && looksLikeClientHello(buf, tls.strictHello)) state = "tls-hello";
      else if (tls) {
        state = "done";
        return { kind: "front", domain: tls.defaultDomain, reason: "not-tls-hello", buffered: buf };
      } else state = "obfs";
    }
    if (state === "tls-hello") {
      const out = acceptClientHello(buf, config.tls!, {
        localPort: env.localPort,
        nowSec: env.nowSec(),
        replay: env.replay,
        random: env.random,
        keyShare: env.keyShare,
      });
      if (out.kind === "need-more") return { kind: "need-more", send: null };
      if (out.kind === "front") {
        state = "done";
        return { kind: "front", domain: out.domain, reason: out.reason, buffered: buf };
      }
      buf = buf.subarray(out.consumed);
      state = "tls-first-record";
      return { kind: "need-more", send: out.response };
    }
    if (state === "tls-first-record") {
      const ff = parseFirstFlight(buf);
      if (ff.kind === "need-more") return { kind: "need-more", send: null };
      if (ff.kind === "error") {
        state = "done";
        return { kind: "close", error: ff.error };
      }
      return establish(ff.init, ff.rest, ff.recordRemaining);
    }
    if (state === "obfs") {
      if (buf.length < OBFS2_INIT_LEN) return { kind: "need-more", send: null };
      return establish(buf.subarray(0, OBFS2_INIT_LEN), buf.subarray(OBFS2_INIT_LEN), null);
    }
    throw new Error("client handshake used after it finished");
  };

  return {
    push(chunk) {
      buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
      // After an accepted hello nothing else is buffered: C fronts a hello with trailing bytes.
      return step();
    },
    pending() {
      return buf;
    },
  };
}
