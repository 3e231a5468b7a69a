// The raw (direct-mode) variant of the client stack and handshake: no framing, only TLS records and
// CTR. The decrypted stream must be exactly the vectors' plain frames, and our output exactly their
// ciphertext, however the input is split.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { createClientHandshake, type HandshakeConfig, type HandshakeOutcome } from "../../src/transport/client-handshake.ts";
import { createClientStack } from "../../src/transport/client-stack.ts";
import type { DomainProfile } from "../../src/transport/domain-probe.ts";
import { encodeClientFirstFlight, encodeTlsRecords } from "../../src/transport/faketls-records.ts";
import { acceptObfuscated2, createObfuscated2Init } from "../../src/transport/obfuscated2.ts";
import { ReplayCache } from "../../src/transport/replay-cache.ts";
import { V, det, hex, scriptedRandom, SECRET, unhex } from "./helpers.ts";

const T = V.fakeTls;
const FIXED: DomainProfile = { reversedOrder: false, encryptedSize: 2580, randomised: false };
const OTHER = unhex("00112233445566778899aabbccddeeff");
const tlsConfig = (raw: boolean): HandshakeConfig => ({
  secrets: [OTHER, SECRET],
  tls: { secrets: [OTHER, SECRET], domains: new Map([["example.com", FIXED]]), defaultDomain: "example.com", strictHello: true },
  raw,
});
const env = (random = seededRandom(1)) => ({
  localPort: 443,
  nowSec: () => T.timestamp,
  replay: new ReplayCache(),
  random,
  keyShare: () => det("TLS1:srvkey", 32),
});

function established(r: HandshakeOutcome) {
  if (r.kind !== "established") throw new Error(`expected established, got ${r.kind}`);
  return r;
}

describe("ClientStack raw, plain obfuscated2 (frames vectors)", () => {
  V.frames.forEach((f, i) => {
    const init = V.obfuscated2[i]!;
    const up = f.steps.filter((s) => s.dir === "client->proxy");
    const down = f.steps.filter((s) => s.dir === "proxy->client");
    const wire = Buffer.concat(up.map((s) => unhex(s.wire!)));
    const plain = hex(Buffer.concat(up.map((s) => unhex(s.plainFrame!))));
    const accept = () => {
      const r = acceptObfuscated2(unhex(init.wireInitPacket64), init.serverSecrets.map(unhex), false);
      if (r.kind !== "ok") throw new Error("init must match");
      return createClientStack({ ...r, tls: null, random: scriptedRandom({}) });
    };

    test(`${f.mode}: decodeRaw gives the plain frames, unparsed, at every split`, () => {
      for (let cut = 0; cut <= wire.length; cut++) {
        const stack = accept();
        const a = stack.decodeRaw(wire.subarray(0, cut));
        const b = stack.decodeRaw(wire.subarray(cut));
        if (a.kind !== "ok" || b.kind !== "ok") throw new Error("raw decode failed");
        expect(hex(Buffer.concat([a.data, b.data]))).toBe(plain);
      }
    });

    test(`${f.mode}: encodeRaw of the C plain frames is the C ciphertext`, () => {
      const stack = accept();
      expect(hex(stack.encodeRaw(unhex(down[0]!.plainFrame!)))).toBe(down[0]!.wire!);
      expect(hex(stack.encodeRaw(unhex(down[1]!.plain!)))).toBe(down[1]!.wire!);
      if (down[2]) expect(hex(stack.encodeRaw(unhex(down[2].plain!)))).toBe(down[2].wire!);
    });

    test(`${f.mode}: raw handshake hands over the bytes after the init at every split`, () => {
      const all = Buffer.concat([unhex(init.wireInitPacket64), wire]);
      for (let cut = 0; cut <= all.length; cut++) {
        const hs = createClientHandshake({ secrets: init.serverSecrets.map(unhex), tls: null, raw: true }, env());
        let r = hs.push(all.subarray(0, cut));
        let out: Uint8Array[] = [];
        if (r.kind === "need-more") r = hs.push(all.subarray(cut));
        else {
          const e = established(r);
          const more = e.stack.decodeRaw(all.subarray(cut));
          out = more.kind === "ok" ? [more.data] : [];
        }
        const e = established(r);
        expect([e.transport, e.dc]).toEqual([f.mode as typeof e.transport, init.decryptedDc]);
        expect(e.first).toEqual({ kind: "ok", packets: [] });
        expect(hex(Buffer.concat([e.firstRaw!, ...out]))).toBe(plain);
      }
    });
  });

  test("without raw the handshake frames as before and carries no firstRaw", () => {
    const init = V.obfuscated2[0]!;
    const hs = createClientHandshake({ secrets: [SECRET], tls: null }, env());
    const e = established(hs.push(Buffer.concat([unhex(init.wireInitPacket64), unhex(V.frames[0]!.steps[0]!.wire!)])));
    expect(e.firstRaw).toBeUndefined();
    expect(e.first.packets.length).toBe(1);
  });
});

describe("ClientStack raw inside fake TLS", () => {
  test("vector first flight → decrypted padded frame; answer → the C records byte for byte", () => {
    const random = scriptedRandom({ bytes: [det("TLS1:appdata", 2580)] });
    const hs = createClientHandshake(tlsConfig(true), env(random));
    expect(hs.push(unhex(T.clientHello517.hex)).kind).toBe("need-more");
    const e = established(hs.push(unhex(T.obfuscatedInsideTls.clientFirstFlightHex)));
    expect([e.transport, e.dc, e.tls, e.secretIndex]).toEqual(["padded", 4, true, 1]);
    expect(e.first).toEqual({ kind: "ok", packets: [] });
    // 2b000000 (43 = 40 + 3 padding) ‖ the 40-byte req_pq_multi ‖ 3 pad bytes: the frame is not parsed.
    const raw = Buffer.from(e.firstRaw!);
    expect(raw.length).toBe(47);
    expect(raw.readUInt32LE(0)).toBe(43);
    expect(hex(raw.subarray(4, 44))).toBe(T.obfuscatedInsideTls.proxyForwards);

    const answer = Buffer.concat([Buffer.from([0xdf, 0x05, 0, 0]), det("tls:ans", 1500), det("tls:srvpad", 3)]);
    expect(answer.length).toBe(T.obfuscatedInsideTls.serverAnswerPlainFrameLength);
    expect(hex(e.stack.encodeRaw(answer))).toBe(T.obfuscatedInsideTls.serverAnswerWireHex);
    expect(random.done()).toBe(true);
  });

  test("records after the first flight unwrap and decrypt at every split", () => {
    const random = seededRandom(7);
    const client = createObfuscated2Init({ secret: SECRET, transport: "padded", dc: -3, random, insideTls: true });
    const plain = det("raw:stream", 700);
    const cipher = client.encrypt.update(plain);
    // 100 bytes inside the first record, then records of 1..257 bytes (an empty one too).
    const parts: Uint8Array[] = [encodeClientFirstFlight(client.init, cipher.subarray(0, 100))];
    let at = 100;
    for (const n of [0, 1, 257, 42, 300]) {
      parts.push(encodeTlsRecords(cipher.subarray(at, at + n), 65535).subarray(0, 5 + n));
      at += n;
    }
    expect(at).toBe(plain.length);
    const stream = Buffer.concat(parts);
    for (let cut = 0; cut <= stream.length; cut++) {
      const hs = createClientHandshake(tlsConfig(true), env());
      expect(hs.push(unhex(T.clientHello517.hex)).kind).toBe("need-more");
      let r = hs.push(stream.subarray(0, cut));
      const got: Uint8Array[] = [];
      if (r.kind === "need-more") r = hs.push(stream.subarray(cut));
      else {
        const more = established(r).stack.decodeRaw(stream.subarray(cut));
        if (more.kind !== "ok") throw new Error(more.error.message);
        got.push(more.data);
      }
      const e = established(r);
      expect([e.transport, e.dc]).toEqual(["padded", -3]);
      expect(hex(Buffer.concat([e.firstRaw!, ...got]))).toBe(hex(plain));
    }
  });

  test("encodeRaw cuts into records of the configured size and decrypts back with the client's stream", () => {
    const random = seededRandom(9);
    const client = createObfuscated2Init({ secret: SECRET, transport: "padded", dc: 2, random, insideTls: true });
    const hs = createClientHandshake({ ...tlsConfig(true), tls: { ...tlsConfig(true).tls!, strictHello: false } }, env());
    hs.push(unhex(T.clientHello517.hex));
    const e = established(hs.push(encodeClientFirstFlight(client.init, new Uint8Array(0))));
    const data = det("raw:down", 40000);
    const out = Buffer.from(e.stack.encodeRaw(data));
    const sizes: number[] = [];
    const payload: Buffer[] = [];
    for (let o = 0; o < out.length; o += 5 + out.readUInt16BE(o + 3)) {
      expect(hex(out.subarray(o, o + 3))).toBe("170303");
      sizes.push(out.readUInt16BE(o + 3));
      payload.push(out.subarray(o + 5, o + 5 + out.readUInt16BE(o + 3)));
    }
    expect(sizes).toEqual([16384, 16384, 40000 - 32768]);
    expect(hex(client.decrypt.update(Buffer.concat(payload)))).toBe(hex(data));
  });

  test("a bad record header after the init is an error result, on the first flight or later", () => {
    const client = createObfuscated2Init({ secret: SECRET, transport: "padded", dc: 2, random: seededRandom(3), insideTls: true });
    const bad = unhex("1503030002022f");
    const hs = createClientHandshake(tlsConfig(true), env());
    hs.push(unhex(T.clientHello517.hex));
    const e = established(hs.push(Buffer.concat([encodeClientFirstFlight(client.init, new Uint8Array(0)), bad])));
    expect(e.first.kind === "error" && e.first.error.code).toBe("bad-tls-header");

    const hs2 = createClientHandshake(tlsConfig(true), env());
    hs2.push(unhex(T.clientHello517.hex));
    const e2 = established(hs2.push(encodeClientFirstFlight(client.init, new Uint8Array(0))));
    const r = e2.stack.decodeRaw(bad);
    expect(r.kind === "error" && r.error.code).toBe("bad-tls-header");
  });
});
