// Fake TLS (client-side.md §4): vectors for the hello, the response and the records, and one test per
// negative outcome of the §4.3 order of checks.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { buildProbeClientHello, type DomainProfile } from "../../src/transport/domain-probe.ts";
import { buildClientHello, finishClientHello } from "../../src/transport/faketls-client.ts";
import {
  acceptClientHello,
  chooseCipherSuite,
  sniDomain,
  type FakeTlsSettings,
  type HelloContext,
} from "../../src/transport/faketls-hello.ts";
import { buildServerHello, checkServerHello } from "../../src/transport/faketls-response.ts";
import { isAllowedTimestamp, ReplayCache } from "../../src/transport/replay-cache.ts";
import { V, det, hex, scriptedRandom, SECRET, unhex } from "./helpers.ts";
import captured from "./vectors/faketls-hello-ok-mtg-captured.json";

const T = V.fakeTls;
const NOW = T.timestamp;
const FIXED: DomainProfile = { reversedOrder: false, encryptedSize: 2580, randomised: false };
const settings = (over: Partial<FakeTlsSettings> = {}): FakeTlsSettings => ({
  secrets: T.clientHello517.check.proxySecretsInOrder.map(unhex),
  domains: new Map([["example.com", FIXED]]),
  defaultDomain: "default.example",
  strictHello: true,
  ...over,
});
const ctx = (over: Partial<HelloContext> = {}): HelloContext => ({
  localPort: 443,
  nowSec: NOW,
  replay: new ReplayCache(),
  random: seededRandom(1),
  keyShare: () => det("TLS1:srvkey", 32),
  ...over,
});
const hello517 = unhex(T.clientHello517.hex);
const keyShare = (): Buffer => seededRandom(99).bytes(32);
const makeHello = (o: { secret?: Uint8Array; domain?: string; now?: number; totalLength?: number; seed?: number } = {}) =>
  buildClientHello({
    secret: o.secret ?? SECRET,
    domain: o.domain ?? "example.com",
    nowSec: o.now ?? NOW,
    random: seededRandom(o.seed ?? 5),
    keyShare,
    ...(o.totalLength ? { totalLength: o.totalLength } : {}),
  });

describe("ClientHello vectors (§4.4, §7.5)", () => {
  test("the probe template with the vector's random choices reproduces clientHello517", () => {
    const random = scriptedRandom({ bytes: [det("TLS1:grease", 7), Buffer.alloc(32), det("TLS1:sid", 32)] });
    const h = buildProbeClientHello("example.com", random, () => det("TLS1:x25519", 32));
    expect(hex(finishClientHello(h, SECRET, NOW))).toBe(T.clientHello517.hex);
  });

  test("accepted with the second secret, timestamp recovered, response byte-exact", () => {
    const out = acceptClientHello(hello517, settings(), ctx({ random: scriptedRandom({ bytes: [det("TLS1:appdata", 2580)] }) }));
    expect(out.kind).toBe("accept");
    if (out.kind !== "accept") return;
    expect(out.secretIndex).toBe(T.clientHello517.check.matchedSecretIndex);
    expect(out.timestamp).toBe(T.clientHello517.check.timestampRecovered);
    expect(out.domain).toBe("example.com");
    expect(out.response.length).toBe(T.serverResponse.totalLength);
    expect(hex(out.response)).toBe(T.serverResponse.fullHex);
  });

  test("reversed extension order variant", () => {
    const v = T.serverResponse.reversedExtensionOrderVariant_encryptedSize100;
    const r = buildServerHello({
      secret: SECRET,
      clientRandom: hello517.subarray(11, 43),
      sessionId: hello517.subarray(44, 76),
      cipherByte: 1,
      reversedOrder: true,
      encryptedSize: 100,
      keyShare: det("TLS1:srvkey", 32),
      appData: (n) => det("TLS1:appdata", 2580).subarray(0, n),
    });
    expect(hex(r)).toBe(v.hex);
  });

  test("the client accepts the response and rejects a tampered one", () => {
    const resp = unhex(T.serverResponse.fullHex);
    const cr = unhex(T.clientHello517.clientRandom);
    expect(checkServerHello(resp, SECRET, cr)).toEqual({ kind: "ok", consumed: resp.length });
    expect(checkServerHello(resp.subarray(0, 200), SECRET, cr).kind).toBe("need-more");
    const bad = Buffer.from(resp);
    bad[200]! ^= 1;
    expect(checkServerHello(bad, SECRET, cr).kind).toBe("bad");
  });

  test("modern 1415-byte hello: fronted by the strict C rule, accepted by the relaxed rule", () => {
    const large = unhex(T.largeModernStyleHello.hex);
    const strict = acceptClientHello(large, settings({ secrets: [SECRET] }), ctx());
    expect(strict).toEqual({ kind: "front", domain: "default.example", reason: "not-tls-hello" });
    const relaxed = acceptClientHello(large, settings({ secrets: [SECRET], strictHello: false }), ctx());
    expect(relaxed.kind).toBe("accept");
    if (relaxed.kind === "accept") expect(relaxed.timestamp).toBe(T.largeModernStyleHello.timestampRecovered);
  });

  test("mtg captured real client hello (storage.googleapis.com)", () => {
    const m = V.crossCheck_mtg_realClientHello;
    const full = unhex(captured.helloHex);
    expect(full.length).toBe(m.length);
    const s = settings({ secrets: [unhex(m.key16)], domains: new Map([["storage.googleapis.com", FIXED]]) });
    const out = acceptClientHello(full, s, ctx({ nowSec: m.expectedTimestampFromMtg }));
    expect(out.kind).toBe("accept");
    if (out.kind === "accept") expect(out.timestamp).toBe(m.timestampRecovered);
    expect(hex(full.subarray(78, 80))).toBe(m.firstCipherSuite);
  });

  test("timestamp rule table (is_allowed_timestamp)", () => {
    for (const c of V.timestampRule.cases) {
      expect([c.ts, isAllowedTimestamp(c.ts, V.timestampRule.now, c.oldestCachedEntryTime)]).toEqual([c.ts, c.accepted]);
    }
  });
});

describe("§4.3 order of checks: each failure gives its outcome", () => {
  test("not a TLS hello → default domain", () => {
    const out = acceptClientHello(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), settings(), ctx());
    expect(out).toEqual({ kind: "front", domain: "default.example", reason: "not-tls-hello" });
  });
  test("partial record → need-more", () => {
    expect(acceptClientHello(hello517.subarray(0, 300), settings(), ctx()).kind).toBe("need-more");
  });
  test("unknown SNI → default domain", () => {
    const out = acceptClientHello(makeHello({ domain: "other.example" }), settings(), ctx());
    expect(out).toEqual({ kind: "front", domain: "default.example", reason: "unknown-sni" });
  });
  test("SNI is case-sensitive", () => {
    const out = acceptClientHello(makeHello({ domain: "Example.com" }), settings(), ctx());
    expect(out.kind === "front" && out.reason).toBe("unknown-sni");
  });
  test("local port 80 → that domain", () => {
    expect(acceptClientHello(hello517, settings(), ctx({ localPort: 80 }))).toEqual({ kind: "front", domain: "example.com", reason: "port-80" });
  });
  test("bytes after the record → that domain", () => {
    const out = acceptClientHello(Buffer.concat([hello517, Buffer.from([0x14])]), settings(), ctx());
    expect(out).toEqual({ kind: "front", domain: "example.com", reason: "trailing-data" });
  });
  test("longer than 4096 bytes (relaxed) → that domain", () => {
    const out = acceptClientHello(makeHello({ totalLength: 4200 }), settings({ strictHello: false }), ctx());
    expect(out).toEqual({ kind: "front", domain: "example.com", reason: "too-long" });
    const at4096 = acceptClientHello(makeHello({ totalLength: 4096 }), settings({ strictHello: false }), ctx());
    expect(at4096.kind).toBe("accept");
  });
  test("relaxed rule still wants a record of at least 512 bytes", () => {
    const h = Buffer.from(hello517);
    h[3] = 0x01; // record length 0x01fc
    expect(acceptClientHello(h, settings({ strictHello: false }), ctx()).kind).toBe("front");
  });
  test("replayed client random → that domain, even when the first copy failed the HMAC", () => {
    const replay = new ReplayCache();
    const forged = makeHello({ secret: unhex("ffeeddccbbaa99887766554433221100") });
    expect(acceptClientHello(forged, settings(), ctx({ replay }))).toEqual({ kind: "front", domain: "example.com", reason: "bad-hmac" });
    expect(acceptClientHello(forged, settings(), ctx({ replay }))).toEqual({ kind: "front", domain: "example.com", reason: "replayed-random" });
    expect(acceptClientHello(hello517, settings(), ctx({ replay })).kind).toBe("accept");
    expect(acceptClientHello(hello517, settings(), ctx({ replay }))).toEqual({ kind: "front", domain: "example.com", reason: "replayed-random" });
    expect(replay.size).toBe(2);
  });
  test("timestamp out of the window → that domain", () => {
    expect(acceptClientHello(makeHello({ now: NOW + 4 }), settings(), ctx()).kind === "front").toBe(true);
    const slow = acceptClientHello(makeHello({ now: NOW - 600 }), settings(), ctx());
    expect(slow).toEqual({ kind: "front", domain: "example.com", reason: "bad-timestamp" });
    expect(acceptClientHello(makeHello({ now: NOW - 599 }), settings(), ctx()).kind).toBe("accept");
    expect(acceptClientHello(makeHello({ now: NOW + 3 }), settings(), ctx()).kind).toBe("accept");
  });
  test("slow clock accepted back to the oldest cached hello + 3 s", () => {
    const replay = new ReplayCache();
    replay.add(Buffer.alloc(32, 1), NOW - 86_400);
    expect(acceptClientHello(makeHello({ now: NOW - 5000 }), settings(), ctx({ replay })).kind).toBe("accept");
  });
  test("no TLS 1.3 cipher suite → that domain", () => {
    const h = Buffer.from(makeHello());
    Buffer.from("c02bc02fc02c", "hex").copy(h, 80); // 13 01 13 02 13 03 → ECDHE suites
    expect(chooseCipherSuite(h)).toBeNull();
    const out = acceptClientHello(finishClientHello(h, SECRET, NOW), settings(), ctx());
    expect(out).toEqual({ kind: "front", domain: "example.com", reason: "no-tls13-cipher" });
  });
  test("the cipher echoed is the first non-GREASE suite", () => {
    const h = Buffer.from(makeHello());
    Buffer.from("1303", "hex").copy(h, 80);
    const out = acceptClientHello(finishClientHello(h, SECRET, NOW), settings(), ctx());
    expect(out.kind === "accept" && hex(out.response.subarray(76, 78))).toBe("1303");
  });
});

describe("SNI extraction (get_sni_domain_info)", () => {
  test("vector hellos", () => {
    expect(sniDomain(hello517)).toBe("example.com");
    expect(sniDomain(unhex(captured.helloHex))).toBe("storage.googleapis.com");
  });
  test("truncation, a zero byte in the name, and inconsistent lengths give no SNI", () => {
    expect(sniDomain(hello517.subarray(0, 130))).toBeNull();
    const sniAt = hello517.indexOf(Buffer.from("example.com"));
    const zero = Buffer.from(hello517);
    zero[sniAt + 3] = 0;
    expect(sniDomain(zero)).toBeNull();
    const badList = Buffer.from(hello517);
    badList[sniAt - 4]! += 1; // list length no longer extLen - 2
    expect(sniDomain(badList)).toBeNull();
  });
  test("garbage never throws", () => {
    const rnd = seededRandom(3);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(hello517);
      for (let k = 0; k < 4; k++) b[76 + rnd.int(b.length - 76)] = rnd.int(256);
      const cut = b.subarray(0, 60 + rnd.int(b.length - 60));
      expect(() => sniDomain(cut)).not.toThrow();
      expect(() => acceptClientHello(cut, settings({ strictHello: i % 2 === 0 }), ctx())).not.toThrow();
    }
  });
});


test("x25519PublicKey gives distinct 32-byte keys", async () => {
  const { x25519PublicKey } = await import("../../src/transport/faketls-response.ts");
  const a = x25519PublicKey();
  const b = x25519PublicKey();
  expect([a.length, b.length, hex(a) !== hex(b)]).toEqual([32, 32, true]);
});
