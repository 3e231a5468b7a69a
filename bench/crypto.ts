// `make bench` crypto table: throughput of the primitives on the hot paths (AES-CTR client
// stream, AES-CBC middle-end link, CRC32/CRC32C frame checksums) over 1 MiB buffers.
import { cbcEncryptInPlaceMany, cbcLanesActive, createAesCbcDecryptor, createAesCbcEncryptor, createAesCtr, vaesCbcDecryptActive, vaesCtrActive } from "../src/crypto/aes.ts";
import { crc32, crc32c } from "../src/crypto/crc.ts";
import { hmacSha256, sha256 } from "../src/crypto/hash.ts";
import { seededRandom } from "../src/crypto/random.ts";

const SIZE = 1 << 20;
const BUDGET_MS = Number(process.env.BENCH_ROW_MS ?? 800);
const MAX_ITERS = 100_000;

interface Row {
  name: string;
  value: number;
  unit: string;
}

/** Runs `fn` (which processes `bytes` bytes per call) for about BUDGET_MS after a short warm-up. */
function measure(fn: () => void): { perSec: number; iters: number } {
  for (let i = 0; i < 3; i++) fn();
  let iters = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS && iters < MAX_ITERS) {
    fn();
    iters++;
    elapsed = performance.now() - t0;
  }
  return { perSec: (iters * 1000) / elapsed, iters };
}

const rnd = seededRandom(1);
const key = rnd.bytes(32);
const iv = rnd.bytes(16);
const buf = rnd.bytes(SIZE);
let sink = 0;

const mbps = (name: string, fn: () => void): Row => ({ name, value: (measure(fn).perSec * SIZE) / 1e6, unit: "MB/s" });
const ops = (name: string, fn: () => void): Row => ({ name, value: measure(fn).perSec, unit: "ops/s" });

const ctr = createAesCtr(key, iv);
const cbcEnc = createAesCbcEncryptor(key, iv);
const cbcDec = createAesCbcDecryptor(key, iv);
const small = rnd.bytes(64);
const ctr1k = createAesCtr(key, iv);
const k1 = rnd.bytes(1024);
// four middle-end links flushed in one turn: 4 × 256 KiB through one interleaved pass
const links = Array.from({ length: 4 }, () => createAesCbcEncryptor(rnd.bytes(32), rnd.bytes(16)));
const oneLink = createAesCbcEncryptor(rnd.bytes(32), rnd.bytes(16));
const quarters = Array.from({ length: 4 }, (_, i) => buf.subarray((i * SIZE) / 4, ((i + 1) * SIZE) / 4));

const rows: Row[] = [
  mbps("AES-256-CTR 1 MiB", () => void (sink ^= ctr.update(buf)[0]!)),
  mbps(`AES-256-CTR 1 MiB in place (the data path)${vaesCtrActive() ? ", VAES" : ""}`, () => {
    ctr.updateInPlace(buf);
    sink ^= buf[0]!;
  }),
  mbps("AES-256-CBC encrypt 1 MiB", () => void (sink ^= cbcEnc.update(buf)[0]!)),
  mbps(`AES-256-CBC encrypt, 1 link in place (the ME path)${cbcLanesActive() ? "" : " (lanes off)"}`, () => {
    cbcEncryptInPlaceMany([oneLink], [buf]);
    sink ^= buf[0]!;
  }),
  mbps(`AES-256-CBC encrypt, 4 links × 256 KiB in one pass${cbcLanesActive() ? "" : " (lanes off)"}`, () => {
    cbcEncryptInPlaceMany(links, quarters);
    sink ^= buf[0]!;
  }),
  mbps("AES-256-CBC decrypt 1 MiB", () => void (sink ^= cbcDec.update(buf)[0]!)),
  mbps(`AES-256-CBC decrypt 1 MiB in place (the ME path)${vaesCbcDecryptActive() ? ", VAES" : ""}`, () => {
    cbcDec.updateInPlace(buf);
    sink ^= buf[0]!;
  }),
  mbps("CRC32 1 MiB", () => void (sink ^= crc32(buf))),
  mbps("CRC32C 1 MiB", () => void (sink ^= crc32c(buf))),
  mbps("AES-256-CTR in 1 KiB updates", () => {
    for (let i = 0; i < 1024; i++) sink ^= ctr1k.update(k1)[0]!;
  }),
  ops("SHA-256 64 B", () => void (sink ^= sha256(small)[0]!)),
  ops("HMAC-SHA256 64 B", () => void (sink ^= hmacSha256(key, small)[0]!)),
];

const width = Math.max(...rows.map((r) => r.name.length));
console.log(`${"primitive".padEnd(width)}  ${"rate".padStart(12)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(width)}  ${r.value.toFixed(r.value >= 100 ? 0 : 1).padStart(12)} ${r.unit}`);
}
if (sink === 0x1234567) console.log(""); // keep results observable so nothing is optimised away
