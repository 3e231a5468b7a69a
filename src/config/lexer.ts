// Byte cursor over proxy-multi.conf with C's lexical quirks (config-and-cli.md §A.2, §A.4).
// Mirrors parse-config.c (cfg_skipspc, cfg_skspc, cfg_getword, cfg_getint*, syntax) and
// mtproto-config.c cfg_getlex_ext. A NUL byte, like the end of the buffer, ends the input.

export type Lexeme =
  | ";"
  | ":"
  | "{"
  | "}"
  | "min_connections"
  | "max_connections"
  | "proxy_for"
  | "proxy"
  | "timeout"
  | "default"
  | "eof"
  | "other";

const SP = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const HASH = 0x23;

// Tried in this order at the current byte, as prefixes with no word boundary (cfg_getlex_ext).
const KEYWORDS: ReadonlyArray<readonly [Lexeme, Uint8Array]> = (
  ["min_connections", "max_connections", "proxy_for", "proxy", "timeout", "default"] as const
).map((k) => [k, new TextEncoder().encode(k)] as const);

const contextDecoder = new TextDecoder();

function isWordByte(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x5f
  );
}

export class ConfigCursor {
  /** Offset of the next unread byte (C's cfg_cur). */
  pos = 0;
  /** Newlines consumed by skipSpace (C's cfg_lno): the line prefix of error messages. */
  lineNo = 0;

  constructor(
    private readonly src: Uint8Array,
    readonly fileName: string,
  ) {}

  /** The byte at `i`, 0 past the end (C NUL-terminates the buffer). */
  at(i: number): number {
    return i < this.src.length ? this.src[i]! : 0;
  }

  peek(): number {
    return this.at(this.pos);
  }

  /** Between statements: spaces, TAB, CR, LF and `#` comments (cfg_skipspc). Returns the next byte. */
  skipSpace(): number {
    for (;;) {
      const c = this.at(this.pos);
      if (c === HASH) {
        do this.pos++;
        while (this.at(this.pos) !== 0 && this.at(this.pos) !== LF);
        continue;
      }
      if (c !== SP && c !== TAB && c !== CR && c !== LF) return c;
      if (c === LF) this.lineNo++;
      this.pos++;
    }
  }

  /** Inside a statement: spaces and TABs only (cfg_skspc). */
  skipBlanks(): number {
    while (this.at(this.pos) === SP || this.at(this.pos) === TAB) this.pos++;
    return this.at(this.pos);
  }

  /** cfg_getlex_ext: punctuation and keywords are consumed; anything else is left in place. */
  nextLexeme(): Lexeme {
    const c = this.skipSpace();
    if (c === 0) return "eof";
    if (c === 0x3b || c === 0x3a || c === 0x7b || c === 0x7d) {
      this.pos++;
      return String.fromCharCode(c) as Lexeme;
    }
    for (const [lex, bytes] of KEYWORDS) {
      if (bytes[0] === c && this.startsWith(bytes)) {
        this.pos += bytes.length;
        return lex;
      }
    }
    return "other";
  }

  private startsWith(bytes: Uint8Array): boolean {
    for (let i = 0; i < bytes.length; i++) if (this.at(this.pos + i) !== bytes[i]) return false;
    return true;
  }

  /**
   * cfg_getword: skips blanks (moving pos), then measures `[A-Za-z0-9._-]+` or `[` `[A-Za-z0-9._:-]*` `]`
   * (the `]` optional). Returns the length without consuming the word.
   */
  wordLength(): number {
    this.skipBlanks();
    let s = this.pos;
    if (this.at(s) !== 0x5b) {
      while (isWordByte(this.at(s))) s++;
    } else {
      s++;
      while (isWordByte(this.at(s)) || this.at(s) === 0x3a) s++;
      if (this.at(s) === 0x5d) s++;
    }
    return s - this.pos;
  }

  /** The bytes [pos, pos+len) as text (word and digit bytes are ASCII). */
  text(len: number): string {
    return contextDecoder.decode(this.src.subarray(this.pos, Math.min(this.pos + len, this.src.length)));
  }

  /** cfg_getint: blanks, then unsigned digits (none reads as 0), wrapping like C's long long. */
  readInt(): bigint {
    this.skipBlanks();
    let x = 0n;
    while (isDigit(this.at(this.pos))) x = BigInt.asIntN(64, x * 10n + BigInt(this.at(this.pos++) - 0x30));
    return x;
  }

  /** cfg_getint_signed_zero: blanks, optional `-`, digits; null (pos after the blanks) when no digit. */
  readSignedInt(): bigint | null {
    this.skipBlanks();
    let s = this.pos;
    const negative = this.at(s) === 0x2d;
    if (negative) s++;
    const digitsStart = s;
    let x = 0n;
    while (isDigit(this.at(s))) {
      const d = BigInt(this.at(s++) - 0x30);
      x = BigInt.asIntN(64, x * 10n + (negative ? -d : d));
    }
    if (s === digitsStart) return null;
    this.pos = s;
    return x;
  }

  /**
   * The text C's syntax() prints for an error at `pos` (default: here):
   * `[<file>:<n>: ]fatal: <msg> near <up to 20 bytes of the rest of the line>[ ...]`.
   * `contextEnd` models the NUL that cfg_gethost_ex writes after the host word.
   */
  syntaxMessage(msg: string, pos = this.pos, lineNo = this.lineNo, contextEnd = Infinity): string {
    let len = 0;
    for (;;) {
      const i = pos + len;
      const c = i < contextEnd ? this.at(i) : 0;
      if (c === 0 || c === CR || c === LF || len >= 20) break;
      len++;
    }
    const prefix = lineNo !== 0 ? `${this.fileName}:${lineNo}: ` : "";
    const near = contextDecoder.decode(this.src.subarray(pos, pos + len));
    return `${prefix}fatal: ${msg} near ${near}${len >= 20 ? " ..." : ""}`;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
