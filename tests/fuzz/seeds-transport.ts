// Valid client byte streams for the transport fuzz targets, built with our own encoders (the test
// client codec, the outbound stack) and taken from the copied vectors: mutations start from these.
import { createAesCtr } from "../../src/crypto/aes.ts";
import { seededRandom, type RandomSource } from "../../src/crypto/random.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { encodeClientFrame } from "../../src/transport/client-frames.ts";
import { createOutboundStack } from "../../src/transport/outbound-stack.ts";
import { buildServerHello } from "../../src/transport/faketls-response.ts";
import { abridgedHeader, abridgedQuickAck } from "../../src/transport/abridged.ts";
import { intermediateHeader, intermediateQuickAck } from "../../src/transport/intermediate.ts";
import { createTestClientCodec, type OutPacket, type SecretMode } from "../support/test-client.ts";
import vectors from "./vectors/client-vectors.json";

const unhex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

export const TRANSPORTS: readonly ClientTransport[] = ["abridged", "intermediate", "padded"];
export const SECRET_A = unhex(vectors.secretHex);
export const SECRET_B = unhex("00112233445566778899aabbccddeeff");
export const NOW_SEC = vectors.fakeTls.timestamp;
export const DOMAINS = ["example.com", "www.fuzz.test"] as const;
/** Fixed stack keys for the stack targets (client encrypt = server read). */
export const STACK_KEY = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
export const STACK_IV = unhex("f0e0d0c0b0a090807060504030201000");
export const STACK_KEY_OUT = unhex("1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100");

/** Cheap deterministic randomness for the server side (ServerHello filler, padding). */
export const ZERO_RANDOM: RandomSource = { bytes: (n) => Buffer.alloc(n), fill: (d, a, b) => void d.fill(0, a, b), int: () => 0 };

/** Payload sizes a client sends: multiples of 4, mostly small, sometimes past the 1-byte abridged header. */
function packets(rng: RandomSource, n: number): OutPacket[] {
  const out: OutPacket[] = [];
  for (let i = 0; i < n; i++) {
    const words = rng.int(10) < 8 ? 1 + rng.int(40) : 0x7e + rng.int(200);
    out.push({ payload: rng.bytes(words * 4), quickAck: rng.int(4) === 0 });
  }
  return out;
}

export interface StreamSeed {
  readonly bytes: Uint8Array;
  /** Bytes of a valid head (the ClientHello) a mutation may keep intact. */
  readonly keep: number;
}

/** opening + two sends of packets, as a real client connection looks. */
function clientStream(mode: SecretMode, secret: Uint8Array | null, transport: ClientTransport, dc: number, seed: number, helloLength?: number): StreamSeed {
  const rng = seededRandom(seed);
  const codec = createTestClientCodec({
    secret, mode, transport, dc, random: rng, nowSec: NOW_SEC, domain: DOMAINS[seed % 2],
    ...(helloLength ? { helloLength } : {}),
  });
  const opening = codec.opening();
  const rest = [codec.send(packets(rng, 1 + rng.int(3))), codec.send(packets(rng, 1 + rng.int(3)))];
  return { bytes: Buffer.concat([opening, ...rest]), keep: mode === "ee" ? opening.length : 64 };
}

/** Plain obfuscated2 streams under the two secrets (and none), every framing, assorted DCs. */
export function plainStreams(secrets: readonly (Uint8Array | null)[]): StreamSeed[] {
  const out: StreamSeed[] = [];
  let k = 1;
  for (const secret of secrets) {
    for (const t of TRANSPORTS) for (const dc of [2, -2, 4, 0]) out.push(clientStream("plain", secret, t, dc, k++));
    if (secret) for (const dc of [1, 5]) out.push(clientStream("dd", secret, "padded", dc, k++));
  }
  for (const v of vectors.obfuscated2) out.push({ bytes: unhex(v.wireInitPacket64), keep: 64 });
  return out;
}

/** Fake-TLS connections (hello, first flight, records) for strict (517-byte) or relaxed (+1800-byte) hellos. */
export function tlsStreams(strict: boolean): StreamSeed[] {
  const out: StreamSeed[] = [];
  // Relaxed mode also takes modern ~1.8 KB hellos, and C's 4096-byte read limit decides longer ones.
  const sizes = strict ? [517, 517, 517, 600, 700, 767] : [517, 517, 1800, 1800, 4101, 5000];
  for (let k = 0; k < 6; k++) out.push(clientStream("ee", k % 2 ? SECRET_A : SECRET_B, "padded", [2, -3, 4][k % 3]!, 100 + k, sizes[k] === 517 ? undefined : sizes[k]));
  out.push({ bytes: unhex(vectors.fakeTls.clientHello517.hex), keep: 517 });
  out.push({ bytes: Buffer.concat([unhex(vectors.fakeTls.clientHello517.hex), unhex(vectors.fakeTls.obfuscatedInsideTls.clientFirstFlightHex)]), keep: 517 });
  return out;
}

/** Client→proxy frame streams (plaintext) for one framing. */
export function frameStreams(transport: ClientTransport): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < 8; k++) {
    const rng = seededRandom(200 + k);
    const parts: Uint8Array[] = [];
    for (const p of packets(rng, 1 + rng.int(5))) encodeClientFrame(transport, p.payload, p.quickAck ?? false, rng, parts);
    out.push(Buffer.concat(parts));
  }
  return out;
}

/** Proxy→client plaintext (packets and quick acks), as the server frame decoder reads it. */
export function serverFrameStreams(transport: ClientTransport): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < 8; k++) {
    const rng = seededRandom(300 + k);
    const parts: Uint8Array[] = [];
    for (const p of packets(rng, 1 + rng.int(5))) {
      if (rng.int(4) === 0) parts.push(transport === "abridged" ? abridgedQuickAck(rng.int(0x7fffffff) | 0x80000000) : intermediateQuickAck((rng.int(0x7fffffff) | 0x80000000) >>> 0));
      else if (transport === "abridged") parts.push(abridgedHeader(p.payload.length), p.payload);
      else parts.push(intermediateHeader(p.payload.length), p.payload);
    }
    out.push(Buffer.concat(parts));
  }
  return out;
}

/** What a client writes after the init with the fixed stack keys (records when `tls`). */
export function stackStreams(transport: ClientTransport, tls: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < 6; k++) {
    const rng = seededRandom(400 + k);
    const stack = createOutboundStack({ transport, encrypt: createAesCtr(STACK_KEY, STACK_IV), decrypt: createAesCtr(STACK_KEY_OUT, STACK_IV), tls, random: rng });
    out.push(Buffer.concat([stack.encode(packets(rng, 1 + rng.int(4))), stack.encode(packets(rng, 1 + rng.int(4)))]));
  }
  return out;
}

export const HELLO_CLIENT_RANDOM = seededRandom(500).bytes(32);
export const HELLO_SESSION_ID = seededRandom(501).bytes(32);

/** Fake ServerHellos (also valid probe answers: cipher 13 01, mirrored session id). */
export function serverHellos(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < 6; k++) {
    const rng = seededRandom(600 + k);
    out.push(
      buildServerHello({
        secret: SECRET_A,
        clientRandom: HELLO_CLIENT_RANDOM,
        sessionId: HELLO_SESSION_ID,
        cipherByte: 1,
        reversedOrder: k % 2 === 1,
        encryptedSize: 1 + rng.int(k < 3 ? 300 : 4000),
        keyShare: rng.bytes(32),
        appData: (n) => rng.bytes(n),
      }),
    );
  }
  out.push(unhex(vectors.fakeTls.serverResponse.fullHex));
  return out;
}
