// Byte-exact frames of client-vectors.json "frames" and "framingExamples" through the real stack:
// client→proxy decrypt + decode, proxy→client framing + encrypt with the C's random choices fixed.
import { describe, expect, test } from "bun:test";
import { abridgedHeader, parseAbridgedHeader } from "../../src/transport/abridged.ts";
import { createClientStack } from "../../src/transport/client-stack.ts";
import { intermediateHeader, parseIntermediateHeader } from "../../src/transport/intermediate.ts";
import { acceptObfuscated2 } from "../../src/transport/obfuscated2.ts";
import { MAX_PACKET_LEN } from "../../src/transport/codec.ts";
import { createFrameDecoder } from "../../src/transport/frame-decoder.ts";
import { V, hex, scriptedRandom, unhex } from "./helpers.ts";

const u32 = (b: Uint8Array): number => Buffer.from(b).readUInt32LE(0);

describe("frames vectors (client-side.md §7.1–7.3)", () => {
  V.frames.forEach((f, i) => {
    const init = V.obfuscated2[i]!;
    test(`${f.mode}: client→proxy frames decode to what C forwards`, () => {
      const r = acceptObfuscated2(unhex(init.wireInitPacket64), init.serverSecrets.map(unhex), false);
      if (r.kind !== "ok") throw new Error("init must match");
      const stack = createClientStack({ ...r, tls: null, random: scriptedRandom({}) });
      const up = f.steps.filter((s) => s.dir === "client->proxy");
      for (const s of up) {
        const res = stack.decode(unhex(s.wire!));
        expect(res.kind).toBe("ok");
        expect(res.packets.map((p) => [hex(p.payload), p.quickAck])).toEqual([[s.proxyForwardsToBackend!, s.quickAck!]]);
      }
    });

    test(`${f.mode}: proxy→client answer and quick acks are byte-exact`, () => {
      const r = acceptObfuscated2(unhex(init.wireInitPacket64), init.serverSecrets.map(unhex), false);
      if (r.kind !== "ok") throw new Error("init must match");
      const down = f.steps.filter((s) => s.dir === "proxy->client");
      const answer = down[0]!;
      // Padded: C picked 2 pad bytes for the answer; raw quick ack (1), then the two-frame form (0):
      // no extra word (0), 1 pad byte, no extra word (0), no pad.
      const padBytes = f.mode === "padded" ? unhex(answer.serverPadding!.split(" ")[0]!) : null;
      const random = scriptedRandom(
        f.mode === "padded"
          ? { ints: [2, 1, 0, 0, 1, 0, 0], bytes: [padBytes!, unhex(down[2]!.plain!).subarray(12, 13)] }
          : {},
      );
      const stack = createClientStack({ ...r, tls: null, random });
      stack.queuePacket(unhex(answer.payload!));
      expect(hex(stack.flush()!)).toBe(answer.wire!);
      stack.queueQuickAck(0xd1c2b3a4);
      expect(hex(stack.flush()!)).toBe(down[1]!.wire!);
      if (f.mode === "padded") {
        stack.queueQuickAck(0xd1c2b3a4);
        expect(hex(stack.flush()!)).toBe(down[2]!.wire!);
      }
      expect(random.done()).toBe(true);
      expect(stack.flush()).toBeNull();
    });
  });
});

describe("framingExamples", () => {
  const e = V.framingExamples;
  test("abridged headers", () => {
    expect(hex(abridgedHeader(4))).toBe(e.abridged_4bytes_1word);
    expect(hex(abridgedHeader(504))).toBe(e.abridged_504_bytes_126_words_1byte_header);
    expect(hex(abridgedHeader(508))).toBe(e.abridged_508_bytes_127_words_4byte_header);
    expect(hex(abridgedHeader(4096, true))).toBe(e.abridged_4096_bytes_with_quickack);
    const over = parseAbridgedHeader(u32(unhex(e.abridged_overlong_rejected_by_C.header)));
    expect(over.kind === "error" && over.error.code).toBe("overlong-abridged");
  });
  test("intermediate headers and lengths", () => {
    expect(hex(intermediateHeader(40))).toBe(e.intermediate_40_bytes);
    expect(hex(intermediateHeader(40, true))).toBe(e.intermediate_40_bytes_quickack);
    const bad = parseIntermediateHeader(42, false);
    expect(bad.kind === "error" && bad.error.code).toBe("bad-length");
    const d = createFrameDecoder("padded");
    const res = d.push(Buffer.concat([intermediateHeader(43), Buffer.alloc(43, 7)]));
    expect(res.packets.map((p) => p.payload.length)).toEqual([e.padded_declared_43_forwards_40]);
    expect(MAX_PACKET_LEN).toBe(e.max_accepted_length_bytes);
    const ok = parseIntermediateHeader(MAX_PACKET_LEN, false);
    const tooLong = parseIntermediateHeader(MAX_PACKET_LEN + 4, false);
    expect(ok.kind).toBe("header");
    expect(tooLong.kind === "error" && tooLong.error.code).toBe("too-long");
  });
});
