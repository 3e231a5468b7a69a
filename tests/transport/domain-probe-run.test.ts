// The probe over loopback: a fake "domain" answering like a TLS 1.3 server (our own ServerHello
// builder), a bad answer, a silent server (timeout) and a refused port.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { probeDomain } from "../../src/transport/domain-probe-run.ts";
import { startFakeTlsDomain } from "../support/fake-tls-domain.ts";

const base = { domain: "example.com", random: seededRandom(1), keyShare: () => new Uint8Array(32) };

describe("domain probe over sockets (update_domain_info)", () => {
  test("20 answers with sizes 2000/2001 → reversed, max−1, randomised", async () => {
    let i = 0;
    using server = startFakeTlsDomain({ reversedOrder: true, encryptedSize: () => 2000 + (i++ % 2) });
    const r = await probeDomain({ ...base, address: "127.0.0.1", port: server.port, timeoutMs: 3000 });
    expect(r).toEqual({ ok: true, profile: { reversedOrder: true, encryptedSize: 2000, randomised: true, mixedOrder: false } });
  });
  test("a session id that is not mirrored fails the probe", async () => {
    using server = startFakeTlsDomain({ mode: "bad", reversedOrder: true, encryptedSize: 2000 });
    const r = await probeDomain({ ...base, address: "127.0.0.1", port: server.port, timeoutMs: 3000 });
    expect(r.ok === false && r.reason).toContain("session id");
  });
  test("a silent server times out", async () => {
    using server = startFakeTlsDomain({ mode: "silent", reversedOrder: true, encryptedSize: 2000 });
    const r = await probeDomain({ ...base, address: "127.0.0.1", port: server.port, timeoutMs: 300 });
    expect(r.ok === false && r.reason).toContain("no answer");
  });
  test("a refused port fails", async () => {
    const port = (() => {
      using s = startFakeTlsDomain({ reversedOrder: true, encryptedSize: 1 });
      return s.port;
    })();
    const r = await probeDomain({ ...base, address: "127.0.0.1", port, timeoutMs: 2000 });
    expect(r.ok).toBe(false);
  });
});
