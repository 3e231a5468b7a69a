// What the `doctor` checks produce and what they are given: one result line per check, and every
// outside-world seam (DNS, clock, HTTP, TCP, TLS, binds, limits) injectable so tests use loopback fakes.
import type { RandomSource } from "../crypto/random.ts";
import type { FetchFn } from "../config/fetch-config.ts";
import type { MiddleConnector } from "../rpc/socket.ts";
import type { ProbeConnect } from "../transport/domain-probe-run.ts";

export type CheckStatus = "PASS" | "WARN" | "FAIL";

export interface CheckResult {
  readonly status: CheckStatus;
  /** Short name: "config file", "middle-end 149.154.175.50:8888", "domain example.com". */
  readonly check: string;
  readonly detail: string;
  /** What to do about it; printed under WARN and FAIL. */
  readonly hint?: string;
}

export type TcpProbe = { ok: true; ms: number } | { ok: false; reason: string };

export interface DoctorDeps {
  /** Every address of a name, both families (getaddrinfo); [] when it does not resolve. */
  resolveAll(name: string): Promise<string[]>;
  /** Is this address one of ours (loopback, an interface, the unspecified address)? */
  isSelfAddress(address: string): boolean;
  /** Addresses of this host's interfaces, for the IPv6 check. */
  interfaceAddresses(): { address: string; family: 4 | 6; internal: boolean }[];
  fetch: FetchFn;
  /** Wall clock, ms since the epoch. */
  nowMs(): number;
  /** The middle-end socket seam (RPC handshake check). */
  middleConnector: MiddleConnector;
  /** A plain TCP connect with a deadline (direct DCs, IPv6). */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<TcpProbe>;
  /** The domain probe's socket seam. */
  probeConnect: ProbeConnect;
  /** Port the -D domains answer TLS on (443; tests move it). */
  tlsPort: number;
  /** Tries to bind host:port exclusively; null when it could, else the reason. */
  tryListen(host: string, port: number): Promise<string | null>;
  /** /proc/self/limits text, or null where there is none. */
  readLimits(): Promise<string | null>;
  random: RandomSource;
  /** Our pid, for the RPC handshake's process id. */
  pid: number;
}

export interface DoctorSettings {
  /** Where the clock is compared: its HTTP Date header. */
  timeUrl: string;
  /** Bound on every network check. */
  timeoutMs: number;
}
