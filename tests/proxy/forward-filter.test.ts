import { describe, expect, test } from "bun:test";
import { classifyClientPacket, CODE_req_DH_params, RPC_PING } from "../../src/proxy/forward-filter.ts";
import vectors from "../transport/vectors/client-vectors.json";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unencrypted = (fn: number, inner = 20, len = 40): Buffer => {
  const b = Buffer.alloc(len);
  b.writeInt32LE(inner, 16);
  b.writeUInt32LE(fn, 20);
  return b;
};

describe("RPC_PING (client-side.md §3.5)", () => {
  test("a 12-byte ping is answered with RPC_PONG and the same 8 bytes", () => {
    const v = vectors.framingExamples.rpc_ping_from_client;
    const r = classifyClientPacket(Buffer.from(v.payload, "hex"));
    expect(r.kind === "pong" && hex(r.answer)).toBe(v.proxyAnswersWithPayload);
  });
  test("any other packet starting with RPC_PING is eaten, even a would-be encrypted one", () => {
    const b = Buffer.alloc(64, 1);
    b.writeUInt32LE(RPC_PING, 0);
    expect(classifyClientPacket(b)).toEqual({ kind: "drop", reason: "ping" });
  });
});

describe("forward filter (§3.7 steps 2–4)", () => {
  test("vector packets are forwarded as unencrypted handshakes", () => {
    for (const f of vectors.frames) {
      const p = Buffer.from(f.steps[0]!.proxyForwardsToBackend!, "hex");
      expect(classifyClientPacket(p)).toEqual({ kind: "forward", unencrypted: true });
    }
  });
  test("short and unaligned packets are dropped", () => {
    expect(classifyClientPacket(Buffer.alloc(24, 1))).toEqual({ kind: "drop", reason: "short" });
    expect(classifyClientPacket(Buffer.alloc(61, 1))).toEqual({ kind: "drop", reason: "unaligned" });
  });
  test("encrypted packets need 56 bytes", () => {
    const b = Buffer.alloc(56, 0);
    b[7] = 1; // non-zero auth_key_id in its high half
    expect(classifyClientPacket(b)).toEqual({ kind: "forward", unencrypted: false });
    expect(classifyClientPacket(b.subarray(0, 52))).toEqual({ kind: "drop", reason: "short-encrypted" });
  });
  test("unencrypted: inner length and function are checked", () => {
    expect(classifyClientPacket(unencrypted(CODE_req_DH_params))).toEqual({ kind: "forward", unencrypted: true });
    expect(classifyClientPacket(unencrypted(CODE_req_DH_params, 21))).toEqual({ kind: "drop", reason: "bad-inner-length" });
    expect(classifyClientPacket(unencrypted(CODE_req_DH_params, 19))).toEqual({ kind: "drop", reason: "bad-inner-length" });
    expect(classifyClientPacket(unencrypted(CODE_req_DH_params, -1))).toEqual({ kind: "drop", reason: "bad-inner-length" });
    expect(classifyClientPacket(unencrypted(0x12345678))).toEqual({ kind: "drop", reason: "not-handshake" });
  });
});
