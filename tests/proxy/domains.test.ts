// Start-up preparation of -D domains: a probed profile from a loopback "domain", C's fallback and
// log lines when resolution or the probe fails, all within the bound.
import { describe, expect, test } from "bun:test";
import { seededRandom } from "../../src/crypto/random.ts";
import { createMemoryLogger } from "../../src/log.ts";
import { frontingTargetOf, prepareDomains } from "../../src/proxy/domains.ts";
import { startFakeTlsDomain } from "../support/fake-tls-domain.ts";

describe("prepareDomains", () => {
  test("a domain that answers 20 hellos gets its measured profile and address", async () => {
    using server = startFakeTlsDomain({ encryptedSize: 2345 });
    const mem = createMemoryLogger();
    const m = await prepareDomains(["good.example"], {
      log: mem.log,
      random: seededRandom(1),
      keyShare: () => new Uint8Array(32),
      resolve: async () => "127.0.0.1",
      port: server.port,
      timeoutMs: 3000,
    });
    expect(m.get("good.example")).toEqual({
      name: "good.example",
      address: "127.0.0.1",
      profile: { reversedOrder: false, encryptedSize: 2345, randomised: false },
      probed: true,
    });
    expect(mem.lines.join("")).toContain(
      "Successfully checked domain good.example in ",
    );
    expect(mem.lines.join("")).toContain("is_reversed_extension_order = 0, server_hello_encrypted_size = 2345, use_random_encrypted_size = 0");
  });

  test("unresolvable and unreachable domains fall back to 2500..3619 randomised, with C's warnings, within the bound", async () => {
    const refused = (() => {
      using s = startFakeTlsDomain({ encryptedSize: 1 });
      return s.port;
    })();
    const mem = createMemoryLogger();
    const started = performance.now();
    const m = await prepareDomains(["nowhere.example", "closed.example", "slow.example"], {
      log: mem.log,
      random: seededRandom(2),
      keyShare: () => new Uint8Array(32),
      resolve: async (name) => (name === "nowhere.example" ? null : name === "slow.example" ? new Promise(() => {}) : "127.0.0.1"),
      port: refused,
      timeoutMs: 300,
    });
    expect(performance.now() - started).toBeLessThan(1500);
    const text = mem.lines.join("");
    expect(text).toContain("Failed to resolve host nowhere.example");
    expect(text).toContain("Failed to update response data about nowhere.example, so default response settings wiil be used");
    expect(text).toContain("Failed to update response data about closed.example");
    expect(text).toContain("Failed to resolve host slow.example");
    expect(m.get("nowhere.example")!.address).toBeNull();
    expect(m.get("closed.example")!.address).toBe("127.0.0.1"); // kept: fronting still has a target
    for (const d of m.values()) {
      expect(d.probed).toBe(false);
      expect(d.profile.randomised).toBe(true);
      expect(d.profile.reversedOrder).toBe(false);
      expect(d.profile.encryptedSize).toBeGreaterThanOrEqual(2500);
      expect(d.profile.encryptedSize).toBeLessThan(3620);
    }
  });

  test("fronting goes to port 80 only for clients of local port 80, else 443; no address → no target", () => {
    const d = { name: "a.example", address: "192.0.2.5", profile: { reversedOrder: false, encryptedSize: 2600, randomised: true }, probed: false };
    expect(frontingTargetOf(d, 80)).toEqual({ host: "192.0.2.5", port: 80 });
    expect(frontingTargetOf(d, 443)).toEqual({ host: "192.0.2.5", port: 443 });
    expect(frontingTargetOf(d, 8443)).toEqual({ host: "192.0.2.5", port: 443 });
    expect(frontingTargetOf({ ...d, address: null }, 443)).toBeNull();
    expect(frontingTargetOf(undefined, 443)).toBeNull();
  });
});
