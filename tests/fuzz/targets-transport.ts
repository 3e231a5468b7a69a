// Fuzz targets for the client-facing decoders: the handshake (plain obfuscated2 and fake TLS), each
// framing decoder, the TLS record reader and first flight, the whole client stack (framed and raw),
// the client-side decoders (server frames, ServerHello check, domain-probe answer).
import { createAesCtr } from "../../src/crypto/aes.ts";
import { createClientHandshake, type HandshakeConfig, type HandshakeOutcome } from "../../src/transport/client-handshake.ts";
import { createClientStack } from "../../src/transport/client-stack.ts";
import { createServerFrameDecoder } from "../../src/transport/client-frames.ts";
import { MAX_CONNECTION_BUFFER_BYTES, MAX_PACKET_LEN, type ClientPacket, type ClientTransport, type DecodeResult } from "../../src/transport/codec.ts";
import { createFrameDecoder } from "../../src/transport/frame-decoder.ts";
import { createTlsRecordReader, parseFirstFlight } from "../../src/transport/faketls-records.ts";
import { checkServerHello } from "../../src/transport/faketls-response.ts";
import { parseProbeResponse, type DomainProfile } from "../../src/transport/domain-probe.ts";
import { ReplayCache } from "../../src/transport/replay-cache.ts";
import { bytesInput, chance, chunksOf, mutate, mutateAfter, pick, type Rng } from "./generators.ts";
import { finishClientHello } from "../../src/transport/faketls-client.ts";
import type { FuzzTarget } from "./harness.ts";
import {
  DOMAINS, frameStreams, HELLO_CLIENT_RANDOM, HELLO_SESSION_ID, NOW_SEC, plainStreams, SECRET_A, SECRET_B, serverFrameStreams,
  serverHellos, stackStreams, STACK_IV, STACK_KEY, STACK_KEY_OUT, tlsStreams, TRANSPORTS, ZERO_RANDOM, type StreamSeed,
} from "./seeds-transport.ts";

const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const ERROR_CODES = new Set(["bad-length", "overlong-abridged", "too-long", "bad-tls-header", "short-first-record", "buffer-overflow"]);

interface Packets {
  packets: { payload: Uint8Array; quickAck: boolean }[];
  error: string | null;
}

function collect(into: Packets, r: DecodeResult): boolean {
  for (const p of r.packets) into.packets.push({ payload: u8(p.payload), quickAck: p.quickAck });
  if (r.kind === "error") into.error = r.error.code;
  return r.kind === "error";
}

function checkPackets(ps: readonly ClientPacket[] | Packets["packets"], error: string | null): string | null {
  for (const p of ps) {
    const n = p.payload.length;
    if (n === 0 || n > MAX_PACKET_LEN || n % 4 !== 0) return `packet of ${n} bytes`;
  }
  if (error !== null && !ERROR_CODES.has(error)) return `unknown error code ${error}`;
  return null;
}

// ---- handshake ----------------------------------------------------------------------------------

const FIXED: DomainProfile = { reversedOrder: false, encryptedSize: 2500, randomised: true };
const HANDSHAKE_CONFIGS: readonly HandshakeConfig[] = [
  { secrets: [SECRET_B, SECRET_A], tls: null },
  { secrets: [], tls: null },
  ...[true, false].map((strictHello) => ({
    secrets: [SECRET_B, SECRET_A],
    tls: { secrets: [SECRET_B, SECRET_A], domains: new Map(DOMAINS.map((d) => [d, FIXED])), defaultDomain: DOMAINS[0], strictHello },
  })),
];

export interface HandshakeInput {
  readonly config: number;
  readonly bytes: Uint8Array;
  /** Length of the intact valid head (a ClientHello), 0 if none. */
  readonly keep: number;
}

interface HandshakeSummary extends Packets {
  outcome: string;
  sends: number[];
  detail: unknown;
  buffered: number;
}

function runHandshake(input: HandshakeInput, splits: readonly number[]): HandshakeSummary {
  const config = HANDSHAKE_CONFIGS[input.config]!;
  const hs = createClientHandshake(config, {
    localPort: 443,
    nowSec: () => NOW_SEC,
    replay: new ReplayCache({ maxEntries: 16 }),
    random: ZERO_RANDOM,
    keyShare: () => HELLO_SESSION_ID,
  });
  const s: HandshakeSummary = { outcome: "pending", sends: [], detail: null, packets: [], error: null, buffered: 0 };
  let stack: Extract<HandshakeOutcome, { kind: "established" }>["stack"] | null = null;
  for (const chunk of chunksOf(input.bytes, splits)) {
    if (stack) {
      if (collect(s, stack.decode(chunk))) break;
      continue;
    }
    const o = hs.push(chunk);
    if (o.kind === "need-more") {
      if (o.send) s.sends.push(o.send.length);
      continue;
    }
    s.outcome = o.kind;
    if (o.kind === "established") {
      s.detail = { transport: o.transport, dc: o.dc, secretIndex: o.secretIndex, tls: o.tls };
      stack = o.stack;
      if (collect(s, o.first)) break;
      continue;
    }
    if (o.kind === "front") s.detail = { domain: o.domain, reason: o.reason, buffered: o.buffered.length };
    if (o.kind === "close") s.detail = o.error.code;
    break;
  }
  // After an error the rest of the input was never pushed: nothing to compare.
  if (stack) s.buffered = s.error === null ? stack.bufferedBytes : -1;
  else if (s.outcome === "pending") s.buffered = hs.pending().length;
  return s;
}

function checkHandshake(s: HandshakeSummary, input: HandshakeInput): string | null {
  const config = HANDSHAKE_CONFIGS[input.config]!;
  if (s.outcome === "established") {
    const d = s.detail as { dc: number; secretIndex: number; transport: ClientTransport; tls: boolean };
    if (d.dc < -32768 || d.dc > 32767) return `dc ${d.dc}`;
    if (d.secretIndex < 0 || d.secretIndex >= Math.max(1, config.secrets.length)) return `secret index ${d.secretIndex}`;
    if (!TRANSPORTS.includes(d.transport)) return `transport ${d.transport}`;
    if (config.tls && (d.transport !== "padded" || !d.tls)) return "TLS-only mode established a non-dd or non-TLS client";
    if (input.bytes.length < 64) return "established from fewer than 64 bytes";
  }
  if (s.outcome === "front") {
    const d = s.detail as { domain: string };
    if (!config.tls) return "fronting without -D";
    if (!(DOMAINS as readonly string[]).includes(d.domain)) return `fronted to unknown domain ${d.domain}`;
  }
  if (s.buffered > MAX_CONNECTION_BUFFER_BYTES) return `buffered ${s.buffered}`;
  for (const n of s.sends) if (n < 138) return `ServerHello of ${n} bytes`;
  return checkPackets(s.packets, s.error);
}

const plainSeeds = (): StreamSeed[][] => [plainStreams([SECRET_A, SECRET_B]), plainStreams([null])];
const tlsSeeds = (): StreamSeed[][] => [tlsStreams(true), tlsStreams(false)];

function handshakeTarget(name: string, configs: readonly number[], seedsOf: () => StreamSeed[][], incremental: boolean): FuzzTarget<HandshakeInput, HandshakeSummary> {
  let seeds: StreamSeed[][] | null = null;
  let flat: Uint8Array[][] = [];
  return {
    name,
    incremental,
    size: (i) => i.bytes.length,
    makeInput(rng) {
      seeds ??= seedsOf();
      if (flat.length === 0) flat = seeds.map((l) => l.map((x) => x.bytes));
      const which = rng.int(configs.length);
      const pool = seeds[which]!;
      const seed = pick(rng, pool);
      // Half the mutations keep the valid head so the states after it are reached too.
      const keepHead = chance(rng, 45);
      let bytes = keepHead ? mutateAfter(rng, seed.bytes, seed.keep, flat[which]) : bytesInput(rng, flat[which]!);
      if (!keepHead && seed.keep > 64 && chance(rng, 25)) {
        // A mutated hello signed again, so the checks after the HMAC (timestamp, cipher, length) run.
        let hello = mutate(rng, seed.bytes.subarray(0, seed.keep));
        if (hello.length < 76) hello = seed.bytes.subarray(0, seed.keep);
        const ts = chance(rng, 50) ? NOW_SEC - 700 + rng.int(710) : pick(rng, [0, -1, 0x7fffffff, NOW_SEC + 4, NOW_SEC - 601]);
        bytes = Buffer.concat([finishClientHello(hello, pick(rng, [SECRET_A, SECRET_B]), ts), seed.bytes.subarray(seed.keep)]);
        return { config: configs[which]!, bytes, keep: hello.length };
      }
      return { config: configs[which]!, bytes, keep: keepHead ? seed.keep : 0 };
    },
    run: runHandshake,
    check: checkHandshake,
  };
}

/** Plain obfuscated2 (secrets, and no-secret mode): the outcome must not depend on chunking. */
export const handshakePlain = handshakeTarget("handshake-obfs2", [0, 1], plainSeeds, true);

/**
 * Fake TLS (strict and relaxed hellos). Not compared across chunkings: C fronts a hello that
 * arrives with trailing bytes but accepts the same bytes in two reads (§4.3), so chunking matters.
 */
export const handshakeTls: FuzzTarget<HandshakeInput & { splits: number[] }, HandshakeSummary> = (() => {
  const base = handshakeTarget("handshake-faketls", [2, 3], tlsSeeds, false);
  return {
    name: base.name,
    makeInput(rng: Rng, index: number) {
      const i = base.makeInput(rng, index);
      const splits: number[] = [];
      // A client sends the hello alone and the rest after the ServerHello: cut there mostly,
      // then at random points; otherwise random cuts or none.
      let p = i.keep > 0 && chance(rng, 85) ? i.keep : chance(rng, 50) ? 1 + rng.int(600) : i.bytes.length;
      for (; p < i.bytes.length; p += 1 + rng.int(chance(rng, 50) ? 64 : 700)) splits.push(p);
      return { ...i, splits };
    },
    run: (i: HandshakeInput & { splits: number[] }) => runHandshake(i, i.splits),
    check: (s: HandshakeSummary, i: HandshakeInput) => checkHandshake(s, i),
  };
})();

// ---- framing decoders ---------------------------------------------------------------------------

export interface FramedInput {
  readonly transport: ClientTransport;
  readonly bytes: Uint8Array;
}

export const frameDecoders: FuzzTarget<FramedInput, Packets & { buffered: number }> = (() => {
  let seeds: Map<ClientTransport, Uint8Array[]> | null = null;
  return {
    name: "client-frames",
    incremental: true,
    size: (i) => i.bytes.length,
    makeInput(rng) {
      seeds ??= new Map(TRANSPORTS.map((t) => [t, frameStreams(t)]));
      const transport = pick(rng, TRANSPORTS);
      return { transport, bytes: bytesInput(rng, seeds.get(transport)!) };
    },
    run(i, splits) {
      const d = createFrameDecoder(i.transport);
      const s = { packets: [], error: null, buffered: 0 } as Packets & { buffered: number };
      for (const c of chunksOf(i.bytes, splits)) if (collect(s, d.push(c))) break;
      s.buffered = s.error === null ? d.bufferedBytes : -1;
      return s;
    },
    check: (s, i) => (s.buffered > i.bytes.length ? `buffered ${s.buffered} of ${i.bytes.length}` : checkPackets(s.packets, s.error)),
  };
})();

export const serverFrames: FuzzTarget<FramedInput, { events: unknown[]; error: string | null; buffered: number }> = (() => {
  let seeds: Map<ClientTransport, Uint8Array[]> | null = null;
  return {
    name: "server-frames",
    incremental: true,
    size: (i) => i.bytes.length,
    makeInput(rng) {
      seeds ??= new Map(TRANSPORTS.map((t) => [t, serverFrameStreams(t)]));
      const transport = pick(rng, TRANSPORTS);
      return { transport, bytes: bytesInput(rng, seeds.get(transport)!) };
    },
    run(i, splits) {
      const d = createServerFrameDecoder(i.transport);
      const s = { events: [] as unknown[], error: null as string | null, buffered: 0 };
      for (const c of chunksOf(i.bytes, splits)) {
        const r = d.push(c);
        for (const e of r.events) s.events.push(e.kind === "packet" ? { kind: e.kind, payload: u8(e.payload) } : e);
        if (r.kind === "error") {
          s.error = r.error.code;
          break;
        }
      }
      s.buffered = s.error === null ? d.bufferedBytes : -1;
      return s;
    },
    check(s, i) {
      for (const e of s.events as { kind: string; payload?: Uint8Array; token?: number }[]) {
        // A padded frame of 1..3 bytes decodes to an empty packet here (the proxy side refuses it).
        const n = e.payload?.length ?? 0;
        if (e.kind === "packet" && ((n === 0 && i.transport !== "padded") || n % 4 !== 0 || n > i.bytes.length)) return `packet of ${n} bytes`;
        if (e.kind === "quick-ack" && (e.token! < 0 || e.token! > 0xffffffff)) return `token ${e.token}`;
      }
      return s.error !== null && !ERROR_CODES.has(s.error) ? `error ${s.error}` : null;
    },
  };
})();

// ---- TLS records --------------------------------------------------------------------------------

export const tlsRecords: FuzzTarget<{ remaining: number; bytes: Uint8Array }, { payload: Uint8Array; error: string | null; buffered: number }> = (() => {
  let seeds: Uint8Array[] | null = null;
  return {
    name: "tls-records",
    incremental: true,
    size: (i) => i.bytes.length,
    makeInput(rng) {
      seeds ??= TRANSPORTS.flatMap((t) => stackStreams(t, true));
      return { remaining: chance(rng, 70) ? 0 : rng.int(chance(rng, 50) ? 64 : 0x10000), bytes: bytesInput(rng, seeds) };
    },
    run(i, splits) {
      const r = createTlsRecordReader(i.remaining);
      const parts: Uint8Array[] = [];
      let error: string | null = null;
      for (const c of chunksOf(i.bytes, splits)) {
        const out = r.push(c);
        parts.push(...out.payload);
        if (out.kind === "error") {
          error = out.error.code;
          break;
        }
      }
      return { payload: u8(Buffer.concat(parts)), error, buffered: error === null ? r.bufferedBytes : -1 };
    },
    check: (s, i) => (s.payload.length > i.bytes.length ? "more payload than input" : s.buffered > 4 ? `header bytes held ${s.buffered}` : null),
  };
})();

/** parseFirstFlight: a prefix of the input decides need-more or the same as the whole input. */
export const tlsFirstFlight: FuzzTarget<{ bytes: Uint8Array; cut: number }, { whole: string; prefix: string; init: Uint8Array | null }> = (() => {
  let seeds: Uint8Array[] | null = null;
  return {
    name: "tls-first-flight",
    makeInput(rng) {
      seeds ??= tlsStreams(true).map((s) => s.bytes.subarray(s.keep));
      const bytes = bytesInput(rng, seeds);
      return { bytes, cut: rng.int(bytes.length + 1) };
    },
    run(i) {
      const w = parseFirstFlight(i.bytes);
      const p = parseFirstFlight(i.bytes.subarray(0, i.cut));
      const kind = (r: typeof w): string => (r.kind === "error" ? `error:${r.error.code}` : r.kind);
      return { whole: kind(w), prefix: kind(p), init: w.kind === "ok" ? u8(w.init) : null };
    },
    check(s, i) {
      if (s.prefix !== "need-more" && s.prefix !== s.whole) return `prefix ${s.prefix} but whole ${s.whole}`;
      if (s.whole === "ok" && (s.init!.length !== 64 || i.bytes.length < 75)) return "ok without a 64-byte init";
      return null;
    },
  };
})();

// ---- the whole client stack ---------------------------------------------------------------------

export interface StackInput {
  readonly transport: ClientTransport;
  readonly tls: boolean;
  readonly raw: boolean;
  readonly bytes: Uint8Array;
}

export const clientStack: FuzzTarget<StackInput, Packets & { raw: Uint8Array | null; buffered: number }> = (() => {
  let seeds: Map<string, Uint8Array[]> | null = null;
  return {
    name: "client-stack",
    incremental: true,
    size: (i) => i.bytes.length,
    makeInput(rng) {
      seeds ??= new Map(TRANSPORTS.flatMap((t) => [true, false].map((tls) => [`${t}/${tls}`, stackStreams(t, tls)] as const)));
      const transport = pick(rng, TRANSPORTS);
      const tls = chance(rng, 50);
      return { transport, tls, raw: chance(rng, 20), bytes: bytesInput(rng, seeds.get(`${transport}/${tls}`)!) };
    },
    run(i, splits) {
      const stack = createClientStack({
        transport: i.transport,
        readCipher: createAesCtr(STACK_KEY, STACK_IV),
        writeCipher: createAesCtr(STACK_KEY_OUT, STACK_IV),
        tls: i.tls ? { recordRemaining: 0 } : null,
        random: ZERO_RANDOM,
      });
      const s = { packets: [], error: null, raw: null, buffered: 0 } as Packets & { raw: Uint8Array | null; buffered: number };
      const raw: Uint8Array[] = [];
      for (const c of chunksOf(i.bytes, splits)) {
        if (i.raw) {
          const r = stack.decodeRaw(c);
          if (r.kind === "error") {
            s.error = r.error.code;
            break;
          }
          raw.push(r.data);
        } else if (collect(s, stack.decode(c))) break;
      }
      // decodeRaw drops the bytes of a chunk with a bad record header: only error-free output compares.
      if (i.raw) s.raw = s.error === null ? u8(Buffer.concat(raw)) : null;
      s.buffered = s.error === null ? stack.bufferedBytes : -1;
      return s;
    },
    check(s, i) {
      if (s.raw && s.raw.length > i.bytes.length) return "raw output longer than input";
      if (!i.tls && s.raw && s.raw.length !== i.bytes.length) return "plain raw mode lost bytes";
      if (s.buffered > i.bytes.length) return `buffered ${s.buffered}`;
      return checkPackets(s.packets, s.error);
    },
  };
})();

/**
 * The same stack under a small buffer cap (C: 32 MiB), read in random pieces: whenever a decode
 * returns without an error, what the stack holds is within the cap. Not compared across chunkings:
 * a frame that completes within one read never counts against the cap (as in C).
 */
export const clientStackCap: FuzzTarget<StackInput & { cap: number; splits: number[] }, { held: number[]; error: string | null }> = (() => {
  const inner = clientStack;
  return {
    name: "client-stack-cap",
    makeInput(rng: Rng, index: number) {
      const i = inner.makeInput(rng, index);
      const splits: number[] = [];
      for (let p = 1 + rng.int(200); p < i.bytes.length; p += 1 + rng.int(300)) splits.push(p);
      return { ...i, raw: false, cap: pick(rng, [64, 100, 256, 1000, 4096]), splits };
    },
    run(i) {
      const stack = createClientStack({
        transport: i.transport,
        readCipher: createAesCtr(STACK_KEY, STACK_IV),
        writeCipher: createAesCtr(STACK_KEY_OUT, STACK_IV),
        tls: i.tls ? { recordRemaining: 0 } : null,
        random: ZERO_RANDOM,
        maxBufferedBytes: i.cap,
      });
      const held: number[] = [];
      for (const c of chunksOf(i.bytes, i.splits)) {
        const r = stack.decode(c);
        if (r.kind === "error") return { held, error: r.error.code };
        held.push(stack.bufferedBytes);
      }
      return { held, error: null };
    },
    check: (s, i) => (s.held.some((n) => n > i.cap) ? `held ${Math.max(...s.held)} bytes over a cap of ${i.cap}` : null),
  };
})();

// ---- client-side decoders of server answers -----------------------------------------------------

export const serverHelloCheck: FuzzTarget<{ bytes: Uint8Array; cut: number }, { hello: string[]; probe: string[] }> = (() => {
  let seeds: Uint8Array[] | null = null;
  const both = (b: Uint8Array): [string, string] => {
    const h = checkServerHello(b, SECRET_A, HELLO_CLIENT_RANDOM);
    const p = parseProbeResponse(b, HELLO_SESSION_ID);
    const hs = h.kind === "ok" ? `ok:${h.consumed}` : h.kind;
    const ps = p.kind === "ok" ? `ok:${p.reversed}:${p.encryptedSize}` : p.kind;
    return [hs, ps];
  };
  return {
    name: "server-hello",
    makeInput(rng) {
      seeds ??= serverHellos();
      const bytes = bytesInput(rng, seeds);
      return { bytes, cut: rng.int(bytes.length + 1) };
    },
    run(i) {
      const [h1, p1] = both(i.bytes);
      const [h2, p2] = both(i.bytes.subarray(0, i.cut));
      return { hello: [h1, h2], probe: [p1, p2] };
    },
    check(s, i) {
      const [hw, hp] = s.hello;
      const [pw, pp] = s.probe;
      if (hw!.startsWith("ok:") && Number(hw!.slice(3)) > i.bytes.length) return `consumed ${hw} of ${i.bytes.length}`;
      if (pw!.startsWith("ok:") && pw!.endsWith(":0")) return "probe accepted an empty record";
      // A prefix of an accepted answer is either still incomplete or the same answer.
      if (hw!.startsWith("ok") && hp !== "need-more" && hp !== hw) return `hello prefix ${hp} vs ${hw}`;
      if (pw!.startsWith("ok") && pp !== "need-more" && pp !== pw) return `probe prefix ${pp} vs ${pw}`;
      return null;
    },
  };
})();

export const TRANSPORT_TARGETS = [handshakePlain, handshakeTls, frameDecoders, serverFrames, tlsRecords, tlsFirstFlight, clientStack, clientStackCap, serverHelloCheck] as const;
