// The client stack's in-place paths (a chunk or payload handed over) give the same bytes as the
// allocating ones, leave borrowed buffers alone otherwise, and release their cipher contexts.
import { describe, expect, test } from "bun:test";
import { liveNativeAesContexts, useOpenSslStreams } from "../../src/crypto/aes.ts";
import { seededRandom } from "../../src/crypto/random.ts";
import { createClientStack } from "../../src/transport/client-stack.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { acceptObfuscated2, createObfuscated2Init } from "../../src/transport/obfuscated2.ts";
import { createOutboundStack } from "../../src/transport/outbound-stack.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function pair(t: ClientTransport, tls: boolean) {
  const secret = seededRandom(70).bytes(16);
  const c = createObfuscated2Init({ secret, transport: t, dc: 2, random: seededRandom(71) });
  const s = acceptObfuscated2(c.init, [secret], false);
  if (s.kind !== "ok") throw new Error("init");
  const stack = createClientStack({ ...s, tls: tls ? { recordRemaining: 0, maxRecordPayload: 1425 } : null, random: seededRandom(72) });
  const client = createOutboundStack({ transport: t, encrypt: c.encrypt, decrypt: c.decrypt, tls, random: seededRandom(73) });
  return { stack, client };
}

describe("client stack, buffers handed over", () => {
  for (const t of ["abridged", "intermediate", "padded"] as const) {
    for (const tls of [false, true]) {
      test(`${t}${tls ? " + TLS" : ""}: owned decode equals borrowed decode at every split, borrowed chunks stay untouched`, () => {
        const rnd = seededRandom(74);
        const packets = Array.from({ length: 5 }, (_, i) => ({ payload: rnd.bytes(4 * (1 + rnd.int(300)) + (i === 0 ? 4000 : 0)), quickAck: false }));
        const wire = Buffer.from(pair(t, tls).client.encode(packets));
        for (const cut of [1, 7, 64, 1000, wire.length - 3]) {
          const a = pair(t, tls).stack;
          const b = pair(t, tls).stack;
          const pieces = [wire.subarray(0, cut), wire.subarray(cut)];
          const borrowed: string[] = [];
          const owned: string[] = [];
          for (const p of pieces) {
            const before = hex(p);
            for (const x of a.decode(p).packets) borrowed.push(hex(x.payload));
            expect(hex(p)).toBe(before);
            for (const x of b.decode(Buffer.from(p), true).packets) owned.push(hex(x.payload));
          }
          expect(owned).toEqual(borrowed);
          expect(owned.length).toBe(5);
          a.dispose();
          b.dispose();
        }
      });

      test(`${t}${tls ? " + TLS" : ""}: an owned answer is encrypted where it lies and decodes the same as a borrowed one`, () => {
        const a = pair(t, tls);
        const b = pair(t, tls);
        for (let i = 0; i < 4; i++) {
          const payload = seededRandom(80 + i).bytes(16 + 4 * i * 97);
          // as the RPC_PROXY_ANS body it arrives in: 16 header bytes, then the payload
          const bodyA = Buffer.concat([Buffer.alloc(16, 0xaa), payload]);
          const bodyB = Buffer.from(bodyA);
          a.stack.queuePacket(bodyA.subarray(16));
          b.stack.queuePacket(bodyB.subarray(16), true);
          const outA = a.stack.flush()!;
          const outB = b.stack.flush()!;
          expect(hex(outB)).toBe(hex(outA));
          expect(hex(bodyA)).toBe(hex(Buffer.concat([Buffer.alloc(16, 0xaa), payload]))); // borrowed: restored
          const got = b.client.decode(outB);
          expect(got.kind).toBe("ok");
          const answers = got.events.flatMap((e) => (e.kind === "packet" ? [hex(e.payload.subarray(0, payload.length))] : []));
          expect(answers).toEqual([hex(payload)]);
          a.client.decode(outA);
        }
        a.stack.dispose();
        b.stack.dispose();
      });

      test(`${t}${tls ? " + TLS" : ""}: runs framed one by one and sealed together equal the queued flush`, () => {
        const a = pair(t, tls);
        const b = pair(t, tls);
        const payloads = [40, 1000, 4].map((n, i) => seededRandom(90 + i).bytes(n));
        const bodies = payloads.map((p) => Buffer.concat([Buffer.alloc(16, 0xbb), p]));
        a.stack.queuePacket(Buffer.from(bodies[0]!).subarray(16), true);
        a.stack.queueQuickAck(0x80001234);
        a.stack.queuePacket(Buffer.from(bodies[1]!).subarray(16), true);
        a.stack.queuePacket(Buffer.from(bodies[2]!).subarray(16), true);
        const queued = a.stack.flush()!;
        const first = b.stack.frameAnswer(bodies[0]!, 16, bodies[0]!.length, true);
        // no copy: the header went into the bytes in front of the answer (padded frames end in random bytes: copied)
        if (t !== "padded") expect(first.buffer).toBe(bodies[0]!.buffer);
        const more = [b.stack.frameQuickAck(0x80001234), b.stack.frameAnswer(bodies[1]!, 16, bodies[1]!.length, true), b.stack.frameAnswer(bodies[2]!, 16, bodies[2]!.length, true)];
        if (t === "padded") {
          // padding lengths are random: compare what the client decodes
          const got = (out: Uint8Array, c: ReturnType<typeof pair>["client"]) => {
            const r = c.decode(out);
            return r.events.map((e) => (e.kind === "packet" ? hex(e.payload.subarray(0, e.payload.length & ~3)).slice(0, 16) : e.kind));
          };
          expect(got(b.stack.seal(first, more), b.client)).toEqual(got(queued, a.client));
        } else expect(hex(b.stack.seal(first, more))).toBe(hex(queued));
        a.stack.dispose();
        b.stack.dispose();
      });
    }
  }

  test("fake TLS: a one-record answer gets its record header in front of it, no copy; a longer one is cut into records", () => {
    const { stack, client } = pair("intermediate", true);
    const small = Buffer.concat([Buffer.alloc(16, 0xcc), seededRandom(95).bytes(100)]);
    const out = stack.seal(stack.frameAnswer(small, 16, small.length, true), null);
    expect(out.buffer).toBe(small.buffer);
    expect(hex(out.subarray(0, 5))).toBe("1703030068"); // 4 + 100 bytes in one record
    const big = Buffer.concat([Buffer.alloc(16), seededRandom(96).bytes(3000)]);
    const out2 = stack.seal(stack.frameAnswer(big, 16, big.length, true), null);
    expect(out2.length).toBe(3004 + 5 * 3); // 1425 + 1425 + 154, each with its header
    const got = client.decode(Buffer.concat([out, out2]));
    expect(got.kind).toBe("ok");
    const lengths = got.events.flatMap((e) => (e.kind === "packet" ? [e.payload.length] : []));
    expect(lengths).toEqual([100, 3000]);
    stack.dispose();
  });

  test("an empty answer from the middle end becomes an empty frame, as C writes it, for every transport", () => {
    for (const t of ["abridged", "intermediate", "padded"] as const) {
      const { stack } = pair(t, false);
      const body = Buffer.alloc(16, 0xdd); // an RPC_PROXY_ANS with nothing after its head
      const run = stack.frameAnswer(body, 16, 16, true);
      if (t === "abridged") expect(hex(run)).toBe("00");
      else if (t === "intermediate") expect(hex(run)).toBe("00000000");
      else expect(run.length - 4).toBe(run[0]!); // length word = the 0..3 padding bytes that follow
      expect(stack.seal(run, null).length).toBe(run.length);
      stack.dispose();
    }
  });

  test("owned raw decode/encode (direct mode) equal the borrowed ones", () => {
    const a = pair("intermediate", true);
    const b = pair("intermediate", true);
    const wire = Buffer.from(a.client.encode([{ payload: seededRandom(90).bytes(3000), quickAck: false }]));
    const ra = a.stack.decodeRaw(wire);
    const rb = b.stack.decodeRaw(Buffer.from(wire), true);
    expect(ra.kind === "ok" && rb.kind === "ok" && hex(ra.data) === hex(rb.data)).toBe(true);
    const plain = seededRandom(91).bytes(5000);
    expect(hex(b.stack.encodeRaw(Buffer.from(plain), true))).toBe(hex(a.stack.encodeRaw(plain)));
    a.stack.dispose();
    b.stack.dispose();
  });

  test("dispose releases both cipher contexts of the stack", () => {
    // OpenSSL's streams, two a stack (VAES CTR streams keep their state in JS memory and hold none)
    useOpenSslStreams(true);
    const perStack = 2;
    const before = liveNativeAesContexts();
    const { stack } = pair("abridged", false);
    expect(liveNativeAesContexts()).toBeGreaterThanOrEqual(before + perStack);
    stack.dispose();
    stack.dispose();
    const mid = liveNativeAesContexts();
    const p2 = pair("abridged", false);
    const up = liveNativeAesContexts();
    useOpenSslStreams(false);
    p2.stack.dispose();
    expect(liveNativeAesContexts()).toBe(up - perStack);
    expect(up).toBeGreaterThanOrEqual(mid + perStack); // pair() opens the peer side too
    // and a disposed stack refuses to run its ciphers instead of using freed state
    expect(() => p2.stack.encodeRaw(Buffer.from("after dispose"))).toThrow();
  });
});
