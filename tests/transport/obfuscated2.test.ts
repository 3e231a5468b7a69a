import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import {
  acceptObfuscated2,
  createObfuscated2Init,
  deriveServerKeys,
  isAllowedClientHeaderStart,
} from "../../src/transport/obfuscated2.ts";
import type { ClientTransport } from "../../src/transport/codec.ts";
import { V, hex, scriptedRandom, unhex } from "./helpers.ts";

const TRANSPORT_OF: Record<string, ClientTransport> = {
  "0xefefefef": "abridged",
  "0xeeeeeeee": "intermediate",
  "0xdddddddd": "padded",
};

describe("obfuscated2 server side (client-side.md §2.3, §2.4)", () => {
  for (const v of V.obfuscated2) {
    test(`${v.name}: keys, tag, dc, matched secret`, () => {
      const wire = unhex(v.wireInitPacket64);
      const secrets = v.serverSecrets.map(unhex);
      const keys = deriveServerKeys(wire, secrets[v.matchedSecretIndex] ?? null);
      expect(hex(keys.readKey)).toBe(v.derivation.serverReadKey);
      expect(hex(keys.readIv)).toBe(v.derivation.serverReadIv);
      expect(hex(keys.writeKey)).toBe(v.derivation.serverWriteKey);
      expect(hex(keys.writeIv)).toBe(v.derivation.serverWriteIv_wire23_down_to_8);

      const r = acceptObfuscated2(wire, secrets, false);
      expect(r.kind).toBe("ok");
      if (r.kind !== "ok") return;
      expect(r.transport).toBe(TRANSPORT_OF[v.decryptedTag]!);
      expect(r.dc).toBe(v.decryptedDc);
      expect(r.secretIndex).toBe(v.matchedSecretIndex);
    });
  }

  test("wrong secret: no match (C blackholes)", () => {
    const w = V.obfuscated2_wrongSecret;
    expect(acceptObfuscated2(unhex(w.wire), w.serverSecrets.map(unhex), false).kind).toBe("no-match");
  });

  test("TLS-only mode: a valid ef/ee tag fronts, dd is accepted", () => {
    const [v1, v2, v3] = V.obfuscated2;
    expect(acceptObfuscated2(unhex(v1!.wireInitPacket64), v1!.serverSecrets.map(unhex), true).kind).toBe("front");
    expect(acceptObfuscated2(unhex(v2!.wireInitPacket64), v2!.serverSecrets.map(unhex), true).kind).toBe("front");
    expect(acceptObfuscated2(unhex(v3!.wireInitPacket64), v3!.serverSecrets.map(unhex), true).kind).toBe("ok");
  });

  test("mtg snapshot: read stream continues at 64, write stream starts at 0", () => {
    const m = V.crossCheck_mtg_obfuscation;
    const r = acceptObfuscated2(unhex(m.frame), [unhex(m.secret)], false);
    expect(r.kind).toBe("ok");
    if (r.kind !== "ok") return;
    expect(r.transport).toBe("padded");
    expect(r.dc).toBe(m.dc);
    expect(hex(r.readCipher.update(unhex(m.clientBytesAfterInit)))).toBe(m.decryptedByProxy);
    expect(hex(r.writeCipher.update(unhex(m.proxyPlain)))).toBe(m.proxyWire);
  });
});

describe("obfuscated2 client side (tdlib ObfuscatedTransport::init, §2.2)", () => {
  for (const v of V.obfuscated2) {
    test(`${v.name}: the same plain header gives the vector's wire bytes`, () => {
      const random = scriptedRandom({ bytes: [unhex(v.clientPlainHeader)] });
      const secret = v.secretUsedByClient === null ? null : unhex(v.secretUsedByClient);
      const c = createObfuscated2Init({ secret, transport: TRANSPORT_OF[v.decryptedTag]!, dc: v.decryptedDc, random });
      expect(hex(c.init)).toBe(v.wireInitPacket64);
    });
  }

  test("forbidden first bytes are regenerated", () => {
    const good = unhex(V.obfuscated2[0]!.clientPlainHeader);
    const bad = [
      Buffer.concat([Buffer.from([0xef]), good.subarray(1)]),
      Buffer.concat([Buffer.from("POST"), good.subarray(4)]),
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02]), good.subarray(4)]),
      Buffer.concat([good.subarray(0, 4), Buffer.alloc(4), good.subarray(8)]),
    ];
    for (const b of bad) expect(isAllowedClientHeaderStart(b)).toBe(false);
    const random = scriptedRandom({ bytes: [...bad, good] });
    const c = createObfuscated2Init({ secret: unhex(V.secretHex), transport: "abridged", dc: 2, random });
    expect(hex(c.init)).toBe(V.obfuscated2[0]!.wireInitPacket64);
    expect(random.done()).toBe(true);
  });

  test("round trip: every transport and signed dc, both directions of keystream", () => {
    const rnd = seededRandom(7);
    const secrets = [rnd.bytes(16), rnd.bytes(16), rnd.bytes(16)];
    for (let i = 0; i < 60; i++) {
      const transport = (["abridged", "intermediate", "padded"] as const)[i % 3]!;
      const dc = [1, -1, 2, -5, 10003, -32768, 32767, 4][i % 8]!;
      const which = i % 3;
      const c = createObfuscated2Init({ secret: secrets[which]!, transport, dc, random: rnd });
      const s = acceptObfuscated2(c.init, secrets, false);
      expect(s.kind).toBe("ok");
      if (s.kind !== "ok") continue;
      expect([s.transport, s.dc, s.secretIndex]).toEqual([transport, dc, which]);
      const msg = rnd.bytes(37);
      expect(hex(s.readCipher.update(c.encrypt.update(msg)))).toBe(hex(msg));
      expect(hex(c.decrypt.update(s.writeCipher.update(msg)))).toBe(hex(msg));
    }
  });
});
