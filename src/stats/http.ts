// One stats-port connection as C handles it (stats.md §2): the RPC/HTTP sniff of
// tcp_rpcs_parse_execute, hts_parse_execute's request loop, hts_stats_execute's checks, and
// write_basic_http_header_raw / write_http_error_raw bytes. Pure: bytes in → bytes out + close flag.

import { HTTP_V10, parseHttpHead, type HttpHead } from "./http-head.ts";

export const SERVER_VERSION = "MTProxy/1.0";
/** C MAX_CONNECTION_BUFFER_SPACE: more buffered than this → 429 and close (check_conn_buffers). */
export const MAX_CONNECTION_BUFFER_SPACE = 32 << 20;
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4";

export interface StatsHttpOptions {
  /** The peer address as the socket reports it. */
  peer: string;
  /**
   * Beyond C: addresses allowed to read /stats and /metrics. null/undefined = C's rule, exactly
   * 127.0.0.1 (an IPv4-mapped ::ffff:127.0.0.1 is the same address in C; ::1 is not).
   */
  allow?: readonly string[] | null;
  /** Unix seconds for the Date header. */
  nowSec: () => number;
  renderStats: () => string;
  /** Beyond C: the /metrics body; null = /metrics is a 404 as in C. */
  renderMetrics?: (() => string) | null;
  /** Bytes queued for this socket and not yet taken by the kernel (counted against the 32 MiB cap). */
  pendingOutputBytes?: () => number;
  /** Counter hooks, called at the moment C bumps the global. */
  onHttpConnection?: () => void;
  onHttpQuery?: () => void;
  onBadHeaders?: () => void;
  onFlood?: () => void;
}

export interface HttpFeedResult {
  /** Bytes to write, in order (empty when nothing to send). */
  output: Uint8Array;
  /** Close the connection once `output` is written; later input is ignored. */
  close: boolean;
}

const HTTP_PREFIXES = ["GET ", "HEAD", "POST", "OPTI"];
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

export class StatsHttpConnection {
  #buf: Uint8Array = EMPTY;
  #mode: "sniff" | "http" | "closed" = "sniff";
  readonly #o: StatsHttpOptions;

  constructor(opts: StatsHttpOptions) {
    this.#o = opts;
  }

  get closed(): boolean {
    return this.#mode === "closed";
  }

  feed(chunk: Uint8Array): HttpFeedResult {
    if (this.#mode === "closed") return { output: EMPTY, close: true };
    this.#buf = this.#buf.length === 0 ? chunk : concat([this.#buf, chunk]);
    if (this.#mode === "sniff") {
      if (this.#buf.length < 4) return { output: EMPTY, close: false };
      const first = String.fromCharCode(...this.#buf.subarray(0, 4));
      if (!HTTP_PREFIXES.includes(first)) {
        // The engine RPC protocol on this port is not implemented: C would fail such a peer too.
        this.#mode = "closed";
        this.#buf = EMPTY;
        return { output: EMPTY, close: true };
      }
      this.#mode = "http";
      this.#o.onHttpConnection?.();
    }
    return this.#run();
  }

  #run(): HttpFeedResult {
    const out: Uint8Array[] = [];
    let pos = 0;
    for (;;) {
      if (pos >= this.#buf.length) break;
      const head = parseHttpHead(this.#buf, pos);
      if (head === null) break;
      const closeNow = this.#answer(head, pos, out);
      pos += head.headerSize;
      if (closeNow) {
        this.#mode = "closed";
        this.#buf = EMPTY;
        return { output: concat(out), close: true };
      }
    }
    this.#buf = pos === 0 ? this.#buf : this.#buf.slice(pos);
    return { output: concat(out), close: false };
  }

  /** Handles one parsed request; returns true when the connection must close afterwards. */
  #answer(head: HttpHead, pos: number, out: Uint8Array[]): boolean {
    let keepAlive = head.keepAlive;
    if (head.error) {
      this.#o.onBadHeaders?.();
      out.push(httpResponse(400, head.httpVersion, false, this.#o.nowSec(), null, null));
      return true;
    }
    let code: number;
    let body: Uint8Array | null = null;
    let type: string | null = null;
    if (head.method === "POST" && head.dataSize < 0) {
      code = 411;
    } else if (head.method !== "POST" && head.dataSize > 0) {
      code = 413;
      keepAlive = false;
    } else {
      // hts_stats_execute
      const buffered = this.#buf.length - pos + (this.#o.pendingOutputBytes?.() ?? 0);
      if (buffered > MAX_CONNECTION_BUFFER_SPACE) {
        this.#o.onFlood?.();
        this.#o.onHttpQuery?.();
        out.push(httpResponse(429, head.httpVersion, false, this.#o.nowSec(), null, null));
        return true;
      }
      const uri = String.fromCharCode(...this.#buf.subarray(pos + head.uriOffset, pos + head.uriOffset + Math.min(head.uriSize, 64)));
      const metrics = this.#o.renderMetrics ?? null;
      if (head.method !== "GET" || head.dataSize !== -1) {
        code = 501;
        keepAlive = false;
      } else if (!peerAllowed(this.#o.peer, this.#o.allow ?? null)) {
        code = 404;
      } else if (head.uriSize === 6 && uri === "/stats") {
        code = 200;
        type = "text/plain";
        body = encoder.encode(this.#o.renderStats());
      } else if (metrics !== null && head.uriSize === 8 && uri === "/metrics") {
        code = 200;
        type = METRICS_CONTENT_TYPE;
        body = encoder.encode(metrics());
      } else {
        code = 404;
      }
    }
    // C counts the query after the page is built, whatever the status.
    this.#o.onHttpQuery?.();
    out.push(httpResponse(code, head.httpVersion, keepAlive, this.#o.nowSec(), body, type));
    return !keepAlive;
  }
}

/** C's rule: only 127.0.0.1 (IPv4-mapped counts, ::1 does not), or an explicit allow list. */
export function peerAllowed(peer: string, allow: readonly string[] | null): boolean {
  const p = unmapV4(peer);
  if (allow === null) return p === "127.0.0.1";
  return allow.some((a) => unmapV4(a) === p);
}

function unmapV4(addr: string): string {
  const a = addr.toLowerCase();
  return a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a;
}

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  411: "Length Required",
  413: "Request Entity Too Large",
  414: "Request URI Too Long",
  418: "I'm a teapot",
  429: "Too Many Requests",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** http_get_error_msg_text: an unknown code becomes 500. */
export function httpReason(code: number): [number, string] {
  const r = REASONS[code];
  return r === undefined ? [500, "Internal Server Error"] : [code, r];
}

/** error_text_pattern. */
export function httpErrorBody(code: number): string {
  const [c, text] = httpReason(code);
  return (
    `<html>\r\n<head><title>${c} ${text}</title></head>\r\n<body bgcolor="white">\r\n` +
    `<center><h1>${c} ${text}</h1></center>\r\n<hr><center>${SERVER_VERSION}</center>\r\n</body>\r\n</html>\r\n`
  );
}

/**
 * A whole response. `body` null = C's HTML error page. HTTP/0.9 requests get the body only
 * (write_basic_http_header_raw writes a header for HTTP/1.x and for requests whose version is unknown).
 */
export function httpResponse(
  code: number,
  httpVersion: number,
  keepAlive: boolean,
  nowSec: number,
  body: Uint8Array | null,
  contentType: string | null,
): Uint8Array {
  const [c, text] = httpReason(code);
  const payload = body ?? encoder.encode(httpErrorBody(c));
  if (!(httpVersion >= HTTP_V10 || httpVersion === 0)) return payload;
  const head =
    `HTTP/1.1 ${c} ${text}\r\nServer: ${SERVER_VERSION}\r\nDate: ${httpDate(nowSec)}\r\n` +
    `Content-Type: ${contentType ?? "text/html"}\r\nConnection: ${keepAlive ? "keep-alive" : "close"}\r\n` +
    `Content-Length: ${payload.length}\r\n\r\n`;
  return concat([encoder.encode(head), payload]);
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** gen_http_date: `Sat, 21 Nov 2026 20:55:41 GMT`. */
export function httpDate(unixSec: number): string {
  const d = new Date(Math.max(0, Math.floor(unixSec)) * 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`
  );
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
