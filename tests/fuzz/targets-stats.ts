// Fuzz targets for the stats port: C's HTTP request-head parser and one whole stats connection
// (sniff, pipelined requests, answers, close). The answer bytes must not depend on how the
// request bytes were cut into reads.
import { parseHttpHead, MAX_HTTP_HEADER_SIZE } from "../../src/stats/http-head.ts";
import { StatsHttpConnection } from "../../src/stats/http.ts";
import { bytesInput, chance, chunksOf, pick, type Rng } from "./generators.ts";
import type { FuzzTarget } from "./harness.ts";

const utf8 = new TextEncoder();
const LINES = [
  "GET /stats HTTP/1.1\r\n", "GET /metrics HTTP/1.0\r\n", "HEAD / HTTP/1.1\r\n", "POST /stats HTTP/1.1\r\n", "OPTIONS * HTTP/1.1\r\n",
  "GET /stats\r\n", "GET /stats HTTP/2.0\r\n", "GET  /stats  HTTP/1.1\n", "Host: localhost\r\n", "Connection: keep-alive\r\n",
  "Connection: close\r\n", "Content-Length: 0\r\n", "Content-Length: 5\r\n", "Content-Length: 99999999999\r\n", "content-length:3\r\n",
  "X-A: b\r\n", "Bad header\r\n", "\r\n", "\n", "\r\n\r\n", "hello",
];

function request(rng: Rng): Uint8Array {
  const parts: string[] = [];
  for (let n = 1 + rng.int(12); n > 0; n--) parts.push(pick(rng, LINES));
  if (chance(rng, 5)) parts.push("X".repeat(pick(rng, [4095, 4097, MAX_HTTP_HEADER_SIZE])));
  return utf8.encode(parts.join(""));
}

const SEEDS = ["GET /stats HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", "GET /metrics HTTP/1.1\r\n\r\nGET /stats HTTP/1.0\r\n\r\n", "POST /stats HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"].map((s) => utf8.encode(s));

export const httpHead: FuzzTarget<{ bytes: Uint8Array; start: number }, unknown> = {
  name: "http-head",
  makeInput(rng) {
    const bytes = chance(rng, 50) ? request(rng) : bytesInput(rng, SEEDS, 2048);
    return { bytes, start: chance(rng, 80) ? 0 : rng.int(bytes.length + 1) };
  },
  run: (i) => parseHttpHead(i.bytes, i.start),
  check(h, i) {
    if (h === null) return null;
    const r = h as NonNullable<ReturnType<typeof parseHttpHead>>;
    if (!r.error && (r.headerSize < 1 || i.start + r.headerSize > i.bytes.length)) return `header size ${r.headerSize}`;
    if (r.uriSize < 0 || r.uriOffset < 0) return "uri bounds";
    return null;
  },
};

interface ConnSummary {
  output: Uint8Array;
  close: boolean;
  counts: number[];
}

export const statsConnection: FuzzTarget<{ bytes: Uint8Array; loopback: boolean }, ConnSummary> = {
  name: "stats-http",
  incremental: true,
  size: (i) => i.bytes.length,
  makeInput(rng) {
    return { bytes: chance(rng, 60) ? request(rng) : bytesInput(rng, SEEDS, 2048), loopback: chance(rng, 80) };
  },
  run(i, splits) {
    const counts = [0, 0, 0, 0];
    const conn = new StatsHttpConnection({
      peer: i.loopback ? "127.0.0.1" : "203.0.113.9",
      nowSec: () => 1700000000,
      renderStats: () => "uptime\t1\n",
      renderMetrics: () => "up 1\n",
      onHttpConnection: () => counts[0]!++,
      onHttpQuery: () => counts[1]!++,
      onBadHeaders: () => counts[2]!++,
      onFlood: () => counts[3]!++,
    });
    const out: Uint8Array[] = [];
    let close = false;
    for (const c of chunksOf(i.bytes, splits)) {
      const r = conn.feed(c);
      out.push(r.output);
      if (r.close) {
        close = true;
        break;
      }
    }
    return { output: new Uint8Array(Buffer.concat(out)), close, counts };
  },
  check(s, i) {
    const text = Buffer.from(s.output).toString("latin1");
    if (!i.loopback && text.includes("uptime")) return "stats served to a non-loopback peer";
    for (const m of text.matchAll(/HTTP\/1\.1 (\d{3}) /g)) if (![200, 400, 404, 411, 413, 429, 501].includes(Number(m[1]))) return `status ${m[1]}`;
    if (s.counts[0]! > 1) return "connection counted twice";
    return null;
  },
};

export const STATS_TARGETS = [httpHead, statsConnection] as const;
