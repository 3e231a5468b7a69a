// A few AVX2/VAES instructions encoded as bytes (Intel SDM vol. 2, §2.3 "VEX prefix"): TinyCC's
// assembler, the only one a Bun binary carries, stops at SSE4, so the native paths spell these as
// `.byte` lines. Only the forms the AES-CTR routine uses: register operands, or a memory operand
// [base + disp32] with a base other than rsp/r12 (no SIB byte) and rbp/r13 (no special case needed
// with mod=10, but kept out for simplicity).

/** General-purpose register numbers (the ModRM/VEX encoding order). */
export const GPR = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsi: 6, rdi: 7 } as const;

export type Operand = { ymm: number } | { base: number; disp: number };

interface Op {
  /** Opcode map: 1 = 0F, 2 = 0F38, 3 = 0F3A. */
  readonly map: 1 | 2 | 3;
  /** Implied prefix: 0 none, 1 = 66, 2 = F3, 3 = F2. */
  readonly pp: 0 | 1 | 2 | 3;
  readonly opcode: number;
}

const OPS = {
  vaesenc: { map: 2, pp: 1, opcode: 0xdc },
  vaesenclast: { map: 2, pp: 1, opcode: 0xdd },
  vaesdec: { map: 2, pp: 1, opcode: 0xde },
  vaesdeclast: { map: 2, pp: 1, opcode: 0xdf },
  vpxor: { map: 1, pp: 1, opcode: 0xef },
  vpaddq: { map: 1, pp: 1, opcode: 0xd4 },
  vpshufb: { map: 2, pp: 1, opcode: 0x00 },
  vbroadcasti128: { map: 2, pp: 1, opcode: 0x5a },
  vmovdquLoad: { map: 1, pp: 2, opcode: 0x6f },
  vmovdquStore: { map: 1, pp: 2, opcode: 0x7f },
} as const satisfies Record<string, Op>;

export type Mnemonic = keyof typeof OPS;

/**
 * The bytes of `name reg, src1, rm` in VEX.256 form: `reg` is ModRM.reg (the destination, or the source
 * of a store), `src1` goes in VEX.vvvv (-1 when the instruction has none), `rm` is a ymm or memory.
 */
export function vex256(name: Mnemonic, reg: number, src1: number, rm: Operand): number[] {
  const op: Op = OPS[name];
  checkYmm(reg);
  if (src1 !== -1) checkYmm(src1);
  const rmLow = "ymm" in rm ? rm.ymm : rm.base;
  if ("ymm" in rm) checkYmm(rm.ymm);
  else if (rm.base === 4 || rm.base === 5 || rm.base > 7 || rm.base < 0) throw new RangeError(`unsupported base register ${rm.base}`);
  const r = ((~reg >> 3) & 1) << 7;
  const x = 1 << 6; // no index register
  const b = ((~rmLow >> 3) & 1) << 5;
  const vvvv = (~(src1 === -1 ? 0 : src1) & 15) << 3;
  const bytes = [0xc4, r | x | b | op.map, vvvv | (1 << 2) | op.pp, op.opcode];
  if ("ymm" in rm) {
    bytes.push(0xc0 | ((reg & 7) << 3) | (rm.ymm & 7));
  } else {
    bytes.push(0x80 | ((reg & 7) << 3) | rm.base, ...le32(rm.disp));
  }
  return bytes;
}

/** vzeroupper: leaves the upper ymm halves clean for the SSE code (OpenSSL, JSC) that runs next. */
export const VZEROUPPER = [0xc5, 0xf8, 0x77];

/** `name reg, src1, rm` (see vex256) as one asm line. */
export function vexAsm(name: Mnemonic, reg: number, src1: number, rm: Operand): string {
  return asmBytes(vex256(name, reg, src1, rm));
}

/** f(0) … f(n-1) joined: the same instruction over n registers. */
export function forRegisters(n: number, f: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => f(i)).join(" ");
}

/** The VAES routines' convention: round key r (16 bytes at rax + 16r) into both halves of ymm8. */
export function broadcastRoundKey(r: number): string {
  return vexAsm("vbroadcasti128", 8, -1, { base: GPR.rax, disp: r * 16 });
}

/** One GNU-asm line `.byte …` for a string spliced into a C `__asm__` template. */
export function asmBytes(bytes: readonly number[]): string {
  return `".byte ${bytes.map((v) => `0x${v.toString(16)}`).join(",")}\\n\\t"`;
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function checkYmm(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new RangeError(`ymm${n} is not a register`);
}
