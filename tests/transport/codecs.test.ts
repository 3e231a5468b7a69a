// Applies codec.case.ts to every framing codec in both directions and to the whole client stack,
// plus the C-specific decoder rules (min+8 buffering, padded 1..3, quick-ack bits).
import { describe, expect, test } from "bun:test";
import { seededRandom, type RandomSource } from "../../src/crypto/random.ts";
import { abridgedHeader } from "../../src/transport/abridged.ts";
import { createServerFrameDecoder } from "../../src/transport/client-frames.ts";
import { createClientStack } from "../../src/transport/client-stack.ts";
import { MAX_PACKET_LEN, type ClientTransport } from "../../src/transport/codec.ts";
import { createFrameDecoder } from "../../src/transport/frame-decoder.ts";
import { createFrameEncoder } from "../../src/transport/frame-encoder.ts";
import { intermediateHeader } from "../../src/transport/intermediate.ts";
import { acceptObfuscated2, createObfuscated2Init } from "../../src/transport/obfuscated2.ts";
import { createOutboundStack } from "../../src/transport/outbound-stack.ts";
import { codecSuite, randomPayload, type Item } from "./codec.case.ts";
import { hex } from "./helpers.ts";

const TRANSPORTS: ClientTransport[] = ["abridged", "intermediate", "padded"];

function overCapHeader(t: ClientTransport): Uint8Array {
  const words = MAX_PACKET_LEN / 4 + 1;
  return t === "abridged"
    ? Uint8Array.of(0x7f, words & 0xff, (words >> 8) & 0xff, words >> 16, 0, 0, 0, 0, 0, 0, 0, 0)
    : Buffer.concat([intermediateHeader(MAX_PACKET_LEN + 4), Buffer.alloc(8)]);
}

// client → proxy: tdlib-style frames (quick-ack bit, 0..15 padding) into the proxy's decoder.
for (const t of TRANSPORTS) {
  codecSuite({
    name: `${t} client→proxy`,
    encode(rnd, count) {
      const parts: Uint8Array[] = [];
      const items: Item[] = [];
      for (let i = 0; i < count; i++) {
        const payload = randomPayload(rnd);
        const quickAck = rnd.int(2) === 1;
        if (t === "padded") {
          const pad = rnd.bytes(rnd.int(16));
          parts.push(intermediateHeader(payload.length + pad.length, quickAck), payload, pad);
          const kept = Buffer.concat([payload, pad]).subarray(0, (payload.length + pad.length) & ~3);
          items.push({ kind: "packet", payload: hex(kept), quickAck });
        } else {
          parts.push(t === "abridged" ? abridgedHeader(payload.length, quickAck) : intermediateHeader(payload.length, quickAck), payload);
          items.push({ kind: "packet", payload: hex(payload), quickAck });
        }
      }
      return { bytes: Buffer.concat(parts), items };
    },
    decoder() {
      const d = createFrameDecoder(t);
      return {
        push(chunk) {
          const r = d.push(chunk);
          const items: Item[] = r.packets.map((p) => ({ kind: "packet", payload: hex(p.payload), quickAck: p.quickAck }));
          return { items, error: r.kind === "error" ? r.error.code : null };
        },
      };
    },
    overCap: () => ({ bytes: overCapHeader(t), code: "too-long" }),
  });
}

// proxy → client: our encoder (answers and quick acks) into the client-side decoder.
const serverStream = (t: ClientTransport, rnd: RandomSource, count: number) => {
  const enc = createFrameEncoder(t, rnd);
  const parts: Uint8Array[] = [];
  const items: Item[] = [];
  for (let i = 0; i < count; i++) {
    if (rnd.int(3) === 0) {
      const token = (0x80000000 | rnd.int(0x7fffffff)) >>> 0;
      enc.quickAck(token, parts);
      items.push({ kind: "quick-ack", token });
    } else {
      const payload = randomPayload(rnd);
      parts.push(enc.packetInto(payload, 0, payload.length, 0));
      items.push({ kind: "packet", payload: hex(payload) });
    }
  }
  return { bytes: Buffer.concat(parts), items };
};
for (const t of TRANSPORTS) {
  codecSuite({
    name: `${t} proxy→client`,
    encode: (rnd, count) => serverStream(t, rnd, count),
    decoder() {
      const d = createServerFrameDecoder(t);
      return {
        push(chunk) {
          const r = d.push(chunk);
          const items: Item[] = r.events.map((e) => (e.kind === "packet" ? { kind: "packet", payload: hex(e.payload) } : e));
          return { items, error: r.kind === "error" ? r.error.code : null };
        },
      };
    },
    overCap: () =>
      t === "abridged"
        ? { bytes: Uint8Array.of(0x00, 1, 2, 3), code: "bad-length" }
        : { bytes: intermediateHeader(MAX_PACKET_LEN + 4), code: "bad-length" },
  });
}

// The whole stack: a client (outbound stack, optionally TLS records) into the proxy's client stack.
for (const t of TRANSPORTS) {
  for (const tls of [false, true]) {
    const secret = seededRandom(40).bytes(16);
    const init = createObfuscated2Init({ secret, transport: t, dc: 2, random: seededRandom(41) }).init;
    codecSuite({
      name: `${t}${tls ? " + TLS" : ""} stack client→proxy`,
      encode(rnd, count) {
        const c = createObfuscated2Init({ secret, transport: t, dc: 2, random: seededRandom(41) });
        const out = createOutboundStack({ transport: t, encrypt: c.encrypt, decrypt: c.decrypt, tls, random: rnd });
        const packets = Array.from({ length: count }, () => ({ payload: randomPayload(rnd), quickAck: rnd.int(2) === 1 }));
        const bytes = out.encode(packets);
        // Padding is random inside encode; decode once with a fresh server to learn the kept bytes.
        const items = (this as unknown as { decoder(): { push(b: Uint8Array): { items: Item[] } } }).decoder().push(bytes).items;
        for (let i = 0; i < packets.length; i++) {
          const got = items[i];
          if (!got || got.kind !== "packet" || !got.payload.startsWith(hex(packets[i]!.payload))) throw new Error("stack lost a packet");
        }
        return { bytes, items };
      },
      decoder() {
        const s = acceptObfuscated2(init, [secret], false);
        if (s.kind !== "ok") throw new Error("init must match");
        const stack = createClientStack({ ...s, tls: tls ? { recordRemaining: 0 } : null, random: seededRandom(1) });
        return {
          push(chunk) {
            const r = stack.decode(chunk);
            const items: Item[] = r.packets.map((p) => ({ kind: "packet", payload: hex(p.payload), quickAck: p.quickAck }));
            return { items, error: r.kind === "error" ? r.error.code : null };
          },
        };
      },
      overCap() {
        const c = createObfuscated2Init({ secret, transport: t, dc: 2, random: seededRandom(41) });
        const plain = overCapHeader(t);
        const enc = c.encrypt.update(plain);
        return { bytes: tls ? Buffer.concat([Uint8Array.of(0x17, 3, 3, 0, enc.length), enc]) : enc, code: "too-long" };
      },
    });
  }
}

describe("C decoder rules (client-side.md §3.1–3.4)", () => {
  test("min+8 quirk: a complete 5-byte abridged frame waits for 4 more bytes", () => {
    const d = createFrameDecoder("abridged");
    expect(d.push(Uint8Array.of(0x01, 1, 2, 3, 4)).packets).toEqual([]);
    expect(d.push(Uint8Array.of(0, 0, 0)).packets).toEqual([]);
    const r = d.push(Uint8Array.of(0));
    expect(r.packets.map((p) => hex(p.payload))).toEqual(["01020304"]);
    expect(d.bufferedBytes).toBe(4);
  });
  test("min+8 quirk: intermediate waits for 12 bytes", () => {
    const d = createFrameDecoder("intermediate");
    expect(d.push(Buffer.concat([intermediateHeader(4), Buffer.alloc(4, 1), Buffer.alloc(3)])).packets).toEqual([]);
    expect(d.push(Uint8Array.of(0)).packets.length).toBe(1);
  });
  test("header errors are reported as soon as min+8 bytes are buffered", () => {
    const cases: [ClientTransport, Uint8Array, string][] = [
      ["abridged", Uint8Array.of(0x00, 0, 0, 0, 0, 0, 0, 0, 0), "bad-length"],
      ["abridged", Uint8Array.of(0x80, 0, 0, 0, 0, 0, 0, 0, 0), "bad-length"],
      ["abridged", Uint8Array.of(0xff, 0x7e, 0, 0, 0, 0, 0, 0, 0), "overlong-abridged"],
      ["intermediate", Buffer.concat([intermediateHeader(0x40000004), Buffer.alloc(8)]), "bad-length"],
      ["intermediate", Buffer.concat([intermediateHeader(42), Buffer.alloc(8)]), "bad-length"],
      ["padded", Buffer.concat([intermediateHeader(3), Buffer.alloc(8)]), "bad-length"],
      ["padded", Buffer.concat([intermediateHeader(0), Buffer.alloc(8)]), "bad-length"],
    ];
    for (const [t, bytes, code] of cases) {
      const r = createFrameDecoder(t).push(bytes);
      expect([t, hex(bytes), r.kind === "error" ? r.error.code : "ok"]).toEqual([t, hex(bytes), code]);
    }
  });
  test("extended abridged header with the quick-ack bit, and packets before an error are kept", () => {
    const payload = Buffer.alloc(508, 3);
    const d = createFrameDecoder("abridged");
    const r = d.push(Buffer.concat([Uint8Array.of(0xff, 0x7f, 0, 0), payload, Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8)]));
    expect(r.kind).toBe("error");
    expect(r.packets.map((p) => [p.payload.length, p.quickAck])).toEqual([[508, true]]);
  });
  test("padded keeps len & ~3 bytes: tdlib padding up to 12 bytes is forwarded", () => {
    const d = createFrameDecoder("padded");
    const r = d.push(Buffer.concat([intermediateHeader(45, true), Buffer.alloc(45, 5)]));
    expect(r.packets.map((p) => [p.payload.length, p.quickAck])).toEqual([[44, true]]);
  });
});

describe("client stack", () => {
  const setup = (t: ClientTransport, opts: { tls?: boolean; cap?: number; outbound?: () => number } = {}) => {
    const secret = seededRandom(50).bytes(16);
    const c = createObfuscated2Init({ secret, transport: t, dc: -3, random: seededRandom(51) });
    const s = acceptObfuscated2(c.init, [secret], false);
    if (s.kind !== "ok") throw new Error("init");
    const stack = createClientStack({
      ...s,
      tls: opts.tls ? { recordRemaining: 0, maxRecordPayload: 1425 } : null,
      random: seededRandom(52),
      ...(opts.cap ? { maxBufferedBytes: opts.cap } : {}),
      ...(opts.outbound ? { outbound: { get pendingBytes() { return opts.outbound!(); } } } : {}),
    });
    const client = createOutboundStack({ transport: t, encrypt: c.encrypt, decrypt: c.decrypt, tls: !!opts.tls, random: seededRandom(53) });
    return { stack, client };
  };

  test("several answers and acks in one event become one coalesced write the client decodes", () => {
    for (const t of TRANSPORTS) {
      const { stack, client } = setup(t, { tls: true });
      const payloads = [Buffer.alloc(40, 1), Buffer.alloc(2000, 2), Buffer.alloc(8, 3)];
      stack.queuePacket(payloads[0]!);
      stack.queueQuickAck(0x80000123);
      stack.queuePacket(payloads[1]!);
      stack.queuePacket(payloads[2]!);
      const out = stack.flush()!;
      expect(stack.flush()).toBeNull();
      const r = client.decode(out);
      expect(r.kind).toBe("ok");
      expect(r.events.map((e) => (e.kind === "packet" ? e.payload.length : e.token))).toEqual([40, 0x80000123, 2000, 8]);
    }
  });

  test("over the buffer cap (in + out) is buffer-overflow", () => {
    const { stack, client } = setup("intermediate", { cap: 5000 });
    const bytes = client.encode([{ payload: Buffer.alloc(8000) }]);
    const r = stack.decode(bytes.subarray(0, 6000));
    expect(r.kind === "error" && r.error.code).toBe("buffer-overflow");
    const b = setup("intermediate", { cap: 5000, outbound: () => 4995 });
    const r2 = b.stack.decode(b.client.encode([{ payload: Buffer.alloc(8) }]).subarray(0, 10));
    expect(r2.kind === "error" && r2.error.code).toBe("buffer-overflow");
  });

  test("a record that is not 17 03 03 closes, after the packets before it", () => {
    const { stack, client } = setup("abridged", { tls: true });
    const good = client.encode([{ payload: Buffer.alloc(16, 1) }, { payload: Buffer.alloc(16, 2) }]);
    const r = stack.decode(Buffer.concat([good, Uint8Array.of(0x15, 3, 3, 0, 2, 2, 40)]));
    expect(r.kind === "error" && r.error.code).toBe("bad-tls-header");
    expect(r.packets.length).toBe(2);
  });
});
