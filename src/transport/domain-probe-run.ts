// The socket half of the start-up domain probe: 20 parallel TLS hellos to <address>:443 within 5 s,
// every answer parsed by domain-probe.ts; any failure fails the whole probe (caller falls back).
// Mirrors net-tcp-rpc-ext-server.c: update_domain_info (client-side.md §4.2). DNS is the caller's job.

import type { RandomSource } from "../crypto/random.ts";
import {
  buildProbeClientHello,
  combineProbeAnswers,
  parseProbeResponse,
  PROBE_CONNECTIONS,
  PROBE_TIMEOUT_MS,
  type CombinedProbe,
  type ProbeAnswer,
} from "./domain-probe.ts";

export interface ProbeSocket {
  write(data: Uint8Array): void;
  end(): void;
}

/** Opens a TCP connection and reports its bytes; injectable for tests. */
export type ProbeConnect = (
  host: string,
  port: number,
  handlers: { data(chunk: Uint8Array): void; close(): void },
) => Promise<ProbeSocket>;

export const bunProbeConnect: ProbeConnect = async (host, port, h) => {
  const s = await Bun.connect({
    hostname: host,
    port,
    socket: { data: (_s, chunk) => h.data(chunk), close: () => h.close(), error: () => h.close() },
  });
  // 517 bytes fit any fresh socket buffer; C also treats a short write as a failure.
  return { write: (d) => void s.write(d), end: () => s.end() };
};

export interface ProbeOptions {
  readonly domain: string;
  readonly address: string;
  readonly port?: number;
  readonly random: RandomSource;
  readonly keyShare: () => Uint8Array;
  readonly connect?: ProbeConnect;
  readonly connections?: number;
  readonly timeoutMs?: number;
}

export type ProbeResult = { readonly ok: true; readonly profile: CombinedProbe } | { readonly ok: false; readonly reason: string };

export function probeDomain(o: ProbeOptions): Promise<ProbeResult> {
  const count = o.connections ?? PROBE_CONNECTIONS;
  const connect = o.connect ?? bunProbeConnect;
  const sockets: ProbeSocket[] = [];
  const answers: ProbeAnswer[] = [];
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const s of sockets) s.end();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `no answer from ${o.domain} in ${o.timeoutMs ?? PROBE_TIMEOUT_MS} ms` }), o.timeoutMs ?? PROBE_TIMEOUT_MS);
    for (let i = 0; i < count; i++) {
      const hello = buildProbeClientHello(o.domain, o.random, o.keyShare);
      const sessionId = hello.subarray(44, 76);
      let buf = Buffer.alloc(0);
      let answered = false;
      connect(o.address, o.port ?? 443, {
        data(chunk) {
          if (answered || done) return;
          buf = Buffer.concat([buf, chunk]);
          const r = parseProbeResponse(buf, sessionId);
          if (r.kind === "need-more") return;
          if (r.kind === "error") return finish({ ok: false, reason: `${o.domain}: ${r.reason}` });
          answered = true;
          answers.push({ reversed: r.reversed, encryptedSize: r.encryptedSize });
          if (answers.length === count) finish({ ok: true, profile: combineProbeAnswers(answers) });
        },
        close() {
          if (!answered) finish({ ok: false, reason: `${o.domain}: connection closed before a full answer` });
        },
      }).then(
        (s) => {
          if (done) return s.end();
          sockets.push(s);
          s.write(hello);
        },
        (err: unknown) => finish({ ok: false, reason: `${o.domain}: connect failed: ${String(err)}` }),
      );
    }
  });
}
