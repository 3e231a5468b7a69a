// composeSnapshot: every figure comes from its real source — data-plane counters (rejection reasons by
// cause, -C and accept-rate refusals), direct relay counters (DC 2 fallbacks per DC), the -p listener,
// the taps, the reloader and the refresher.
import { expect, test } from "bun:test";
import type { DirectCounters } from "../../src/direct/direct-upstream.ts";
import { composeSnapshot, type HttpFigures, type StatsParts } from "../../src/process/stats-compose.ts";
import { createStatsTaps } from "../../src/process/stats-taps.ts";
import { countFront, createSessionCounters } from "../../src/proxy/counters.ts";

const http: HttpFigures = { connections: 1, accepted: 4, queries: 3, badHeaders: 1, floodCloses: 0, readCalls: 5, readBytes: 300, writeCalls: 6, writeBytes: 900 };

function parts(over: Partial<StatsParts>): StatsParts {
  return { secretCount: 2, client: null, listeningPorts: 1, middle: null, direct: null, reload: null, aesPwdHash: "none", maxSpecialConnections: 0, http: null, ...over };
}

test("rejections by reason, accept-time refusals and per-secret handshakes come from the session counters", () => {
  const c = createSessionCounters();
  c.accepted = 20;
  c.active = 3;
  c.rejectedRate = 2;
  c.rejectedCap = 5;
  c.acceptRateRemaining = 1.5;
  countFront(c, "replayed-random");
  countFront(c, "bad-timestamp");
  countFront(c, "bad-timestamp");
  countFront(c, "unknown-sni");
  countFront(c, "bad-hmac");
  countFront(c, "not-tls-hello");
  countFront(c, "alarm");
  // 4 blackholed: 3 inits that matched no secret (bad handshakes) and 1 replayed init (a replay)
  c.blackholed = 4;
  c.badHandshakes += 3;
  c.replayedInits = 1;
  c.replays += 1;
  c.handshakesBySecret[1] = 7;
  c.closes["write-overflow"] = 1;
  c.bytesFromClients = 1000;
  c.bytesToOrigins = 10;
  const s = composeSnapshot(parts({ client: c, http }));
  expect(s.rejectedReplay).toBe(2); // the replayed ClientHello and the replayed init
  expect(s.rejectedBadTimestamp).toBe(2);
  expect(s.rejectedUnknownSni).toBe(1);
  expect(s.rejectedBadHmac).toBe(1);
  expect(s.rejectedBadHandshake).toBe(4); // not-tls-hello + 3 no-match inits; the replay is not counted twice
  expect(s.frontedConnections).toBe(7);
  expect(s.blackholedConnections).toBe(4);
  expect(s.acceptRateLimitFailed).toBe(2);
  expect(s.curAcceptRateRemaining).toBe(1.5);
  expect(s.acceptInitAcceptedFailed).toBe(5);
  expect(s.specialLimitRejected).toBe(5);
  expect(s.secrets[1]!.connectionsCreated).toBe(7);
  expect(s.connectionsFailedFlood).toBe(1);
  // the /stats listener's own sockets are inbound connections too (C counts every accepted socket)
  expect(s.inboundConnectionsAccepted).toBe(24);
  expect(s.inboundConnections).toBe(4);
  expect(s.activeConnections).toBe(4);
  expect(s.listeningConnections).toBe(2);
  expect(s.httpQueries).toBe(3);
  expect(s.tcpReadBytes).toBe(1300);
  expect(s.tcpWriteCalls).toBe(6);
});

test("direct mode: DC 2 fallbacks are counted per requested DC and in total; links are ext connections", () => {
  const d: DirectCounters = {
    dcConnectsOk: { 2: 3, 900: 1 },
    dcConnectsFailed: { 4: 1 },
    fallbacksToDefault: { 900: 1, [-900]: 2 },
    bytesClientToDc: 50,
    bytesDcToClient: 70,
    activeLinks: 2,
    overflowCloses: 0,
  };
  const taps = createStatsTaps(2);
  taps.stats.dc(900).connectionsCreated = 1;
  const s = composeSnapshot(parts({ direct: d, taps: taps.stats }));
  expect(s.dcFallbacks).toBe(3);
  expect(s.dcs.map((x) => [x.dc, x.fallbacks, x.connectionsCreated])).toEqual([
    [-900, 2, 0],
    [900, 1, 1],
  ]);
  expect(s.extConnections).toBe(2);
  expect(s.extConnectionsCreated).toBe(4);
  expect(s.totalConnectFailures).toBe(1);
});

test("the refresher's figures travel in the snapshot; never-happened times are 0", () => {
  const s = composeSnapshot(
    parts({ refresh: { attempts: 2, ok: 1, failed: 1, lastError: "boom", lastOkAt: 1700000000, lastChangedAt: null, configChanges: 0, secretChanges: 0 }, highestFd: 42 }),
  );
  expect(s.refresh).toEqual({ attempts: 2, ok: 1, failed: 1, lastError: "boom", lastOkAt: 1700000000, lastChangedAt: 0 });
  expect(s.maxConnection).toBe(42);
  expect(composeSnapshot(parts({})).refresh).toBeNull();
});
