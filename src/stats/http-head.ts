// The C stats-port HTTP request-head parser (net-http-server.c hts_parse_execute), state for state:
// the same accept/reject decisions, the same byte count consumed, the same 16 KiB header limit.
// Pure: bytes in, a value out. C re-parses the whole buffer on every read; so do we.

export const MAX_HTTP_HEADER_SIZE = 16384;

export const HTTP_V09 = 9;
export const HTTP_V10 = 0x100;
export const HTTP_V11 = 0x101;

export type HttpMethod = "GET" | "HEAD" | "POST" | "OPTIONS" | "error" | "none";

export interface HttpHead {
  /** Bytes of the request head consumed (C header_size). */
  headerSize: number;
  /** Malformed (C QF_ERROR): the caller answers 400. */
  error: boolean;
  method: HttpMethod;
  /** Offset and length of the URI inside the request head. */
  uriOffset: number;
  uriSize: number;
  /** 0 when never set (first-line error), else HTTP_V09 / HTTP_V10 / HTTP_V11. */
  httpVersion: number;
  keepAlive: boolean;
  /** Content-Length, or -1 when absent. */
  dataSize: number;
}

// Parser states, as C's enum http_query_parse_state.
const enum St {
  ReadToSpace,
  ReadToColon,
  ReadInt,
  SkipSpc,
  SkipToEoln,
  SkipSpcToEoln,
  Eoln,
  WantLf,
  WantLastLf,
  LineStart,
  Fatal,
  Done,
}

const SP = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const MAX_WORD = 4096;

const F_ERROR = 1;
const F_HOST = 2;
const F_DATASIZE = 4;
const F_CONNECTION = 8;
const F_KEEPALIVE = 16;

/** Parses one request head starting at `start`. null = need more bytes. */
export function parseHttpHead(buf: Uint8Array, start: number): HttpHead | null {
  let p = start;
  const end = buf.length;
  let st: St = St.ReadToSpace;
  let word = ""; // the first 15 bytes of the current word, as C keeps them
  let wlen = 0;
  let words = 0;
  let flags = 0;
  let method: HttpMethod = "none";
  let uriOffset = 0;
  let uriSize = 0;
  let httpVersion = 0;
  let dataSize = -1;
  let hsize = 0;

  const takeWordByte = (b: number): void => {
    if (wlen < 15) word += String.fromCharCode(b);
    wlen++;
  };

  while (p < end && st !== St.Done) {
    switch (st) {
      case St.ReadToSpace: {
        while (p < end && buf[p]! > SP) takeWordByte(buf[p++]!);
        if (wlen > MAX_WORD) {
          st = St.Fatal;
          break;
        }
        if (p === end) break;
        st = St.SkipSpc;
        words++;
        if (words === 1) {
          method = wlen === 3 && word === "GET" ? "GET" : wlen === 4 && word === "HEAD" ? "HEAD" : wlen === 4 && word === "POST" ? "POST" : wlen === 7 && word === "OPTIONS" ? "OPTIONS" : "error";
          if (method === "error") {
            st = St.SkipToEoln;
            flags |= F_ERROR;
          }
        } else if (words === 2) {
          uriOffset = hsize;
          uriSize = wlen;
          if (wlen === 0) {
            st = St.SkipToEoln;
            flags |= F_ERROR;
          }
        } else if (words === 3) {
          st = St.SkipSpcToEoln;
          if (wlen === 0) {
            httpVersion = HTTP_V09;
          } else if (wlen === 8 && word === "HTTP/1.0") {
            httpVersion = HTTP_V10;
          } else if (wlen === 8 && word === "HTTP/1.1") {
            httpVersion = HTTP_V11;
          } else {
            st = St.SkipToEoln;
            flags |= F_ERROR;
          }
        } else {
          // A Host or Connection value (only those headers reach here).
          if (wlen > 0 && !(flags & F_HOST) && wlen === 10 && word.toLowerCase() === "keep-alive") flags |= F_KEEPALIVE;
          flags &= ~(F_HOST | F_CONNECTION);
          st = St.SkipSpcToEoln;
        }
        hsize += wlen;
        break;
      }
      case St.SkipSpc:
      case St.SkipSpcToEoln: {
        while (hsize < MAX_HTTP_HEADER_SIZE && p < end && (buf[p] === SP || (buf[p] === TAB && words >= 8))) {
          hsize++;
          p++;
        }
        if (hsize >= MAX_HTTP_HEADER_SIZE) {
          st = St.Fatal;
          break;
        }
        if (p === end) break;
        if (st === St.SkipSpcToEoln) {
          st = St.Eoln;
          break;
        }
        if (words < 3) {
          word = "";
          wlen = 0;
          st = St.ReadToSpace;
        } else if (flags & F_DATASIZE) {
          if (dataSize !== -1) {
            st = St.SkipToEoln;
            flags |= F_ERROR;
          } else {
            st = St.ReadInt;
            dataSize = 0;
          }
        } else if (flags & (F_HOST | F_CONNECTION)) {
          word = "";
          wlen = 0;
          st = St.ReadToSpace;
        } else {
          st = St.SkipToEoln;
        }
        break;
      }
      case St.ReadToColon: {
        while (p < end && buf[p] !== COLON && buf[p]! > SP) takeWordByte(buf[p++]!);
        if (wlen > MAX_WORD) {
          st = St.Fatal;
          break;
        }
        if (p === end) break;
        if (buf[p] !== COLON) {
          hsize += wlen;
          st = St.SkipToEoln;
          flags |= F_ERROR;
          break;
        }
        p++;
        const name = word.toLowerCase();
        if (wlen === 4 && name === "host") flags |= F_HOST;
        else if (wlen === 10 && name === "connection") flags |= F_CONNECTION;
        else if (wlen === 14 && name === "content-length") flags |= F_DATASIZE;
        else flags &= ~(F_HOST | F_DATASIZE | F_CONNECTION);
        hsize += wlen + 1;
        st = St.SkipSpc;
        break;
      }
      case St.ReadInt: {
        let tt = dataSize;
        while (p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39) {
          if (tt >= Math.floor(0x7fffffff / 10)) {
            flags |= F_ERROR;
            st = St.SkipToEoln;
            break;
          }
          tt = tt * 10 + (buf[p]! - 0x30);
          p++;
          hsize++;
          flags &= ~F_DATASIZE;
        }
        dataSize = tt;
        if (p === end) break;
        // As in C, this overrides the overflow branch's state (the error flag stays).
        if (flags & F_DATASIZE) {
          flags |= F_ERROR;
          st = St.SkipToEoln;
        } else {
          st = St.SkipSpcToEoln;
        }
        break;
      }
      case St.SkipToEoln:
      case St.Eoln:
      case St.WantLf:
      case St.LineStart: {
        // C falls through skiptoeoln → eoln → wantlf → linestart.
        if (st === St.SkipToEoln) {
          while (hsize < MAX_HTTP_HEADER_SIZE && p < end && buf[p] !== CR && buf[p] !== LF) {
            hsize++;
            p++;
          }
          if (hsize >= MAX_HTTP_HEADER_SIZE) {
            st = St.Fatal;
            break;
          }
          if (p === end) break;
          st = St.Eoln;
        }
        if (st === St.Eoln) {
          if (p === end) break;
          if (buf[p] === CR) {
            p++;
            hsize++;
          }
          st = St.WantLf;
        }
        if (st === St.WantLf) {
          if (p === end) break;
          if (++words < 8) {
            words = 8;
            if (flags & F_ERROR) {
              st = St.Fatal;
              break;
            }
          }
          if (httpVersion <= HTTP_V09) {
            st = St.WantLastLf;
            break;
          }
          if (buf[p] !== LF) {
            flags |= F_ERROR;
            st = St.SkipToEoln;
            break;
          }
          p++;
          hsize++;
          st = St.LineStart;
        }
        // LineStart
        if (p === end) break;
        if (buf[p] === CR) {
          p++;
          hsize++;
          st = St.WantLastLf;
          break;
        }
        if (buf[p] === LF) {
          st = St.WantLastLf;
          break;
        }
        if (flags & F_ERROR) {
          st = St.SkipToEoln;
        } else {
          word = "";
          wlen = 0;
          st = St.ReadToColon;
        }
        break;
      }
      case St.WantLastLf: {
        if (buf[p] !== LF) {
          st = St.Fatal;
          break;
        }
        p++;
        hsize++;
        st = St.Done;
        break;
      }
      case St.Fatal:
        flags |= F_ERROR;
        st = St.Done;
        break;
    }
  }
  if (st !== St.Done) return null;
  if (hsize >= MAX_HTTP_HEADER_SIZE) flags |= F_ERROR;
  return {
    headerSize: hsize,
    error: (flags & F_ERROR) !== 0,
    method,
    uriOffset,
    uriSize,
    httpVersion,
    keepAlive: (flags & F_KEEPALIVE) !== 0,
    dataSize,
  };
}
