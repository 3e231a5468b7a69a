import { expect, test } from "bun:test";
import { configSnapshot } from "./config-snapshot.ts";
import { ProxyStats, SCALAR_FIELDS, sumSnapshots } from "../../src/stats/counters.ts";

test("snapshot is a plain JSON-serialisable copy, detached from later increments", () => {
  const s = new ProxyStats({ secretCount: 2 });
  s.totForwardedQueries += 3;
  s.dc(2).connections++;
  s.dc(-1).bytesFromClients += 10;
  s.config = configSnapshot({ bytes: 84, md5: "ab", loadedAt: 100, authClusters: 2 });
  const snap = s.snapshot();
  s.totForwardedQueries++;
  expect(snap.totForwardedQueries).toBe(3);
  expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  expect(snap.dcs.map((d) => d.dc)).toEqual([-1, 2]);
  expect(snap.secrets).toHaveLength(2);
  for (const k of SCALAR_FIELDS) expect(typeof snap[k]).toBe("number");
});

test("dc() returns the same object for a DC, so sessions can keep the reference", () => {
  const s = new ProxyStats();
  const a = s.dc(4);
  a.packetsFromClients += 7;
  expect(s.dc(4)).toBe(a);
  expect(s.snapshot().dcs[0]!.packetsFromClients).toBe(7);
});

test("per-secret active IPs and auth keys count distinct values, with reference counts", () => {
  const s = new ProxyStats({ secretCount: 1 });
  const sec = s.secrets[0]!;
  sec.clientBound("10.0.0.1");
  sec.clientBound("10.0.0.1");
  sec.clientBound("10.0.0.2");
  sec.authKeyBound("aa");
  sec.authKeyBound("bb");
  expect(s.snapshot().secrets[0]).toMatchObject({ activeIps: 2, activeAuthKeys: 2 });
  sec.clientUnbound("10.0.0.1");
  expect(s.snapshot().secrets[0]!.activeIps).toBe(2);
  sec.clientUnbound("10.0.0.1");
  sec.clientUnbound("10.0.0.9"); // unknown: ignored
  sec.authKeyUnbound("aa");
  expect(s.snapshot().secrets[0]).toMatchObject({ activeIps: 1, activeAuthKeys: 1 });
});

test("sumSnapshots adds every scalar, secrets by position and DCs by id; config is not summed", () => {
  const a = new ProxyStats({ secretCount: 2 });
  const b = new ProxyStats({ secretCount: 2 });
  a.totForwardedQueries = 4;
  b.totForwardedQueries = 6;
  a.activeConnections = 1;
  b.activeConnections = 2;
  a.secrets[1]!.clientBound("1.1.1.1");
  b.secrets[1]!.clientBound("1.1.1.1"); // same IP on two workers: the fork sums per-worker counts
  a.dc(2).connections = 1;
  b.dc(2).connections = 2;
  b.dc(5).connections = 9;
  a.config = configSnapshot({ fileName: "f", bytes: 84, md5: "m", loadedAt: 1, authClusters: 2 });
  b.config = configSnapshot({ fileName: "f", bytes: 84, md5: "m", loadedAt: 1, authClusters: 2 });
  const sum = sumSnapshots([a.snapshot(), b.snapshot()]);
  expect(sum.totForwardedQueries).toBe(10);
  expect(sum.activeConnections).toBe(3);
  expect(sum.secrets.map((x) => x.activeIps)).toEqual([0, 2]);
  expect(sum.dcs).toEqual([
    expect.objectContaining({ dc: 2, connections: 3 }),
    expect.objectContaining({ dc: 5, connections: 9 }),
  ]);
  expect(sum.config?.bytes).toBe(84);
  expect(sumSnapshots([]).totForwardedQueries).toBe(0);
});
