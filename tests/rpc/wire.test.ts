// RPC_PROXY_REQ fields and flags as C sends them; size rules of the ME packets; pid truncation.
import { describe, expect, test } from "bun:test";
import { toEndpoint } from "../../src/rpc/address.ts";
import { ConnIdAllocator } from "../../src/rpc/conn-ids.ts";
import { encodeHandshake, makeProcessId, decodeHandshake } from "../../src/rpc/handshake.ts";
import { checkMiddleNonce, decodeNonce, encodeNonce } from "../../src/rpc/nonce.ts";
import {
  classifyClientPacket,
  connIdKey,
  decodeMiddlePacket,
  decodeProxyReq,
  encodeProxyReqAddresses,
  encodeProxyReqHead,
  proxyReqFlags,
  tlStringLength,
  writeProxyReqFields,
} from "../../src/rpc/wire.ts";

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};

describe("RPC_PROXY_REQ", () => {
  test("flags per transport: abridged+tag 0x40021008, dd+tag 0x20021008, unencrypted adds 2, quick ack the top bit", () => {
    expect(proxyReqFlags("abridged", "encrypted", false, true)).toBe(0x40021008);
    expect(proxyReqFlags("padded", "encrypted", false, true)).toBe(0x20021008);
    expect(proxyReqFlags("intermediate", "encrypted", false, false)).toBe(0x20021000);
    expect(proxyReqFlags("abridged", "unencrypted", false, true)).toBe(0x4002100a);
    expect(proxyReqFlags("abridged", "encrypted", true, false)).toBe(0xc0021000);
  });

  test("no extra block at all without -P; IPv6 addresses raw", () => {
    const head = encodeProxyReqHead({
      flags: proxyReqFlags("intermediate", "encrypted", false, false),
      connId: 5n,
      client: toEndpoint("2001:db8::1", 443),
      proxy: toEndpoint("::ffff:10.0.0.1", 8443),
      tag: null,
    });
    expect(head.length).toBe(56);
    const d = decodeProxyReq(Buffer.concat([head, Buffer.alloc(8, 1)]))!;
    expect(d.extra).toBeNull();
    expect(Buffer.from(d.clientIp).toString("hex")).toBe("20010db8000000000000000000000001");
    expect(Buffer.from(d.proxyIp).toString("hex")).toBe("00000000000000000000ffff0a000001");
    expect(d.proxyPort).toBe(8443);
    expect(d.payload.length).toBe(8);
  });

  test("TL string lengths: short and long forms", () => {
    expect(tlStringLength(16)).toBe(20);
    expect(tlStringLength(253)).toBe(256);
    expect(tlStringLength(254)).toBe(260);
  });

  test("forward_mtproto_packet filter", () => {
    const enc = Buffer.alloc(56, 1);
    expect(classifyClientPacket(enc)).toBe("encrypted");
    expect(classifyClientPacket(enc.subarray(0, 52))).toBe("invalid");
    expect(classifyClientPacket(enc.subarray(0, 30))).toBe("invalid");
    const plain = Buffer.alloc(40);
    plain.writeInt32LE(20, 16);
    plain.writeUInt32LE(0xbe7e8ef1, 20); // req_pq_multi
    expect(classifyClientPacket(plain)).toBe("unencrypted");
    plain.writeUInt32LE(0x12345678, 20);
    expect(classifyClientPacket(plain)).toBe("invalid");
    plain.writeUInt32LE(0x60469778, 20);
    plain.writeInt32LE(21, 16); // inner + 20 > len
    expect(classifyClientPacket(plain)).toBe("invalid");
  });
});

describe("ME packets: exact sizes or ignored", () => {
  const id = Buffer.alloc(8);
  id.writeBigInt64LE(0x400007n);
  test("SIMPLE_ACK only at 16 bytes, CLOSE_EXT only at 12, PROXY_ANS from 16, PING only at 12", () => {
    expect(decodeMiddlePacket(Buffer.concat([u32(0x3bac409b), id, u32(1)])).type).toBe("simple-ack");
    expect(decodeMiddlePacket(Buffer.concat([u32(0x3bac409b), id, u32(1), u32(0)])).type).toBe("ignored");
    expect(decodeMiddlePacket(Buffer.concat([u32(0x5eb634a2), id])).type).toBe("close-ext");
    expect(decodeMiddlePacket(Buffer.concat([u32(0x5eb634a2), id, u32(0)])).type).toBe("ignored");
    expect(decodeMiddlePacket(Buffer.concat([u32(0x4403da0d), u32(0), id])).type).toBe("proxy-ans");
    expect(decodeMiddlePacket(Buffer.concat([u32(0x4403da0d), u32(0), id.subarray(0, 4)])).type).toBe("ignored");
    expect(decodeMiddlePacket(Buffer.concat([u32(0x5730a2df), id])).type).toBe("ping");
    expect(decodeMiddlePacket(Buffer.concat([u32(0x5730a2df), id, u32(0)])).type).toBe("ignored");
    expect(decodeMiddlePacket(Buffer.concat([u32(0xdeadbeef), id])).type).toBe("ignored");
    expect(decodeMiddlePacket(new Uint8Array(0)).type).toBe("ignored");
  });
});

describe("process id and nonce", () => {
  test("a PID above 65535 is kept to its low 16 bits instead of aborting like C", () => {
    const p = makeProcessId(0x0a000005, -1, 4_194_303, 1_700_000_000);
    expect(p.pid).toBe(0xffff);
    expect(p.port).toBe(0xffff);
    const body = encodeHandshake({ flags: 0x800, sender: makeProcessId(1, 443, 123_456, 5), peer: p });
    const d = decodeHandshake(body);
    expect(d.ok && d.packet.sender.pid).toBe(123_456 & 0xffff);
  });

  test("nonce: ±30 s skew and key_select echo", () => {
    const nonce = new Uint8Array(16);
    const mk = (ks: number, ts: number) => {
      const d = decodeNonce(encodeNonce({ keySelect: ks, ts, nonce }));
      if (!d.ok) throw new Error("decode");
      return d.packet;
    };
    expect(checkMiddleNonce(mk(7, 1030), { keySelect: 7, ts: 1000 }).ok).toBe(true);
    expect(checkMiddleNonce(mk(7, 1031), { keySelect: 7, ts: 1000 })).toMatchObject({ code: -6 });
    expect(checkMiddleNonce(mk(7, 969), { keySelect: 7, ts: 1000 })).toMatchObject({ code: -6 });
    expect(checkMiddleNonce(mk(8, 1000), { keySelect: 7, ts: 1000 })).toMatchObject({ code: -3 });
    expect(checkMiddleNonce(mk(0, 1000), { keySelect: 7, ts: 1000 })).toMatchObject({ code: -3 });
    const ext = decodeNonce(encodeNonce({ keySelect: 9, ts: 1000, nonce, extraKeys: [3, 7] }));
    expect(ext.ok && ext.packet.extraKeys).toEqual([3, 7]);
    if (ext.ok) expect(checkMiddleNonce(ext.packet, { keySelect: 7, ts: 1000 }).ok).toBe(true);
    expect(decodeNonce(new Uint8Array(36))).toMatchObject({ ok: false, code: -2 });
    const bad = Buffer.from(encodeNonce({ keySelect: 7, ts: 1, nonce }));
    expect(decodeNonce(Buffer.concat([bad, Buffer.alloc(4)]))).toMatchObject({ ok: false, code: -3 });
  });
});

test("conn ids are non-zero and never repeat", () => {
  const a = new ConnIdAllocator();
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) seen.add(a.allocate());
  expect(seen.size).toBe(10_000);
  expect(seen.has(0)).toBe(false);
  // past 2^53 - 1 it starts again at 1 (never 0, never an id connIdKey cannot read back)
  const end = new ConnIdAllocator(Number.MAX_SAFE_INTEGER);
  expect([end.allocate(), end.allocate()]).toEqual([Number.MAX_SAFE_INTEGER, 1]);
});

test("the link's request head writes our number conn ids as the i64 C reads, up to 2^53 - 1", () => {
  const addresses = encodeProxyReqAddresses(toEndpoint("1.2.3.4", 5), toEndpoint("10.0.0.1", 443));
  for (const id of [1, 0x400000, 0xffffffff, 0x100000000, 0x123456789abcd, Number.MAX_SAFE_INTEGER]) {
    const out = Buffer.alloc(64 + 8);
    const end = writeProxyReqFields(out, 4, proxyReqFlags("intermediate", "encrypted", false, false), id, addresses, null);
    expect(end).toBe(60);
    const d = decodeProxyReq(out.subarray(4))!;
    expect(d.connId).toBe(BigInt(id));
    expect(connIdKey(out, 4 + 8)).toBe(id);
    expect([Buffer.from(d.clientIp).toString("hex"), d.clientPort]).toEqual(["00000000000000000000ffff01020304", 5]);
    expect([Buffer.from(d.proxyIp).toString("hex"), d.proxyPort]).toEqual(["00000000000000000000ffff0a000001", 443]);
  }
});

test("connIdKey: exact below 2^53 (every id the allocator gives), -1 for ids that cannot be ours", () => {
  const at = (v: bigint): number => {
    const b = Buffer.alloc(12);
    b.writeBigInt64LE(v, 2);
    return connIdKey(b, 2);
  };
  for (const v of [1n, 0x400000n, 0xffffffffn, 0x100000000n, (1n << 53n) - 1n]) expect(at(v)).toBe(Number(v));
  for (const v of [1n << 53n, (1n << 53n) + 0x400000n, -1n, -(1n << 63n), 0x7fffffffffffffffn]) expect(at(v)).toBe(-1);
});
