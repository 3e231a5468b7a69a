// Fuzz targets for the middle-end link: the incremental len/seq/crc frame decoder, every wire
// decoder (ME packets, PROXY_REQ, NONCE, HANDSHAKE and their checks) and encode→decode round trips.
import { seededRandom } from "../../src/crypto/random.ts";
import type { Endpoint } from "../../src/rpc/address.ts";
import {
  DH_PARAMS_SELECT, RPC_CRYPTO_AES, RPC_CRYPTO_AES_DH, RPC_CRYPTO_AES_EXT, RPC_F_HAS_AD_TAG, RPC_MAX_EXTRA_KEYS, SEQ_NONCE,
} from "../../src/rpc/constants.ts";
import { FrameDecoder, FrameEncoder, type FrameBody } from "../../src/rpc/frame.ts";
import { checkMiddleHandshake, decodeHandshake, encodeHandshake, encodeHandshakeError, type ProcessId } from "../../src/rpc/handshake.ts";
import { checkClientNonce, checkMiddleNonce, decodeNonce, encodeNonce } from "../../src/rpc/nonce.ts";
import {
  classifyClientPacket, decodeMiddlePacket, decodeProxyReq, encodeCloseExt, encodePing, encodePong, encodeProxyAnsHead,
  encodeProxyReqHead, encodeSimpleAck, type MiddlePacket,
} from "../../src/rpc/wire.ts";
import { classifyClientPacket as filterClientPacket } from "../../src/proxy/forward-filter.ts";
import { bytesInput, chance, chunksOf, pick, type Rng } from "./generators.ts";
import type { FuzzTarget } from "./harness.ts";
import backend from "./vectors/backend-vectors.json";

const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const words = (rng: Rng, max: number): Uint8Array => rng.bytes(4 * rng.int(max + 1));
const pid = (rng: Rng): ProcessId => ({ ip: rng.int(0x100000000) >>> 0, port: rng.int(0x10000), pid: rng.int(0x10000), utime: rng.int(0x100000000) | 0 });
const bigId = (rng: Rng): bigint => new DataView(rng.bytes(8).buffer).getBigInt64(0, true);

/** One valid body of every kind the link carries, with random fields. */
function randomBody(rng: Rng): Uint8Array {
  switch (rng.int(10)) {
    case 0:
      return encodeNonce({ keySelect: rng.int(0x100000000), ts: rng.int(0x7fffffff), nonce: rng.bytes(16) });
    case 1:
      return encodeNonce({ keySelect: rng.int(0x100000000), ts: rng.int(0x7fffffff), nonce: rng.bytes(16), extraKeys: Array.from({ length: rng.int(RPC_MAX_EXTRA_KEYS + 1) }, () => rng.int(0x100000000)) });
    case 2:
      return encodeNonce({ keySelect: 1, ts: 1, nonce: rng.bytes(16), gA: rng.bytes(256), extraKeys: rng.int(2) ? [] : [7] });
    case 3:
      return encodeHandshake({ flags: pick(rng, [0, 0x800, rng.int(0x100000000)]), sender: pid(rng), peer: pid(rng) });
    case 4:
      return encodeHandshakeError(rng.int(0x100000000) | 0, pid(rng));
    case 5:
      return Buffer.concat([encodeProxyAnsHead(rng.int(0x100000000), bigId(rng)), words(rng, 64)]);
    case 6:
      return encodeSimpleAck(bigId(rng), rng.int(0x100000000));
    case 7:
      return pick(rng, [encodeCloseExt(bigId(rng)), encodePing(bigId(rng)), encodePong(bigId(rng))]);
    default: {
      const tag = rng.int(3) ? rng.bytes(rng.int(300)) : null;
      const flags = (rng.int(0x100000000) & ~0xc) | (tag ? RPC_F_HAS_AD_TAG : rng.int(2) * 4);
      const v4: Endpoint = { ipv4: rng.int(0x100000000) >>> 0, ipv6: new Uint8Array(16), port: rng.int(0x10000) };
      const head = encodeProxyReqHead({ flags: flags >>> 0, connId: bigId(rng), client: v4, proxy: v4, tag });
      return Buffer.concat([head, words(rng, 64)]);
    }
  }
}

// ---- frames -------------------------------------------------------------------------------------

export interface RpcFrameInput {
  readonly checksum: "crc32" | "crc32c" | "switch";
  readonly maxPacketLen: number;
  readonly bytes: Uint8Array;
}

interface RpcFrameSummary {
  packets: { seq: number; body: Uint8Array }[];
  error: number | null;
  padding: number;
  buffered: number;
}

function frameStreams(): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>([["crc32", []], ["crc32c", []], ["switch", []]]);
  for (let k = 0; k < 24; k++) {
    const rng = seededRandom(700 + k);
    const mode = (["crc32", "crc32c", "switch"] as const)[k % 3];
    const enc = new FrameEncoder();
    enc.useCrc32c = mode === "crc32c";
    const parts: Uint8Array[] = [];
    for (let b = 0; b < 4; b++) {
      const bodies: FrameBody[] = Array.from({ length: 1 + rng.int(3) }, () => randomBody(rng));
      // "switch": the nonce and handshake in CRC32, the rest in CRC32C (what the handshake negotiates).
      if (mode === "switch" && enc.seq >= 0) enc.useCrc32c = true;
      parts.push(enc.encode(mode === "switch" && enc.seq < 0 ? bodies.slice(0, -1 - enc.seq) : bodies, rng.int(2) === 1));
    }
    out.get(mode)!.push(Buffer.concat(parts));
  }
  // The plaintext frames of the recorded exchange (nonces in the clear).
  for (const s of backend.exchange_ipv4.steps) if ("wire" in s && !("plaintext" in s)) out.get("crc32")!.push(Buffer.from(s.wire, "hex"));
  return out;
}

export const rpcFrames: FuzzTarget<RpcFrameInput, RpcFrameSummary> = (() => {
  let seeds: Map<string, Uint8Array[]> | null = null;
  return {
    name: "rpc-frames",
    incremental: true,
    size: (i) => i.bytes.length,
    makeInput(rng) {
      seeds ??= frameStreams();
      const checksum = pick(rng, ["crc32", "crc32c", "switch"] as const);
      return { checksum, maxPacketLen: pick(rng, [0, 0, 1 << 24, 4096, 16]), bytes: bytesInput(rng, seeds.get(checksum)!) };
    },
    run(i, splits) {
      const d = new FrameDecoder(i.maxPacketLen);
      d.useCrc32c = i.checksum === "crc32c";
      const s: RpcFrameSummary = { packets: [], error: null, padding: 0, buffered: 0 };
      outer: for (const c of chunksOf(i.bytes, splits)) {
        d.push(c);
        for (;;) {
          const r = d.next();
          if (r.kind === "need-more") break;
          if (r.kind === "error") {
            s.error = r.code;
            break outer;
          }
          s.packets.push({ seq: r.seq, body: u8(r.body) });
          if (i.checksum === "switch" && r.seq === -1) d.useCrc32c = true;
        }
      }
      s.padding = d.paddingWords;
      s.buffered = d.bufferedBytes;
      return s;
    },
    check(s, i) {
      let want = SEQ_NONCE;
      for (const p of s.packets) {
        if (p.seq !== want++) return `seq ${p.seq} out of order`;
        const n = p.body.length;
        if (n < 4 || n % 4 !== 0 || (i.maxPacketLen > 0 && n + 12 > i.maxPacketLen)) return `body of ${n} bytes`;
      }
      if (s.error !== null && ![-1, -2, -3, -4].includes(s.error)) return `error code ${s.error}`;
      if (s.error !== null && s.buffered !== 0) return "bytes kept after an error";
      return s.buffered > i.bytes.length ? `buffered ${s.buffered}` : null;
    },
  };
})();

// ---- wire decoders ------------------------------------------------------------------------------

const OURS = { ip: 0x0a000005, port: 8888, pid: 4242, utime: 1699999990 };
const MIDDLE_TYPES = new Set(["proxy-ans", "simple-ack", "close-ext", "ping", "pong", "ignored"]);

function runWire(b: Uint8Array): Record<string, unknown> {
  const middle: MiddlePacket = decodeMiddlePacket(b);
  const req = decodeProxyReq(b);
  const nonce = decodeNonce(b);
  const hs = decodeHandshake(b);
  return {
    middle,
    req: req && { payload: req.payload.length, extra: req.extra?.length ?? null, tag: req.tag?.length ?? null },
    nonce: nonce.ok ? { ...nonce.packet, middle: checkMiddleNonce(nonce.packet, { keySelect: 7, ts: 1700000000 }).ok, client: checkClientNonce(nonce.packet, { keySelect: 7, nowSec: 1700000000 }).ok } : nonce,
    handshake: hs.ok ? checkMiddleHandshake(b, OURS, 0x800) : hs,
    cls: classifyClientPacket(b),
    filter: filterClientPacket(b),
  };
}

export const rpcWire: FuzzTarget<Uint8Array, Record<string, unknown>> = (() => {
  let seeds: Uint8Array[] | null = null;
  return {
    name: "rpc-wire",
    makeInput(rng) {
      seeds ??= Array.from({ length: 60 }, (_, k) => randomBody(seededRandom(800 + k)));
      return bytesInput(rng, seeds, 1024);
    },
    run: (b) => runWire(b),
    check(s, b) {
      const m = s.middle as MiddlePacket;
      if (!MIDDLE_TYPES.has(m.type)) return `middle packet type ${m.type}`;
      if (m.type === "proxy-ans" && m.payload.length !== b.length - 16) return "proxy-ans payload length";
      if (m.type === "ping" && m.id.length !== 8) return "ping id length";
      const req = s.req as { payload: number; extra: number | null } | null;
      if (req && (req.payload < 0 || 56 + (req.extra === null ? 0 : 4 + req.extra) + req.payload !== b.length)) return "proxy-req lengths do not add up";
      const n = s.nonce as { ok?: false; extraKeys?: number[]; gA?: Uint8Array | null; schema?: number };
      if (n.ok === undefined && (n.extraKeys!.length > RPC_MAX_EXTRA_KEYS || (n.schema === RPC_CRYPTO_AES_DH) !== (n.gA?.length === 256))) return "nonce fields";
      if (!["encrypted", "unencrypted", "invalid"].includes(s.cls as string)) return `class ${s.cls}`;
      const f = s.filter as ReturnType<typeof filterClientPacket>;
      if (f.kind === "pong" && (f.answer.length !== 12 || Buffer.from(f.answer).readUInt32LE(0) !== 0x8430eaa7)) return "pong answer";
      // The session filter and the wire classifier must agree on what is forwarded (pings aside).
      if (f.kind === "forward" && s.cls !== (f.unencrypted ? "unencrypted" : "encrypted")) return `filter ${f.kind}/${f.unencrypted} vs class ${s.cls}`;
      if (f.kind === "drop" && f.reason !== "ping" && s.cls !== "invalid") return `filter drops (${f.reason}) what the classifier calls ${s.cls}`;
      return null;
    },
  };
})();

// ---- round trips --------------------------------------------------------------------------------

/** Random fields → encode → decode must give the fields back (frames, nonce, handshake, ME packets). */
export const rpcRoundTrip: FuzzTarget<number, string | null> = {
  name: "rpc-roundtrip",
  makeInput: (rng) => rng.int(0x7fffffff),
  run(seed) {
    const rng = seededRandom(seed);
    const bodies = Array.from({ length: 1 + rng.int(4) }, () => randomBody(rng));
    const enc = new FrameEncoder();
    enc.useCrc32c = chance(rng, 50);
    const wire = enc.encode(bodies, chance(rng, 50));
    const dec = new FrameDecoder();
    dec.useCrc32c = enc.useCrc32c;
    dec.push(wire);
    for (const b of bodies) {
      const r = dec.next();
      if (r.kind !== "packet" || !Buffer.from(r.body).equals(b)) return `frame round trip: ${r.kind}`;
    }
    if (dec.next().kind !== "need-more" || dec.bufferedBytes !== 0) return "frame leftovers";

    const keySelect = rng.int(0x100000000);
    const extraKeys = Array.from({ length: rng.int(RPC_MAX_EXTRA_KEYS + 1) }, () => rng.int(0x100000000));
    const schema = pick(rng, [RPC_CRYPTO_AES, RPC_CRYPTO_AES_EXT, RPC_CRYPTO_AES_DH]);
    const init = { keySelect, schema, ts: rng.int(0x7fffffff), nonce: rng.bytes(16), ...(schema === RPC_CRYPTO_AES ? {} : { extraKeys }), ...(schema === RPC_CRYPTO_AES_DH ? { gA: rng.bytes(256) } : {}) };
    const n = decodeNonce(encodeNonce(init));
    if (!n.ok) return `nonce did not decode: ${n.reason}`;
    const p = n.packet;
    if (p.keySelect !== keySelect || p.ts !== init.ts || !Buffer.from(p.nonce).equals(init.nonce) || p.schema !== schema) return "nonce fields";
    if (schema !== RPC_CRYPTO_AES && p.extraKeys.join() !== extraKeys.join()) return "nonce extra keys";
    if (schema === RPC_CRYPTO_AES_DH && (p.dhParamsSelect !== DH_PARAMS_SELECT || !Buffer.from(p.gA!).equals(init.gA!))) return "nonce DH fields";

    const h = { flags: rng.int(0x100000000), sender: pid(rng), peer: pid(rng) };
    const hd = decodeHandshake(encodeHandshake(h));
    if (!hd.ok || !Bun.deepEquals(hd.packet, h)) return "handshake fields";

    const connId = bigId(rng);
    const payload = words(rng, 50);
    const flags = rng.int(0x100000000) | 0;
    const ans = decodeMiddlePacket(Buffer.concat([encodeProxyAnsHead(flags, connId), payload]));
    if (ans.type !== "proxy-ans" || ans.connId !== connId || ans.flags !== flags || !Buffer.from(ans.payload).equals(payload)) return "proxy-ans fields";
    const confirm = rng.int(0x100000000);
    const ack = decodeMiddlePacket(encodeSimpleAck(connId, confirm));
    if (ack.type !== "simple-ack" || ack.connId !== connId || ack.confirm !== confirm) return "simple-ack fields";
    const close = decodeMiddlePacket(encodeCloseExt(connId));
    if (close.type !== "close-ext" || close.connId !== connId) return "close-ext fields";

    const tag = rng.bytes(rng.int(254));
    const reqFlags = (rng.int(0x100000000) | RPC_F_HAS_AD_TAG) >>> 0;
    const ip6 = rng.bytes(16);
    const head = encodeProxyReqHead({ flags: reqFlags, connId, client: { ipv4: 0, ipv6: ip6, port: 1 }, proxy: { ipv4: 0x7f000001, ipv6: new Uint8Array(16), port: 443 }, tag });
    const req = decodeProxyReq(Buffer.concat([head, payload]));
    if (!req || req.connId !== connId || req.flags !== reqFlags || !Buffer.from(req.clientIp).equals(ip6) || !Buffer.from(req.tag ?? []).equals(tag) || !Buffer.from(req.payload).equals(payload)) return "proxy-req fields";
    return null;
  },
  check: (s) => s,
};

export const RPC_TARGETS = [rpcFrames, rpcWire, rpcRoundTrip] as const;
