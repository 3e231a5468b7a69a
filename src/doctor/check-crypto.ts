// Which crypto paths this host gets (beyond C, which always uses OpenSSL): the CPU-instruction paths
// (crypto/crc32c-native.ts, aes-cbc-lanes.ts, aes-ctr-vaes.ts, aes-cbc-decrypt-vaes.ts) and the system
// libcrypto (aes-native.ts). Each loads, compiles and self-checks here exactly as the proxy would.
import { cbcLanesActive, nativeAesActive, vaesCbcDecryptActive, vaesCtrActive } from "../crypto/aes.ts";
import { nativeCrc32c } from "../crypto/crc.ts";
import type { CheckResult } from "./types.ts";

export function checkCrypto(): CheckResult {
  const openssl = nativeAesActive();
  const fallback = openssl ? "libcrypto" : "node:crypto";
  const parts = [
    `CRC32C ${nativeCrc32c() !== null ? "crc32 instruction" : "table code"}`,
    `AES-CTR ${vaesCtrActive() ? "VAES" : fallback}`,
    `CBC encrypt ${cbcLanesActive() ? "AES-NI lanes" : fallback}`,
    `CBC decrypt ${vaesCbcDecryptActive() ? "VAES" : fallback}`,
  ];
  if (openssl) return { status: "PASS", check: "crypto paths", detail: parts.join(", ") };
  return {
    status: "WARN",
    check: "crypto paths",
    detail: `${parts.join(", ")}; no system libcrypto`,
    hint: "install OpenSSL 3 (libcrypto.so.3, e.g. the libssl3 package): without it the streams the CPU paths do not cover run through node:crypto, with a fresh buffer per call",
  };
}
