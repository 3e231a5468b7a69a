// backend-vectors.json (backend-rpc.md §13) against our rpc modules: keys, DH material, every step
// of the IPv4 exchange byte for byte (incl. the CBC chain), handshake error, production ME reply.
import { describe, expect, test } from "bun:test";
import { createAesCbcDecryptor, createAesCbcEncryptor } from "../../src/crypto/aes.ts";
import { crc32, crc32c } from "../../src/crypto/crc.ts";
import { sha1 } from "../../src/crypto/hash.ts";
import { createNatTable, ipv4ToHostInt, ipv6ToBytes, toEndpoint } from "../../src/rpc/address.ts";
import { DH_PARAMS_SELECT, RPCF_USE_CRC32C } from "../../src/rpc/constants.ts";
import { FrameDecoder, FrameEncoder } from "../../src/rpc/frame.ts";
import {
  checkMiddleHandshake,
  decodeHandshake,
  encodeHandshake,
  encodeHandshakeError,
  peerPidOf,
  type ProcessId,
} from "../../src/rpc/handshake.ts";
import { buildKeyMaterial, deriveLinkKeys, type KeyMaterialInput } from "../../src/rpc/keys.ts";
import { checkMiddleNonce, decodeNonce, encodeNonce } from "../../src/rpc/nonce.ts";
import {
  decodeMiddlePacket,
  encodeCloseConn,
  encodeCloseExt,
  encodePing,
  encodePong,
  encodeProxyAnsHead,
  encodeProxyReqHead,
  encodeSimpleAck,
  proxyReqFlags,
} from "../../src/rpc/wire.ts";
import V from "./vectors/backend-vectors.json";

const h = (s: string) => Buffer.from(s, "hex");
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const I = V.inputs;
const secret = h(I.proxy_secret);

const base: KeyMaterialInput = {
  nonceServer: h(I.server_nonce),
  nonceClient: h(I.client_nonce),
  clientTs: I.client_ts,
  serverIpv4: ipv4ToHostInt("198.51.100.20")!,
  serverPort: 8888,
  clientIpv4: ipv4ToHostInt("192.0.2.10")!,
  clientPort: 40000,
  secret,
};

function expectKeys(p: KeyMaterialInput, v: { proxy_write_key: string; proxy_write_iv: string; proxy_read_key: string; proxy_read_iv: string }) {
  const k = deriveLinkKeys(p, "client");
  expect(hex(k.write.key)).toBe(v.proxy_write_key);
  expect(hex(k.write.iv)).toBe(v.proxy_write_iv);
  expect(hex(k.read.key)).toBe(v.proxy_read_key);
  expect(hex(k.read.iv)).toBe(v.proxy_read_iv);
  // the ME side is the mirror image
  const m = deriveLinkKeys(p, "server");
  expect(hex(m.read.key)).toBe(v.proxy_write_key);
  expect(hex(m.write.iv)).toBe(v.proxy_read_iv);
}

describe("key derivation (aes_create_keys)", () => {
  test("keys_ipv4: material for both purposes and all four keys", () => {
    expect(buildKeyMaterial(base, "CLIENT").length).toBe(V.keys_ipv4.material_client_len);
    expect(hex(buildKeyMaterial(base, "CLIENT"))).toBe(V.keys_ipv4.material_client);
    expect(hex(buildKeyMaterial(base, "SERVER"))).toBe(V.keys_ipv4.material_server);
    expectKeys(base, V.keys_ipv4);
  });

  test("keys_ipv6: IPv4 slots zero, both IPv6 addresses before the last nonce", () => {
    const p: KeyMaterialInput = {
      ...base,
      serverIpv4: 0,
      clientIpv4: 0,
      serverIpv6: ipv6ToBytes("2001:db8::20")!,
      clientIpv6: ipv6ToBytes("2001:db8::10")!,
    };
    expect(hex(buildKeyMaterial(p, "CLIENT"))).toBe(V.keys_ipv6.material_client);
    expect(V.keys_ipv6.material_client_len).toBe(246);
    expectKeys(p, V.keys_ipv6);
  });

  test("keys_ipv4_nat: --nat-info replaces the proxy's local address", () => {
    const nat = createNatTable([{ local: "192.0.2.10", global: "203.0.113.5" }]);
    const p = { ...base, clientIpv4: nat.translate(base.clientIpv4), serverIpv4: nat.translate(base.serverIpv4) };
    expect(hex(buildKeyMaterial(p, "CLIENT"))).toBe(V.keys_ipv4_nat.material_client);
    expectKeys(p, V.keys_ipv4_nat);
  });

  test("an IPv4-mapped peer counts as IPv4", () => {
    expect(toEndpoint("::ffff:198.51.100.20", 1).ipv4).toBe(base.serverIpv4);
    expect(toEndpoint("2001:db8::20", 1).ipv4).toBe(0);
  });

  test("seriyps middle_key_test (production secret, real ME address) is reproduced", () => {
    // inputs as published in seriyps/mtproto_proxy's unit test, copied by backend-vectors.mjs
    const p: KeyMaterialInput = {
      nonceServer: Buffer.from([247, 40, 210, 56, 65, 12, 101, 170, 216, 155, 14, 253, 250, 238, 219, 226]),
      nonceClient: Buffer.from([24, 49, 53, 111, 198, 10, 235, 180, 230, 112, 92, 78, 1, 201, 106, 105]),
      clientTs: 1528396015,
      serverIpv4: ipv4ToHostInt("149.154.162.38")!,
      serverPort: 80,
      clientIpv4: ipv4ToHostInt("80.211.29.34")!,
      clientPort: 54208,
      secret: h(
        "c4f9faca9678e6bb48ad6c7e2ce5c0d24430645d554addeb55419e034da62721d046eaab6e52ab14a95a443ecfb3463e79a05a66612adf9caeda8be9a80da6986fb0a6ff387af84d88ef3a6413713e5c3377f6e1a3d47d99f5e0c56eece8f05c54c490b079e31bef82ff0ee8f2b0a32756d249c5f21269816cb7061b265db212",
      ),
    };
    const k = deriveLinkKeys(p, "client");
    expect(hex(k.write.key)).toBe(V.cross_checks.seriyps_middle_key.key);
    expect(hex(k.write.iv)).toBe(V.cross_checks.seriyps_middle_key.iv);
  });
});

describe("DH variant (schema 3)", () => {
  test("dh_params_select is SHA1 of TL (g, p) and equals the C constant", () => {
    const p = h(
      "8952131b1e3a69ba5f85cf8bd266c12b13831613bd2a4ef835a4d53f9dbb42482dbd462b31d86c816c5977520f1170739ed2ddd6d81b9eb65faaac148753c9e4f072dc11a492730683fa0067826b18c51d7ecba52b826075c0b955e5acafdd74c3795fd9520b480f3be3ba0665338a498ca5daf101760509a38c49e300746408774bb3ed26181a6455766ae9497bb9c3a3ad5cbaf76b73845fbb96bb6d0f684f95d2d39ccbb4a904fab1de4349ce1c2087b6c951ed99f952e34fd1a3fd14833575414729a38be868a4f9ec623a5d24621aba01b255c7e8385d16ac93b02d2a540a7642982d22ada3ccde5c8d266faa25dd2de9f6d49104162f685c45fe34ddab",
    );
    const sel = sha1(h("03000000fe000100"), p).readUInt32LE(0);
    expect(sel).toBe(DH_PARAMS_SELECT);
    expect("0x" + sel.toString(16).padStart(8, "0")).toBe(V.dh.params_select_computed);
  });

  test("296-byte nonce body, XORed material and keys", () => {
    const body = encodeNonce({ keySelect: I.key_select_u32, ts: I.client_ts, nonce: h(I.client_nonce), gA: h(V.dh.g_a) });
    expect(body.length).toBe(296);
    expect(hex(body)).toBe(V.dh.client_nonce_packet_body);
    const d = decodeNonce(body);
    expect(d.ok && d.packet.schema === 3 && hex(d.packet.gA!) === V.dh.g_a).toBe(true);
    const p = { ...base, tempKey: h(V.dh.g_ab) };
    expect(buildKeyMaterial(p, "CLIENT").length).toBe(V.dh.material_client_xored_len);
    expect(hex(buildKeyMaterial(p, "CLIENT"))).toBe(V.dh.material_client_xored);
    expectKeys(p, V.dh);
  });

  test("the proxy rejects an ME that insists on DH (−7), as C does", () => {
    const d = decodeNonce(encodeNonce({ keySelect: I.key_select_u32, ts: I.server_ts, nonce: h(I.server_nonce), gA: h(V.dh.g_b) }));
    expect(d.ok).toBe(true);
    if (d.ok) expect(checkMiddleNonce(d.packet, { keySelect: I.key_select_u32, ts: I.client_ts })).toMatchObject({ ok: false, code: -7 });
  });
});

describe("exchange_ipv4, byte for byte", () => {
  const S = V.exchange_ipv4.steps;
  const X = V.exchange_ipv4.inputs;
  const proxyPid: ProcessId = X.proxy_pid;
  const mePid: ProcessId = X.me_pid;
  const keys = deriveLinkKeys(base, "client");

  test("steps 0-1: plaintext nonces", () => {
    const enc = new FrameEncoder();
    const ours = enc.encode([encodeNonce({ keySelect: I.key_select_u32, ts: I.client_ts, nonce: h(I.client_nonce) })], false);
    expect(hex(ours)).toBe(S[0]!.wire!);
    const dec = new FrameDecoder();
    dec.push(h(S[1]!.wire!));
    const r = dec.next();
    expect(r.kind).toBe("packet");
    if (r.kind !== "packet") return;
    expect(r.seq).toBe(-2);
    const n = decodeNonce(r.body);
    expect(n.ok).toBe(true);
    if (!n.ok) return;
    expect(hex(n.packet.nonce)).toBe(I.server_nonce);
    expect(checkMiddleNonce(n.packet, { keySelect: I.key_select_u32, ts: I.client_ts })).toEqual({ ok: true });
    expect(dec.bufferedBytes).toBe(0);
  });

  test("steps 2-8: handshake, PROXY_REQ, answers, PONG + CLOSE_CONN, CLOSE_EXT with one CBC chain per direction", () => {
    // proxy -> ME
    const out = new FrameEncoder();
    out.seq = -1;
    const cipher = createAesCbcEncryptor(keys.write.key, keys.write.iv);
    const hs = encodeHandshake({ flags: RPCF_USE_CRC32C, sender: proxyPid, peer: peerPidOf(ipv4ToHostInt("198.51.100.20")!, 8888) });
    expect(peerPidOf(ipv4ToHostInt("198.51.100.20")!, 8888)).toEqual(X.peer_pid_sent_by_proxy);
    const p2 = out.encode([hs], true);
    expect(hex(p2)).toBe(S[2]!.plaintext!);
    expect(hex(cipher.update(p2))).toBe(S[2]!.wire!);

    // ME -> proxy handshake
    const decipher = createAesCbcDecryptor(keys.read.key, keys.read.iv);
    const dec = new FrameDecoder();
    dec.expectedSeq = -1;
    dec.push(decipher.update(h(S[3]!.wire!)));
    const r3 = dec.next();
    expect(r3.kind).toBe("packet");
    if (r3.kind !== "packet") return;
    const hc = checkMiddleHandshake(r3.body, proxyPid, RPCF_USE_CRC32C);
    expect(hc.ok).toBe(true);
    if (!hc.ok) return;
    expect(hc.useCrc32c).toBe(true);
    expect(hc.packet.sender).toEqual(mePid);
    expect(dec.next().kind).toBe("need-more");
    expect(dec.paddingWords).toBe(1);
    out.useCrc32c = dec.useCrc32c = true;

    // step 4: PROXY_REQ as two parts, continuing the chain
    const payload = h(X.mtproto_payload);
    const flags = proxyReqFlags("abridged", "encrypted", false, true);
    expect("0x" + flags.toString(16)).toBe(X.proxy_req_flags);
    const head = encodeProxyReqHead({
      flags,
      connId: BigInt(X.conn_id),
      client: toEndpoint("203.0.113.77", 51234),
      proxy: toEndpoint("192.0.2.10", 443),
      tag: h(X.proxy_tag),
    });
    expect(hex(Buffer.concat([head, payload]))).toBe(S[4]!.body!);
    const p4 = out.encode([[head, payload]], true);
    expect(hex(p4)).toBe(S[4]!.plaintext!);
    expect(hex(cipher.update(p4))).toBe(S[4]!.wire!);

    // step 5: PROXY_ANS
    dec.push(decipher.update(h(S[5]!.wire!)));
    const r5 = dec.next();
    expect(r5.kind === "packet" && r5.seq === 0).toBe(true);
    if (r5.kind !== "packet") return;
    const ans = decodeMiddlePacket(r5.body);
    expect(ans).toMatchObject({ type: "proxy-ans", flags: 0, connId: BigInt(X.conn_id) });
    if (ans.type === "proxy-ans") expect(hex(ans.payload)).toBe(X.answer_payload);
    expect(hex(Buffer.concat([encodeProxyAnsHead(0, BigInt(X.conn_id)), h(X.answer_payload)]))).toBe(S[5]!.body!);

    // step 6: SIMPLE_ACK + PING in one flush, padding only at the end
    dec.push(decipher.update(h(S[6]!.wire!)));
    const r6a = dec.next();
    const r6b = dec.next();
    expect(r6a.kind === "packet" && r6b.kind === "packet").toBe(true);
    if (r6a.kind !== "packet" || r6b.kind !== "packet") return;
    expect(decodeMiddlePacket(r6a.body)).toEqual({ type: "simple-ack", connId: BigInt(X.conn_id), confirm: 0xefbeadde });
    const ping = decodeMiddlePacket(r6b.body);
    expect(ping.type).toBe("ping");
    expect(dec.next().kind).toBe("need-more");
    expect(dec.paddingWords).toBe(1 + 1 + 3);
    // our encoders give the same ME-side bytes
    const meOut = new FrameEncoder();
    meOut.seq = 1;
    meOut.useCrc32c = true;
    expect(hex(meOut.encode([encodeSimpleAck(BigInt(X.conn_id), 0xefbeadde), encodePing(0x0102030405060708n)], true))).toBe(S[6]!.plaintext!);

    // step 7: PONG + CLOSE_CONN
    if (ping.type !== "ping") return;
    const p7 = out.encode([encodePong(ping.id), encodeCloseConn(BigInt(X.conn_id))], true);
    expect(hex(p7)).toBe(S[7]!.plaintext!);
    expect(hex(cipher.update(p7))).toBe(S[7]!.wire!);

    // step 8: CLOSE_EXT
    dec.push(decipher.update(h(S[8]!.wire!)));
    const r8 = dec.next();
    expect(r8.kind === "packet" && r8.seq === 3).toBe(true);
    if (r8.kind === "packet") expect(decodeMiddlePacket(r8.body)).toEqual({ type: "close-ext", connId: BigInt(X.conn_id) });
    expect(hex(encodeCloseExt(BigInt(X.conn_id)))).toBe("a234b65e" + "0700400100000000");
  });

  test("ME-side handshake reply (step 3 plaintext) from our encoder", () => {
    const enc = new FrameEncoder();
    enc.seq = -1;
    const body = encodeHandshake({ flags: RPCF_USE_CRC32C, sender: mePid, peer: proxyPid });
    expect(hex(enc.encode([body], true))).toBe(S[3]!.plaintext!);
  });
});

describe("handshake extras", () => {
  test("handshake_error_example", () => {
    expect(hex(encodeHandshakeError(V.handshake_error_example.code, V.exchange_ipv4.inputs.proxy_pid))).toBe(V.handshake_error_example.body);
  });

  test("production ME handshake reply: CRC32 valid, flags 0, sender 10.66.153.134:2399, peer is the echo", () => {
    const plain = h(V.cross_checks.production_me_handshake_reply.plain);
    const dec = new FrameDecoder();
    dec.expectedSeq = -1;
    dec.push(plain);
    const r = dec.next();
    expect(r.kind).toBe("packet");
    if (r.kind !== "packet") return;
    const d = decodeHandshake(r.body);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.packet.flags).toBe(0);
    expect(d.packet.sender.ip).toBe(ipv4ToHostInt("10.66.153.134")!);
    expect(d.packet.sender.port).toBe(2399);
    expect(Buffer.from(r.body.subarray(20, 32)).toString("latin1")).toBe("IPIPPRPDTIME");
    // with the sender pid seriyps used ("IPIPPRPDTIME"), the echo passes matches_pid and CRC32 stays on
    const dv = new DataView(r.body.buffer, r.body.byteOffset + 20, 12);
    const theirs = { ip: dv.getUint32(0, true), port: dv.getUint16(4, true), pid: dv.getUint16(6, true), utime: dv.getInt32(8, true) };
    const c = checkMiddleHandshake(r.body, theirs, RPCF_USE_CRC32C);
    expect(c.ok && !c.useCrc32c).toBe(true);
  });

  test("peer_pid that does not match ours is rejected with −4 and an error packet", () => {
    const me: ProcessId = { ip: 1, port: 2, pid: 3, utime: 4 };
    const body = encodeHandshake({ flags: 0, sender: me, peer: { ip: 9, port: 0, pid: 0, utime: 0 } });
    expect(checkMiddleHandshake(body, me, RPCF_USE_CRC32C)).toMatchObject({ ok: false, code: -4, sendError: true });
    const zero = encodeHandshake({ flags: 0, sender: me, peer: { ip: 0, port: 0, pid: 0, utime: 0 } });
    expect(checkMiddleHandshake(zero, me, RPCF_USE_CRC32C).ok).toBe(true);
    const lowFlags = encodeHandshake({ flags: 1, sender: me, peer: me });
    expect(checkMiddleHandshake(lowFlags, me, RPCF_USE_CRC32C)).toMatchObject({ ok: false, code: -7 });
    expect(checkMiddleHandshake(encodeHandshake({ flags: 0x800, sender: me, peer: me }), me, 0)).toMatchObject({ ok: false, code: -8 });
    expect(checkMiddleHandshake(new Uint8Array(36), me, 0)).toMatchObject({ ok: false, code: -2 });
  });
});

test("crc_selftest", () => {
  const s = new TextEncoder().encode("123456789");
  expect(crc32(s).toString(16)).toBe(V.crc_selftest.crc32_expected);
  expect(crc32c(s).toString(16)).toBe(V.crc_selftest.crc32c_expected);
});
