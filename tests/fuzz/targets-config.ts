// Fuzz targets for the text inputs an operator or a download provides: proxy-multi.conf (scan and
// full parse with an injected resolver), /etc/hosts, the --aes-pwd proxy secret, the
// --mtproto-secret-file format and client secrets (hex / base64url / base64, plain / dd / ee).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseHostsFile } from "../../src/config/hosts-file.ts";
import { formatIpv4, formatIpv6, inetAton, isDigitsDots, parseIpv4Strict, parseIpv6 } from "../../src/config/ip-address.ts";
import { ipv6ToBytes } from "../../src/rpc/address.ts";
import { parseConfig, scanConfig } from "../../src/config/parse.ts";
import { checkProxySecret, MAX_PWD_CONFIG_LEN } from "../../src/config/proxy-secret.ts";
import { classifySecretBytes, formatClientSecret, makeClientSecret, parseClientSecret } from "../../src/config/client-secret.ts";
import { MAX_MTFRONT_SECRETS, parseSecretFile } from "../../src/cli/secret-file.ts";
import { bytesInput, chance, EXTREMES, mutate, pick, randomBytes, type Rng } from "./generators.ts";
import type { FuzzTarget } from "./harness.ts";

const FIXTURES = join(import.meta.dir, "..", "config", "fixtures");
const utf8 = new TextEncoder();
const decodeUtf8 = (b: Uint8Array): string => new TextDecoder().decode(b);

const WORDS = ["proxy", "proxy_for", "default", "timeout", "min_connections", "max_connections", "proxy_forx", "Proxy", "eof"];
const NUMBERS = ["0", "1", "-1", "2", "-2", "10", "30000", "30001", "-32768", "32767", "32768", "-32769", "65535", "65536", "4294967296", "99999999999999999999", "+5", "0x10", "007"];
const HOSTS = ["127.0.0.1", "149.154.175.50", "[::1]", "[2001:b28:f23d:f001::a]", "[::ffff:1.2.3.4]", "dc1.example", "localhost", "1.2.3", "0x7f.1", "256.1.1.1", "[", "[]", "a".repeat(63), "b".repeat(64), "[" + "1:".repeat(40) + "]"];
const PUNCT = [":", ";", " ", "\t", "\n", "\r\n", "# comment\n", "#", "\0", "\u00e9", ":;"];

/** A token soup close to the grammar: keywords, ids, hosts, ports and separators in random order. */
function configSoup(rng: Rng): Uint8Array {
  const parts: string[] = [];
  for (let n = 1 + rng.int(40); n > 0; n--) {
    const r = rng.int(100);
    if (r < 20) parts.push(pick(rng, WORDS), " ");
    else if (r < 40) parts.push(pick(rng, NUMBERS));
    else if (r < 55) parts.push(pick(rng, HOSTS));
    else if (r < 70) parts.push(`proxy_for ${pick(rng, NUMBERS)} ${pick(rng, HOSTS)}:${pick(rng, NUMBERS)};\n`);
    else parts.push(pick(rng, PUNCT));
  }
  return utf8.encode(parts.join(""));
}

function fixtureSeeds(): Uint8Array[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".conf"))
    .map((f) => readFileSync(join(FIXTURES, f)));
}

const GOOD_HOSTS = ["127.0.0.1", "149.154.175.50", "[::1]", "[2001:b28:f23d:f001::a]", "localhost", "dc1", "a.example"];

/** A grammatical file: statements with in-range values (ids, ports, limits), the odd one extreme. */
function configStatements(rng: Rng): Uint8Array {
  const parts: string[] = [];
  for (let n = 1 + rng.int(12); n > 0; n--) {
    const v = (lo: number, hi: number): string => (chance(rng, 90) ? String(lo + rng.int(hi - lo + 1)) : pick(rng, NUMBERS));
    const r = rng.int(100);
    if (r < 60) parts.push(`proxy_for ${v(-5, 5)} ${pick(rng, GOOD_HOSTS)}:${v(1, 65535)};`);
    else if (r < 70) parts.push(`proxy ${pick(rng, GOOD_HOSTS)}:${v(1, 65535)};`);
    else if (r < 80) parts.push(`default ${v(-5, 5)};`);
    else if (r < 88) parts.push(`timeout ${v(10, 30000)};`);
    else parts.push(`${pick(rng, ["min_connections", "max_connections"])} ${v(1, 1000)};`);
    parts.push(pick(rng, ["\n", " ", "\t# c\n", "\r\n"]));
  }
  return utf8.encode(parts.join(""));
}

function configInput(rng: Rng, seeds: Uint8Array[]): Uint8Array {
  const r = rng.int(100);
  if (r < 20) return configSoup(rng);
  if (r < 40) return configStatements(rng);
  if (r < 50) return mutate(rng, configStatements(rng));
  return bytesInput(rng, seeds, 2048);
}

function scanSummary(b: Uint8Array): unknown {
  const s = scanConfig(b, "fuzz.conf");
  return s.ok ? { ok: true, hosts: s.hosts.map((h) => h.text), proxies: s.proxies.map((p) => [p.clusterId, p.host.text, p.port, p.minConnections, p.maxConnections]), def: s.defaultClusterId, timeout: s.timeoutMs } : { ok: false, hosts: s.hosts.map((h) => h.text), error: s.error };
}

export const configScan: FuzzTarget<Uint8Array, unknown> = (() => {
  let seeds: Uint8Array[] | null = null;
  return {
    name: "config-scan",
    makeInput(rng) {
      seeds ??= fixtureSeeds();
      return configInput(rng, seeds);
    },
    run: (b) => scanSummary(b),
    check(s) {
      const r = s as { ok: boolean; error?: string; proxies?: number[][]; timeout?: number; def?: number; hosts: string[] };
      if (!r.ok) return typeof r.error === "string" && r.error.length > 0 ? null : "empty error";
      if (r.proxies!.length === 0) return "ok without a proxy";
      if (r.timeout! < 10 || r.timeout! > 30000) return `timeout ${r.timeout}`;
      if (r.def! < -32768 || r.def! > 32767) return `default ${r.def}`;
      for (const [id, host, port, min, max] of r.proxies! as [number, string, number, number, number][]) {
        if (id < -32768 || id > 32767 || port < 1 || port > 65535) return `id ${id} port ${port}`;
        if (min < 1 || min > max || max > 1000) return `connections ${min}..${max}`;
        if (host.length === 0 || host.length > 63) return `host ${host}`;
      }
      return null;
    },
  };
})();

/** The full parse: every host word resolved through an injected resolver that knows some names. */
export const configParse: FuzzTarget<Uint8Array, unknown> = (() => {
  let seeds: Uint8Array[] | null = null;
  const hosts = new Map([["localhost", "127.0.0.1"], ["dc1", "10.0.0.1"]]);
  const system = async (name: string, family: 4 | 6): Promise<string | null> => {
    const h = name.length % 3;
    if (h === 0) return null;
    if (family === 6) return h === 1 ? "2001:db8::1" : "not-an-address";
    return h === 1 ? "10.1.2.3" : "999.1.1.1";
  };
  return {
    name: "config-parse",
    makeInput(rng) {
      seeds ??= fixtureSeeds();
      return configInput(rng, seeds);
    },
    async run(b) {
      const r = await parseConfig(b, { fileName: "fuzz.conf", loadedAt: 1700000000, hosts, system });
      if (!r.ok) return { ok: false, error: r.error };
      const c = r.config;
      return { ok: true, targets: c.targets.map((t) => [t.key, t.address.family, t.address.port, t.minConnections, t.maxConnections]), clusters: [...c.clusters.keys()], bytes: c.meta.bytes };
    },
    check(s, b) {
      const r = s as { ok: boolean; error?: string; targets?: [string, number, number][]; clusters?: number[]; bytes?: number };
      if (!r.ok) return r.error ? null : "empty error";
      if (r.bytes !== b.length) return "meta.bytes";
      if (r.targets!.length === 0 || r.clusters!.length === 0) return "no targets";
      for (const [key, family, port] of r.targets!) {
        if ((family !== 4 && family !== 6) || port < 1 || port > 65535 || !key.endsWith(`:${port}`)) return `target ${key}`;
      }
      return null;
    },
  };
})();

export const hostsFile: FuzzTarget<Uint8Array, unknown> = {
  name: "hosts-file",
  makeInput(rng) {
    const lines = Array.from({ length: rng.int(12) }, () => `${pick(rng, HOSTS)}${pick(rng, [" ", "\t", "  "])}${pick(rng, ["localhost", "dc1", "a b c", "#x", ""])}${pick(rng, ["\n", "\r\n", " # c\n"])}`);
    return chance(rng, 80) ? mutate(rng, utf8.encode(lines.join(""))) : randomBytes(rng, 2048);
  },
  run(b) {
    const t = parseHostsFile(b);
    return t === null ? null : [...t];
  },
  check(s) {
    if (s === null) return null;
    for (const [k, v] of s as [string, string][]) if (typeof k !== "string" || typeof v !== "string" || k.length === 0) return `entry ${k} → ${v}`;
    return null;
  },
};

// ---- secrets ------------------------------------------------------------------------------------

const HEX32 = "0123456789abcdef0123456789ABCDEF";

export const proxySecret: FuzzTarget<Uint8Array, unknown> = {
  name: "proxy-secret",
  makeInput(rng) {
    const len = chance(rng, 90) ? rng.int(300) : pick(rng, [MAX_PWD_CONFIG_LEN, MAX_PWD_CONFIG_LEN + 1, 255, 256, 257, 31, 32]);
    return rng.bytes(len);
  },
  run(b) {
    const r = checkProxySecret(b, "secret");
    return r.ok ? { ok: true, keySelect: r.secret.keySelect, md5: r.secret.md5Hex, n: r.secret.bytes.length } : { ok: false, lines: r.verboseLines };
  },
  check(s, b) {
    const r = s as { ok: boolean; keySelect?: number; md5?: string; n?: number; lines?: string[] };
    if (r.ok !== (b.length >= 32 && b.length <= 256)) return `ok=${r.ok} for ${b.length} bytes`;
    if (r.ok) return r.keySelect === Buffer.from(b).readUInt32LE(0) && /^[0-9a-f]{32}$/.test(r.md5!) && r.n === b.length ? null : "secret fields";
    return r.lines!.length > 0 ? null : "no message";
  },
};

function secretFileText(rng: Rng): Uint8Array {
  const parts: string[] = [];
  for (let n = rng.int(10); n > 0; n--) {
    parts.push(pick(rng, [HEX32, HEX32.toLowerCase(), "# comment", "", HEX32.slice(1), HEX32 + "0", "ee" + HEX32.slice(2), "\u00e9".repeat(16) + "0".repeat(16)]));
    parts.push(pick(rng, [",", " ", "\t", "\r\n", "\n", ", ", "#x\n"]));
  }
  return utf8.encode(parts.join(""));
}

export const secretFile: FuzzTarget<{ text: Uint8Array; before: number }, unknown> = {
  name: "secret-file",
  makeInput(rng) {
    const text = chance(rng, 85) ? (chance(rng, 50) ? secretFileText(rng) : mutate(rng, secretFileText(rng))) : randomBytes(rng, 512);
    return { text, before: chance(rng, 80) ? rng.int(3) : pick(rng, [126, 127, 128, 200]) };
  },
  run(i) {
    const r = parseSecretFile(decodeUtf8(i.text), "secrets.txt", i.before);
    return r.ok ? { ok: true, secrets: r.secrets.map((s) => Buffer.from(s).toString("hex")) } : { ok: false, messages: r.messages };
  },
  check(s, i) {
    const r = s as { ok: boolean; secrets?: string[]; messages?: string[] };
    if (r.ok) {
      if (r.secrets!.length === 0 || r.secrets!.length + i.before > MAX_MTFRONT_SECRETS) return `${r.secrets!.length} secrets after ${i.before}`;
      return r.secrets!.every((x) => x.length === 32) ? null : "secret not 16 bytes";
    }
    return r.messages!.length > 0 && r.messages!.every((m) => m.length > 0 && !m.includes("undefined")) ? null : `messages ${JSON.stringify(r.messages)}`;
  },
};

export const clientSecret: FuzzTarget<string, unknown> = {
  name: "client-secret",
  makeInput(rng) {
    const key = rng.bytes(16);
    const mode = pick(rng, ["plain", "dd", "ee"] as const);
    const domain = pick(rng, ["example.com", "a", "x".repeat(182), "x".repeat(183), "\u00e9t\u00e9.fr"]);
    const text = formatClientSecret(makeClientSecret(mode, key, mode === "ee" ? domain : null), chance(rng, 50) ? "hex" : "base64url");
    const r = rng.int(100);
    if (r < 10) return text;
    if (r < 20) return Buffer.from(randomBytes(rng, 400)).toString("latin1");
    if (r < 30) return Buffer.from(randomBytes(rng, 250)).toString(pick(rng, ["hex", "base64", "base64url"] as const)) + pick(rng, ["", "=", "==", " ", "\n"]);
    return Buffer.from(mutate(rng, utf8.encode(text))).toString("latin1");
  },
  run(text) {
    const r = parseClientSecret(text);
    if (!r.ok) return { ok: false, error: r.error };
    const s = r.secret;
    // Round trip through the canonical hex form (when re-encoding the domain stays in range).
    const again = formatClientSecret(s, "hex");
    const back = again.length <= 2 * 199 ? parseClientSecret(again) : null;
    return { ok: true, mode: s.mode, key: Buffer.from(s.key).toString("hex"), domain: s.domain, back: back && (back.ok ? [back.secret.mode, Buffer.from(back.secret.key).toString("hex"), back.secret.domain] : back.error) };
  },
  check(s) {
    const r = s as { ok: boolean; mode?: string; key?: string; domain?: string | null; back?: unknown; error?: string };
    if (!r.ok) return r.error ? null : "no error text";
    if (r.key!.length !== 32) return "key not 16 bytes";
    if ((r.mode === "ee") !== (typeof r.domain === "string")) return `mode ${r.mode} with domain ${r.domain}`;
    if (r.back !== null && !Bun.deepEquals(r.back, [r.mode, r.key, r.domain])) return `round trip gave ${JSON.stringify(r.back)}`;
    return null;
  },
};

/** classifySecretBytes over raw bytes (what a decoded link carries). */
export const secretBytes: FuzzTarget<Uint8Array, unknown> = {
  name: "client-secret-bytes",
  makeInput(rng) {
    const b = randomBytes(rng, 260);
    if (b.length > 0 && chance(rng, 60)) b[0] = pick(rng, [0xdd, 0xee, ...EXTREMES.map((x) => x & 0xff)]);
    return b;
  },
  run(b) {
    const r = classifySecretBytes(b);
    return r.ok ? { mode: r.secret.mode, key: r.secret.key.length, domain: r.secret.domain } : { error: r.error };
  },
  check(s, b) {
    const r = s as { mode?: string; key?: number; error?: string };
    if (r.error !== undefined) return null;
    if (r.key !== 16) return "key length";
    if (r.mode === "plain" && b.length !== 16) return "plain from the wrong length";
    if (r.mode === "dd" && (b.length !== 17 || b[0] !== 0xdd)) return "dd from the wrong bytes";
    if (r.mode === "ee" && (b.length < 18 || b[0] !== 0xee)) return "ee from the wrong bytes";
    return null;
  },
};

// ---- IP literals --------------------------------------------------------------------------------

const IP_CHARS = "0123456789abcdefABCDEF:.%[]x ";

/** Random 16 bytes with runs of zero groups (where :: compression and embedded IPv4 forms live). */
function ip6Bytes(rng: Rng): Uint8Array {
  const b = rng.bytes(16);
  for (let g = 0; g < 8; g++) if (chance(rng, 45)) b[2 * g] = b[2 * g + 1] = 0;
  if (chance(rng, 15)) b.fill(0, 0, 10), (b[10] = b[11] = 0xff);
  return b;
}

export const ipAddress: FuzzTarget<{ text: string; bytes: Uint8Array; v4: number }, string | null> = {
  name: "ip-address",
  makeInput(rng) {
    const bytes = ip6Bytes(rng);
    const v4 = rng.int(0x100000000) >>> 0;
    const base = pick(rng, [formatIpv6(bytes), formatIpv4(v4), `::ffff:${formatIpv4(v4)}`, "1.2.3", "0x7f.1", "010.0.0.1"]);
    const text = chance(rng, 20)
      ? Array.from({ length: rng.int(45) }, () => IP_CHARS[rng.int(IP_CHARS.length)]).join("")
      : Buffer.from(mutate(rng, utf8.encode(base))).toString("latin1");
    return { text, bytes, v4 };
  },
  run(i) {
    // Any text: decided without a throw, and a parsed IPv6 formats to text that parses back to it.
    const p6 = parseIpv6(i.text);
    if (p6 !== null && (p6.length !== 16 || !Buffer.from(parseIpv6(formatIpv6(p6)) ?? []).equals(p6))) return `parseIpv6 unstable on ${i.text}`;
    const a6 = ipv6ToBytes(i.text);
    if (a6 !== null && a6.length !== 16) return "ipv6ToBytes length";
    const s4 = parseIpv4Strict(i.text);
    if (s4 !== null && formatIpv4(s4) !== i.text) return `parseIpv4Strict accepted non-canonical ${i.text}`;
    const aton = isDigitsDots(i.text) ? inetAton(i.text) : null;
    if (aton !== null && (aton < 0 || aton > 0xffffffff || !Number.isInteger(aton))) return `inetAton ${aton}`;
    // Round trips from bytes.
    const text6 = formatIpv6(i.bytes);
    if (!Buffer.from(parseIpv6(text6) ?? []).equals(i.bytes)) return `parseIpv6(formatIpv6) for ${text6}`;
    if (!Buffer.from(ipv6ToBytes(text6) ?? []).equals(i.bytes)) return `ipv6ToBytes(formatIpv6) for ${text6}`;
    if (parseIpv4Strict(formatIpv4(i.v4)) !== i.v4 || inetAton(formatIpv4(i.v4)) !== i.v4) return `IPv4 round trip ${formatIpv4(i.v4)}`;
    return null;
  },
  check: (s) => s,
};

export const CONFIG_TARGETS = [configScan, configParse, hostsFile, ipAddress, proxySecret, secretFile, clientSecret, secretBytes] as const;
