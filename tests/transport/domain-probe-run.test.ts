// The probe over loopback: a fake "domain" answering like a TLS 1.3 server (our own ServerHello
// builder), a bad answer, a silent server (timeout) and a refused port.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { probeDomain } from "../../src/transport/domain-probe-run.ts";
import { buildServerHello } from "../../src/transport/faketls-response.ts";

function fakeDomain(mode: "ok" | "bad" | "silent", sizes: () => number) {
  return Bun.listen<{ buf: Buffer }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: Buffer.alloc(0) };
      },
      data(s, chunk) {
        s.data.buf = Buffer.concat([s.data.buf, chunk]);
        if (s.data.buf.length < 517 || mode === "silent") return;
        const h = s.data.buf;
        const resp = buildServerHello({
          secret: new Uint8Array(16),
          clientRandom: h.subarray(11, 43),
          sessionId: mode === "bad" ? Buffer.alloc(32) : h.subarray(44, 76),
          cipherByte: 1,
          reversedOrder: true,
          encryptedSize: sizes(),
          keyShare: new Uint8Array(32),
          appData: (n) => new Uint8Array(n),
        });
        s.write(resp);
      },
    },
  });
}

const base = { domain: "example.com", random: seededRandom(1), keyShare: () => new Uint8Array(32) };

describe("domain probe over sockets (update_domain_info)", () => {
  test("20 answers with sizes 2000/2001 → reversed, max−1, randomised", async () => {
    let i = 0;
    using server = fakeDomain("ok", () => 2000 + (i++ % 2));
    const r = await probeDomain({ ...base, address: "127.0.0.1", port: server.port, timeoutMs: 3000 });
    expect(r).toEqual({ ok: true, profile: { reversedOrder: true, encryptedSize: 2000, randomised: true, mixedOrder: false } });
  });
  test("a session id that is not mirrored fails the probe", async () => {
    using server = fakeDomain("bad", () => 2000);
    const r = await probeDomain({ ...base, address: "127.0.0.1", port: server.port, timeoutMs: 3000 });
    expect(r.ok === false && r.reason).toContain("session id");
  });
  test("a silent server times out", async () => {
    using server = fakeDomain("silent", () => 2000);
    const r = await probeDomain({ ...base, address: "127.0.0.1", port: server.port, timeoutMs: 300 });
    expect(r.ok === false && r.reason).toContain("no answer");
  });
  test("a refused port fails", async () => {
    const port = (() => {
      using s = fakeDomain("ok", () => 1);
      return s.port;
    })();
    const r = await probeDomain({ ...base, address: "127.0.0.1", port, timeoutMs: 2000 });
    expect(r.ok).toBe(false);
  });
});
