// Resolution of a client's signed DC index to addresses: overrides, media and CDN DCs, the DC 2
// fallback for unknown indexes (test DCs included) and the -6 address order.
import { describe, expect, test } from "bun:test";
import { DC_PORT, DEFAULT_DC, resolveDc, TELEGRAM_DCS, type DcAddress } from "../../src/direct/dc-table.ts";

const none = new Map<number, DcAddress>();
const hosts = (dc: number, preferIpv6 = false, overrides = none) => resolveDc(dc, { overrides, preferIpv6 }).candidates.map((a) => `${a.host}:${a.port}`);

describe("resolveDc", () => {
  test("production DCs 1..5 go to their published IPv4 addresses first, on 443", () => {
    expect(hosts(1)).toEqual(["149.154.175.50:443", "2001:b28:f23d:f001::a:443"]);
    expect(hosts(2)).toEqual(["149.154.167.51:443", "95.161.76.100:443", "2001:67c:4e8:f002::a:443"]);
    expect(hosts(3)[0]).toBe("149.154.175.100:443");
    expect(hosts(4)[0]).toBe("149.154.167.91:443");
    expect(hosts(5)[0]).toBe("149.154.171.5:443");
    expect(DC_PORT).toBe(443);
  });

  test("-6 puts the IPv6 address first and keeps IPv4 as fallback", () => {
    expect(hosts(2, true)).toEqual(["2001:67c:4e8:f002::a:443", "149.154.167.51:443", "95.161.76.100:443"]);
    expect(hosts(203, true)).toEqual(["2a0a:f280:203:a:5000::100:443", "91.105.192.100:443"]);
  });

  test("media DCs (negative) use |dc|; 203 and -203 use the CDN entry", () => {
    expect(hosts(-4)).toEqual(hosts(4));
    expect(resolveDc(-4, { overrides: none, preferIpv6: false })).toMatchObject({ via: 4, fallback: false, override: false });
    expect(hosts(203)[0]).toBe("91.105.192.100:443");
    expect(hosts(-203)).toEqual(hosts(203));
  });

  test("0, unknown and test DCs (±10000+n) fall back to DC 2 and say so", () => {
    for (const dc of [0, 6, 99, -7, 10002, -10002, 10004, 32767, -32768]) {
      const r = resolveDc(dc, { overrides: none, preferIpv6: false });
      expect([dc, r.via, r.fallback]).toEqual([dc, DEFAULT_DC, true]);
      expect(hosts(dc)).toEqual(hosts(2));
    }
  });

  test("an exact override wins, negative indexes included; a positive override also serves its media DC", () => {
    const o = new Map<number, DcAddress>([
      [2, { host: "10.0.0.2", port: 8443 }],
      [-4, { host: "10.0.0.44", port: 9000 }],
      [10002, { host: "test.dc", port: 443 }],
    ]);
    expect(hosts(2, false, o)).toEqual(["10.0.0.2:8443"]);
    expect(hosts(-2, false, o)).toEqual(["10.0.0.2:8443"]);
    expect(hosts(-4, false, o)).toEqual(["10.0.0.44:9000"]);
    expect(hosts(4, false, o)).toEqual(hosts(4));
    expect(hosts(10002, false, o)).toEqual(["test.dc:443"]);
    expect(resolveDc(-4, { overrides: o, preferIpv6: true })).toMatchObject({ via: -4, override: true, fallback: false });
  });

  test("unknown DCs follow a DC 2 override (how tests reach a fake DC)", () => {
    const o = new Map<number, DcAddress>([[2, { host: "127.0.0.1", port: 1234 }]]);
    const r = resolveDc(7, { overrides: o, preferIpv6: false });
    expect(r).toEqual({ candidates: [{ host: "127.0.0.1", port: 1234 }], via: 2, fallback: true, override: true });
  });

  test("the table has exactly DCs 1..5 and 203, each with an IPv4 and an IPv6 address", () => {
    expect([...TELEGRAM_DCS.keys()]).toEqual([1, 2, 3, 4, 5, 203]);
    for (const e of TELEGRAM_DCS.values()) {
      expect(e.v4.length).toBeGreaterThan(0);
      expect(e.v6.length).toBe(1);
      for (const a of e.v4) expect(a).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      for (const a of e.v6) expect(a).toContain(":");
    }
  });
});
