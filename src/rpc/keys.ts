// AES-256-CBC key/IV derivation of the middle-end link: aes_create_keys in net-crypto-aes.c
// (backend-rpc.md §4). The proxy is always the "client"; the ME is the "server".
import { md5, sha1 } from "../crypto/hash.ts";
import type { Endpoint, NatTable } from "./address.ts";

export interface KeyMaterialInput {
  nonceServer: Uint8Array;
  nonceClient: Uint8Array;
  /** The proxy's crypto_ts. */
  clientTs: number;
  /** Host-order IPv4 after NAT translation; 0 on IPv6 connections. */
  serverIpv4: number;
  serverPort: number;
  clientIpv4: number;
  clientPort: number;
  /** Only used when the IPv4 slots are 0. */
  serverIpv6?: Uint8Array;
  clientIpv6?: Uint8Array;
  /** The whole proxy secret (32..256 bytes). */
  secret: Uint8Array;
  /** DH g_ab (256 bytes) when schema 3 was agreed. */
  tempKey?: Uint8Array;
}

export type LinkAddresses = Pick<KeyMaterialInput, "serverIpv4" | "serverPort" | "clientIpv4" | "clientPort" | "serverIpv6" | "clientIpv6">;

/** The address slots of the key material from the link's two ends, IPv4 through the --nat-info table. */
export function linkAddresses(server: Endpoint, client: Endpoint, nat?: NatTable): LinkAddresses {
  return {
    serverIpv4: nat ? nat.translate(server.ipv4) : server.ipv4,
    serverPort: server.port,
    clientIpv4: nat ? nat.translate(client.ipv4) : client.ipv4,
    clientPort: client.port,
    serverIpv6: server.ipv6,
    clientIpv6: client.ipv6,
  };
}

export type KeyPurpose = "CLIENT" | "SERVER";

//  0 nonce_srv(16) | 16 nonce_clt(16) | 32 clt_ts(4) | 36 srv_ip(4) | 40 clt_port(2) |
//  42 "CLIENT"/"SERVER" | 48 clt_ip(4) | 52 srv_port(2) | 54 secret(S) | nonce_srv(16) |
//  [clt_ipv6(16) srv_ipv6(16) on IPv6] | nonce_clt(16), then XOR with the DH temp key
export function buildKeyMaterial(p: KeyMaterialInput, purpose: KeyPurpose): Uint8Array {
  const S = p.secret.length;
  const v6 = p.serverIpv4 === 0;
  const len = 86 + S + (v6 ? 32 : 0);
  const t = p.tempKey;
  const out = new Uint8Array(Math.max(len, t ? t.length : 0));
  const dv = new DataView(out.buffer);
  out.set(p.nonceServer.subarray(0, 16), 0);
  out.set(p.nonceClient.subarray(0, 16), 16);
  dv.setInt32(32, p.clientTs | 0, true);
  dv.setUint32(36, p.serverIpv4 >>> 0, true);
  dv.setUint16(40, p.clientPort & 0xffff, true);
  for (let i = 0; i < 6; i++) out[42 + i] = purpose.charCodeAt(i);
  dv.setUint32(48, (v6 ? 0 : p.clientIpv4) >>> 0, true);
  dv.setUint16(52, p.serverPort & 0xffff, true);
  out.set(p.secret, 54);
  out.set(p.nonceServer.subarray(0, 16), 54 + S);
  let off = 70 + S;
  if (v6) {
    out.set(p.clientIpv6 ?? new Uint8Array(16), off);
    out.set(p.serverIpv6 ?? new Uint8Array(16), off + 16);
    off += 32;
  }
  out.set(p.nonceClient.subarray(0, 16), off);
  if (t) for (let i = 0; i < t.length; i++) out[i]! ^= t[i]!;
  return out;
}

export interface AesKeyIv {
  key: Uint8Array;
  iv: Uint8Array;
}

/** key = MD5(m[1:])[0:12] ‖ SHA1(m), iv = MD5(m[2:]). */
export function keyFromMaterial(m: Uint8Array): AesKeyIv {
  const key = new Uint8Array(32);
  key.set(md5(m.subarray(1)).subarray(0, 12), 0);
  key.set(sha1(m), 12);
  return { key, iv: new Uint8Array(md5(m.subarray(2))) };
}

export interface LinkKeys {
  write: AesKeyIv;
  read: AesKeyIv;
}

/** The proxy ("client") writes with K_C and reads with K_S; the ME the other way round. */
export function deriveLinkKeys(p: KeyMaterialInput, side: "client" | "server"): LinkKeys {
  const kc = keyFromMaterial(buildKeyMaterial(p, "CLIENT"));
  const ks = keyFromMaterial(buildKeyMaterial(p, "SERVER"));
  return side === "client" ? { write: kc, read: ks } : { write: ks, read: kc };
}
