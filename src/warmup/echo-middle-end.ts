// The far end of the start-up warm-up (warm-up.ts): a loopback middle end that speaks the server
// side of the RPC link (nonce → keys → handshake with CRC32C → tunnel, backend-rpc.md §3–§7) and
// answers every RPC_PROXY_REQ with its payload as RPC_PROXY_ANS (and an RPC_SIMPLE_ACK when the
// request asks for one). It serves the proxy's own MiddleConnection only: not a test double of C.
import type { Socket, TCPSocketListener } from "bun";
import { createAesCbcDecryptor, createAesCbcEncryptor, type CbcStream } from "../crypto/aes.ts";
import type { ProxySecret } from "../config/proxy-secret.ts";
import type { RandomSource } from "../crypto/random.ts";
import { WriteQueue } from "../io/write-queue.ts";
import { toEndpoint } from "../rpc/address.ts";
import { RPC_F_QUICKACK, RPCF_USE_CRC32C } from "../rpc/constants.ts";
import { FrameDecoder, FrameEncoder, type FrameBody } from "../rpc/frame.ts";
import { decodeHandshake, encodeHandshake, type ProcessId } from "../rpc/handshake.ts";
import { deriveLinkKeys, linkAddresses } from "../rpc/keys.ts";
import { checkClientNonce, decodeNonce, encodeNonce } from "../rpc/nonce.ts";
import { decodeProxyReq, encodeProxyAnsHead, encodeSimpleAck } from "../rpc/wire.ts";

/** Who the echo end says it is in its handshake (the proxy ignores the ME's pid, as C does). */
const ECHO_PID: ProcessId = { ip: 0x7f000001, port: 0, pid: 1, utime: 0 };

interface Link {
  stage: "nonce" | "handshake" | "tunnel";
  readonly decoder: FrameDecoder;
  readonly encoder: FrameEncoder;
  readonly queue: WriteQueue;
  cipher: CbcStream | null;
  decipher: CbcStream | null;
}

export interface EchoMiddleEnd {
  readonly port: number;
  /** RPC_PROXY_REQ packets answered so far. */
  readonly answered: number;
  stop(): void;
}

/** Listens on 127.0.0.1 (a port the OS picks) for links keyed with `secret` (an --aes-pwd). */
export function startEchoMiddleEnd(secret: Pick<ProxySecret, "bytes" | "keySelect">, random: RandomSource): EchoMiddleEnd {
  const keySelect = secret.keySelect;
  const links = new Map<Socket<undefined>, Link>();
  let answered = 0;

  const send = (l: Link, bodies: readonly FrameBody[]): void => {
    const plain = l.encoder.encode(bodies, l.cipher !== null);
    l.queue.write(l.cipher ? l.cipher.update(plain) : plain);
  };

  const onNonce = (s: Socket<undefined>, l: Link, body: Uint8Array): boolean => {
    const d = decodeNonce(body);
    const now = Math.floor(Date.now() / 1000);
    if (!d.ok || !checkClientNonce(d.packet, { keySelect, nowSec: now }).ok) return false;
    const nonce = random.bytes(16);
    send(l, [encodeNonce({ keySelect, ts: now, nonce })]);
    const ends = linkAddresses(toEndpoint(s.localAddress, s.localPort), toEndpoint(s.remoteAddress, s.remotePort));
    const keys = deriveLinkKeys({ nonceServer: nonce, nonceClient: d.packet.nonce, clientTs: d.packet.ts, ...ends, secret: secret.bytes }, "server");
    l.cipher = createAesCbcEncryptor(keys.write.key, keys.write.iv);
    l.decipher = createAesCbcDecryptor(keys.read.key, keys.read.iv);
    l.stage = "handshake";
    return true;
  };

  const onHandshake = (l: Link, body: Uint8Array): boolean => {
    const d = decodeHandshake(body);
    if (!d.ok) return false;
    const granted = d.packet.flags & RPCF_USE_CRC32C;
    send(l, [encodeHandshake({ flags: granted, sender: ECHO_PID, peer: d.packet.sender })]);
    l.encoder.useCrc32c = l.decoder.useCrc32c = granted !== 0;
    l.stage = "tunnel";
    return true;
  };

  const onTunnel = (l: Link, body: Uint8Array): void => {
    const q = decodeProxyReq(body);
    if (!q) return; // RPC_CLOSE_CONN, pings: nothing to answer
    answered++;
    const answer: FrameBody[] = [[encodeProxyAnsHead(0, q.connId), q.payload]];
    // a real ME's token has its top bit set (client-side.md §3.8): clients tell it from a length by it
    if ((q.flags & RPC_F_QUICKACK) !== 0) answer.push(encodeSimpleAck(q.connId, (0x80000000 | answered) >>> 0));
    send(l, answer);
  };

  /** One packet in the link's stage; false ends the link. */
  const onPacket = (s: Socket<undefined>, l: Link, body: Uint8Array): boolean => {
    switch (l.stage) {
      case "nonce":
        return onNonce(s, l, body);
      case "handshake":
        return onHandshake(l, body);
      case "tunnel":
        onTunnel(l, body);
        return true;
    }
  };

  const onData = (s: Socket<undefined>, chunk: Uint8Array): void => {
    const l = links.get(s);
    if (!l) return;
    l.decoder.push(l.decipher ? l.decipher.update(chunk) : chunk);
    for (;;) {
      const r = l.decoder.next();
      if (r.kind === "need-more") return;
      if (r.kind === "error" || !onPacket(s, l, r.body)) {
        s.terminate();
        return;
      }
    }
  };

  /** The link is gone: its cipher contexts (in libcrypto) are released now, not by the collector. */
  const forget = (s: Socket<undefined>): void => {
    const l = links.get(s);
    if (!l) return;
    links.delete(s);
    l.cipher?.free();
    l.decipher?.free();
  };

  const listener: TCPSocketListener<undefined> = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(s) {
        const queue = new WriteQueue(s, { flushMode: "immediate", highWaterMark: 8 << 20, maxPendingBytes: 64 << 20 });
        links.set(s, { stage: "nonce", decoder: new FrameDecoder(), encoder: new FrameEncoder(), queue, cipher: null, decipher: null });
      },
      data: onData,
      drain: (s) => links.get(s)?.queue.flush(),
      close: forget,
      error: forget,
    },
  });

  return {
    port: listener.port,
    get answered() {
      return answered;
    },
    stop() {
      for (const s of [...links.keys()]) {
        s.terminate();
        forget(s);
      }
      listener.stop(true);
    },
  };
}
