import { expect, test } from "bun:test";
import { MAX_HTTP_HEADER_SIZE } from "../../src/stats/http-head.ts";
import { httpDate, httpErrorBody, StatsHttpConnection, type StatsHttpOptions } from "../../src/stats/http.ts";

const NOW = Date.UTC(2026, 10, 21, 20, 55, 41) / 1000;
const DATE = "Sat, 21 Nov 2026 20:55:41 GMT";
const BODY = "pid\t1\nversion\ttest\n";

function conn(over: Partial<StatsHttpOptions> = {}) {
  const counts = { queries: 0, bad: 0, conns: 0, flood: 0 };
  const c = new StatsHttpConnection({
    peer: "127.0.0.1",
    nowSec: () => NOW,
    renderStats: () => BODY,
    onHttpConnection: () => counts.conns++,
    onHttpQuery: () => counts.queries++,
    onBadHeaders: () => counts.bad++,
    onFlood: () => counts.flood++,
    ...over,
  });
  const send = (req: string | Uint8Array) => {
    const r = c.feed(typeof req === "string" ? new TextEncoder().encode(req) : req);
    return { text: new TextDecoder().decode(r.output), close: r.close };
  };
  return { c, send, counts };
}

function expected(code: string, type: string, connection: string, body: string): string {
  return (
    `HTTP/1.1 ${code}\r\nServer: MTProxy/1.0\r\nDate: ${DATE}\r\nContent-Type: ${type}\r\n` +
    `Connection: ${connection}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
const err = (code: number, text: string, connection = "close"): string =>
  expected(`${code} ${text}`, "text/html", connection, httpErrorBody(code));

test("GET /stats from 127.0.0.1: 200 text/plain, C header order, then close", () => {
  const { send, counts } = conn();
  expect(send("GET /stats HTTP/1.1\r\nHost: x\r\n\r\n")).toEqual({ text: expected("200 OK", "text/plain", "close", BODY), close: true });
  expect(counts).toEqual({ queries: 1, bad: 0, conns: 1, flood: 0 });
});

test("the Date header is RFC 1123 like gen_http_date", () => {
  expect(httpDate(NOW)).toBe(DATE);
  expect(httpDate(0)).toBe("Thu, 01 Jan 1970 00:00:00 GMT");
});

test("the C error page, byte for byte", () => {
  expect(httpErrorBody(404)).toBe(
    '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body bgcolor="white">\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>MTProxy/1.0</center>\r\n</body>\r\n</html>\r\n',
  );
  expect(httpErrorBody(299)).toContain("<title>500 Internal Server Error</title>");
});

test("any path other than exactly /stats is 404", () => {
  for (const path of ["/stats/", "/stats?x", "/", "/STATS", "/metrics", "/statsx"]) {
    const { send } = conn();
    expect(send(`GET ${path} HTTP/1.1\r\n\r\n`)).toEqual({ text: err(404, "Not Found"), close: true });
  }
});

test("HEAD, OPTIONS, POST with Content-Length and GET with Content-Length: 0 get 501 and close, even with keep-alive", () => {
  for (const req of [
    "HEAD /stats HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
    "OPTIONS /stats HTTP/1.1\r\nConnection: keep-alive\r\n\r\n",
    "POST /stats HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nab",
    "GET /stats HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
  ]) {
    const { send, counts } = conn();
    expect(send(req)).toEqual({ text: err(501, "Not Implemented"), close: true });
    expect(counts.queries).toBe(1);
  }
});

test("GET with Content-Length > 0 is 413 and closes", () => {
  const { send } = conn();
  expect(send("GET /stats HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello")).toEqual({
    text: err(413, "Request Entity Too Large"),
    close: true,
  });
});

test("POST without Content-Length is 411 (keep-alive honoured, as in C)", () => {
  expect(conn().send("POST /stats HTTP/1.1\r\n\r\n")).toEqual({ text: err(411, "Length Required"), close: true });
  expect(conn().send("POST /stats HTTP/1.1\r\nConnection: keep-alive\r\n\r\n")).toEqual({
    text: err(411, "Length Required", "keep-alive"),
    close: false,
  });
});

test("a peer other than 127.0.0.1 gets 404; an IPv4-mapped 127.0.0.1 is 127.0.0.1 as in C; ::1 is not", () => {
  expect(conn({ peer: "10.1.2.3" }).send("GET /stats HTTP/1.1\r\n\r\n").text).toBe(err(404, "Not Found"));
  expect(conn({ peer: "127.0.0.2" }).send("GET /stats HTTP/1.1\r\n\r\n").text).toBe(err(404, "Not Found"));
  expect(conn({ peer: "::1" }).send("GET /stats HTTP/1.1\r\n\r\n").text).toBe(err(404, "Not Found"));
  expect(conn({ peer: "::ffff:127.0.0.1" }).send("GET /stats HTTP/1.1\r\n\r\n").text).toBe(expected("200 OK", "text/plain", "close", BODY));
});

test("an explicit allow list replaces the loopback rule (beyond C)", () => {
  const allow = ["10.1.2.3"];
  expect(conn({ peer: "10.1.2.3", allow }).send("GET /stats HTTP/1.1\r\n\r\n").text).toBe(expected("200 OK", "text/plain", "close", BODY));
  expect(conn({ peer: "127.0.0.1", allow }).send("GET /stats HTTP/1.1\r\n\r\n").text).toBe(err(404, "Not Found"));
});

test("more than 32 MiB buffered on the connection: 429, close, counted as flood", () => {
  const { send, counts } = conn({ pendingOutputBytes: () => 33 << 20 });
  expect(send("GET /stats HTTP/1.1\r\n\r\n")).toEqual({ text: err(429, "Too Many Requests"), close: true });
  expect(counts.flood).toBe(1);
});

test("malformed requests are 400, close, and count as bad headers (not queries)", () => {
  const cases = [
    "GET /stats HTTP/2.0\r\n\r\n",
    "GET /stats HTTP/1.1 extra\r\n\r\n",
    "POSTX /stats HTTP/1.1\r\n\r\n",
    "GET  /stats HTTP/1.1\r\n\r\n".replace("  ", " \t"),
    "GET /stats HTTP/1.1\r\nBad header\r\n\r\n",
    "GET /stats HTTP/1.1\r\nHost : x\r\n\r\n",
    "GET /stats HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
    "GET /stats HTTP/1.1\r\nContent-Length: x\r\n\r\n",
    "GET /stats HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
    "GET /stats HTTP/1.1\r\nConnection: keep-alive extra\r\n\r\n",
    "GET /stats HTTP/1.1\r\nX: " + "a".repeat(MAX_HTTP_HEADER_SIZE) + "\r\n\r\n",
  ];
  for (const req of cases) {
    const { send, counts } = conn();
    expect(send(req)).toEqual({ text: err(400, "Bad Request"), close: true });
    expect(counts).toMatchObject({ bad: 1, queries: 0 });
  }
});

test("HTTP/0.9 (no version): the response has no header block, then close", () => {
  expect(conn().send("GET /stats\r\n")).toEqual({ text: BODY, close: true });
  expect(conn().send("GET /stats\n")).toEqual({ text: BODY, close: true });
  expect(conn().send("GET /nope\r\n")).toEqual({ text: httpErrorBody(404), close: true });
});

test("keep-alive only with Connection: keep-alive; pipelined requests answered in order", () => {
  const { send, counts } = conn();
  const ka = "GET /stats HTTP/1.1\r\nConnection: Keep-Alive\r\n\r\n";
  expect(send(ka + ka)).toEqual({ text: expected("200 OK", "text/plain", "keep-alive", BODY).repeat(2), close: false });
  expect(send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")).toEqual({ text: err(404, "Not Found", "keep-alive"), close: false });
  expect(send("GET /stats HTTP/1.1\r\n\r\n")).toEqual({ text: expected("200 OK", "text/plain", "close", BODY), close: true });
  expect(send("GET /stats HTTP/1.1\r\n\r\n")).toEqual({ text: "", close: true }); // after close: ignored
  expect(counts.queries).toBe(4);
  expect(counts.conns).toBe(1);
});

test("a request split at every byte gives the same answer as in one piece", () => {
  const req = "GET /stats HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nX-Other: y\r\n\r\n";
  const whole = conn().send(req);
  const { send } = conn();
  let text = "";
  const bytes = new TextEncoder().encode(req);
  for (let i = 0; i < bytes.length; i++) {
    const r = send(bytes.slice(i, i + 1));
    text += r.text;
    if (i < bytes.length - 1) expect(r.text).toBe("");
  }
  expect(text).toBe(whole.text);
  expect(whole.close).toBe(false);
});

test("the page is built before the current request is counted (http_queries)", () => {
  let queries = 0;
  const c = new StatsHttpConnection({
    peer: "127.0.0.1",
    nowSec: () => NOW,
    renderStats: () => `http_queries\t${queries}\n`,
    onHttpQuery: () => queries++,
  });
  const out = new TextDecoder().decode(c.feed(new TextEncoder().encode("GET /stats HTTP/1.1\r\nConnection: keep-alive\r\n\r\n".repeat(2))).output);
  expect(out).toContain("http_queries\t0\n");
  expect(out).toContain("http_queries\t1\n");
});

test("first bytes that are not GET /HEAD/POST/OPTI: not HTTP (C's RPC side), closed without a reply", () => {
  const { send, counts } = conn();
  expect(send("GE")).toEqual({ text: "", close: false });
  expect(send("TX / HTTP/1.1\r\n\r\n")).toEqual({ text: "", close: true });
  expect(counts.conns).toBe(0);
  expect(conn().send("\x00\x00\x00\x10abcd")).toEqual({ text: "", close: true });
});

test("/metrics is served only when a renderer is given (beyond C)", () => {
  const { send } = conn({ renderMetrics: () => "m 1\n" });
  expect(send("GET /metrics HTTP/1.1\r\n\r\n").text).toBe(expected("200 OK", "text/plain; version=0.0.4", "close", "m 1\n"));
  expect(conn({ peer: "10.0.0.1", renderMetrics: () => "m 1\n" }).send("GET /metrics HTTP/1.1\r\n\r\n").text).toBe(err(404, "Not Found"));
});
