import { expect, test } from "bun:test";
import { i32le, u32le } from "../../src/io/le.ts";

test("little-endian words read as DataView reads them, at any offset, both signs", () => {
  const b = Uint8Array.from([0x00, 0xdf, 0xa2, 0x30, 0x57, 0xff, 0xff, 0xff, 0xff, 0x80]);
  const dv = new DataView(b.buffer);
  for (let off = 0; off + 4 <= b.length; off++) {
    expect(u32le(b, off)).toBe(dv.getUint32(off, true));
    expect(i32le(b, off)).toBe(dv.getInt32(off, true));
  }
  expect(u32le(b, 1)).toBe(0x5730a2df); // RPC_PING
  expect(i32le(b, 5)).toBe(-1);
  expect(u32le(b, 5)).toBe(0xffffffff);
});
