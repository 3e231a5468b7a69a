// The pre-established state machine (client-side.md §0, §2.5, §4.8): decisions at FIRST, the TLS
// path end to end against the vectors, blackhole and fronting.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { createClientHandshake, type HandshakeConfig } from "../../src/transport/client-handshake.ts";
import type { DomainProfile } from "../../src/transport/domain-probe.ts";
import { ReplayCache } from "../../src/transport/replay-cache.ts";
import { V, det, hex, scriptedRandom, SECRET, unhex } from "./helpers.ts";

const T = V.fakeTls;
const FIXED: DomainProfile = { reversedOrder: false, encryptedSize: 2580, randomised: false };
const tlsConfig = (strict = true): HandshakeConfig => ({
  secrets: [unhex("00112233445566778899aabbccddeeff"), SECRET],
  tls: { secrets: [unhex("00112233445566778899aabbccddeeff"), SECRET], domains: new Map([["example.com", FIXED]]), defaultDomain: "example.com", strictHello: strict },
});
const env = (random = seededRandom(1), localPort = 443) => ({
  localPort,
  nowSec: () => T.timestamp,
  replay: new ReplayCache(),
  random,
  keyShare: () => det("TLS1:srvkey", 32),
});

describe("fake TLS handshake end to end (§7.5 obfuscatedInsideTls)", () => {
  test("hello → ServerHello, first flight → established padded dc 4, answer split into 1425-byte records", () => {
    const random = scriptedRandom({ ints: [3], bytes: [det("TLS1:appdata", 2580), det("tls:srvpad", 3)] });
    const hs = createClientHandshake(tlsConfig(), env(random));
    const hello = unhex(T.clientHello517.hex);
    expect(hs.push(hello.subarray(0, 8))).toEqual({ kind: "need-more", send: null });
    const r1 = hs.push(hello.subarray(8));
    expect(r1.kind === "need-more" && r1.send !== null && hex(r1.send)).toBe(T.serverResponse.fullHex);

    const flight = unhex(T.obfuscatedInsideTls.clientFirstFlightHex);
    expect(hs.push(flight.subarray(0, 50)).kind).toBe("need-more");
    const r2 = hs.push(flight.subarray(50));
    expect(r2.kind).toBe("established");
    if (r2.kind !== "established") return;
    expect([r2.transport, r2.dc, r2.tls, r2.secretIndex]).toEqual(["padded", 4, true, 1]);
    expect(r2.first.packets.map((p) => hex(p.payload))).toEqual([T.obfuscatedInsideTls.proxyForwards]);

    r2.stack.queuePacket(det("tls:ans", 1500));
    const out = r2.stack.flush()!;
    expect(hex(out)).toBe(T.obfuscatedInsideTls.serverAnswerWireHex);
    expect(random.done()).toBe(true);
  });

  test("relaxed mode cuts answers into records of up to 16384 bytes", () => {
    const hs = createClientHandshake(tlsConfig(false), env());
    expect(hs.push(unhex(T.clientHello517.hex)).kind).toBe("need-more");
    const r = hs.push(unhex(T.obfuscatedInsideTls.clientFirstFlightHex));
    if (r.kind !== "established") throw new Error(r.kind);
    r.stack.queuePacket(new Uint8Array(40000));
    const out = Buffer.from(r.stack.flush()!);
    const sizes: number[] = [];
    for (let o = 0; o < out.length; o += 5 + out.readUInt16BE(o + 3)) {
      expect(hex(out.subarray(o, o + 3))).toBe("170303");
      sizes.push(out.readUInt16BE(o + 3));
    }
    expect(sizes[0]).toBe(16384);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(40004);
  });

  test("bad first flight closes; a first record under 64 bytes closes", () => {
    const a = createClientHandshake(tlsConfig(), env());
    a.push(unhex(T.clientHello517.hex));
    expect(a.push(unhex("1503030002022817030300")).kind).toBe("close");
    const b = createClientHandshake(tlsConfig(), env());
    b.push(unhex(T.clientHello517.hex));
    const short = Buffer.concat([unhex("14030300010117030300" + "3f"), Buffer.alloc(63)]);
    const r = b.push(short);
    expect(r.kind === "close" && r.error.code).toBe("short-first-record");
  });

  test("inside TLS an abridged tag fronts to the default domain; no matching secret blackholes", () => {
    const v1 = unhex(V.obfuscated2[0]!.wireInitPacket64); // tag ef under the same secret
    const a = createClientHandshake(tlsConfig(), env());
    a.push(unhex(T.clientHello517.hex));
    const r = a.push(Buffer.concat([unhex("1403030001011703030040"), v1]));
    expect(r.kind === "front" && [r.domain, r.reason, r.buffered.length]).toEqual(["example.com", "not-padded-tag", 64]);
    const b = createClientHandshake(tlsConfig(), env());
    b.push(unhex(T.clientHello517.hex));
    expect(b.push(Buffer.concat([unhex("1403030001011703030040"), Buffer.alloc(64, 9)])).kind).toBe("blackhole");
  });
});

describe("decision at FIRST (§0)", () => {
  const plain: HandshakeConfig = { secrets: [SECRET], tls: null };
  test("nothing is decided before 9 bytes; obfuscated2 waits for 64", () => {
    const hs = createClientHandshake(plain, env());
    const w = unhex(V.obfuscated2[0]!.wireInitPacket64);
    expect(hs.push(w.subarray(0, 8)).kind).toBe("need-more");
    expect(hs.push(w.subarray(8, 63)).kind).toBe("need-more");
    const r = hs.push(Buffer.concat([w.subarray(63), unhex(V.frames[0]!.steps[0]!.wire!)]));
    expect(r.kind === "established" && r.first.packets.length).toBe(1);
  });
  test("with -D every non-TLS start is fronted to the default domain with all its bytes", () => {
    const hs = createClientHandshake(tlsConfig(), env());
    const w = unhex(V.obfuscated2[2]!.wireInitPacket64);
    const r = hs.push(w.subarray(0, 20));
    expect(r.kind === "front" && [r.domain, r.reason, hex(r.buffered)]).toEqual(["example.com", "not-tls-hello", hex(w.subarray(0, 20))]);
  });
  test("without -D a TLS hello is just a failed init: blackhole", () => {
    const hs = createClientHandshake(plain, env());
    expect(hs.push(unhex(T.clientHello517.hex)).kind).toBe("blackhole");
  });
  test("no-secret mode accepts only secretless clients", () => {
    const v4 = V.obfuscated2[3]!;
    const r = createClientHandshake({ secrets: [], tls: null }, env()).push(unhex(v4.wireInitPacket64));
    expect(r.kind === "established" && [r.transport, r.dc]).toEqual(["abridged", 1]);
    const v1 = createClientHandshake({ secrets: [], tls: null }, env()).push(unhex(V.obfuscated2[0]!.wireInitPacket64));
    expect(v1.kind).toBe("blackhole");
  });
});
