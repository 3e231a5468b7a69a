// The client data plane of one process: prepares the -D domains, binds every -H port and runs one
// ClientSession per accepted socket against the middle end (or the direct relay). What the server
// (and each -M worker) starts. Mirrors mtproto-proxy.c: mtfront_pre_loop (listening sockets) and
// net-tcp-rpc-ext-server.c: tcp_rpc_init_proxy_domains (client-side.md §0, §4.2, §6).
import type { ProxyOptions } from "../cli/proxy-options.ts";
import { systemRandom, type RandomSource } from "../crypto/random.ts";
import type { Logger } from "../log.ts";
import type { HandshakeConfig } from "../transport/client-handshake.ts";
import type { ProbeConnect } from "../transport/domain-probe-run.ts";
import { x25519PublicKey } from "../transport/faketls-response.ts";
import { INIT_REPLAY_DEFAULT_MAX_ENTRIES, ReplayCache } from "../transport/replay-cache.ts";
import { AcceptLimiter } from "./accept-limits.ts";
import { listenClientPort, type ClientListener } from "./acceptor.ts";
import { bunOutboundConnector, type OutboundConnector } from "./client-socket.ts";
import { createSessionCounters, type SessionCounters } from "./counters.ts";
import type { DirectUpstream } from "./direct-contract.ts";
import { frontingTargetOf, prepareDomains, type PreparedDomain } from "./domains.ts";
import type { MiddleEnd } from "./middle-contract.ts";
import { MemoryReclaimer } from "./memory-reclaim.ts";
import { OutputBudget } from "./output-budget.ts";
import { ClientSession, SESSION_DEFAULTS, type SessionEnv, type SessionLimits } from "./session.ts";

/** How long stop() waits for closed sockets to report closed before cutting them. */
export const STOP_GRACE_MS = 2_000;
/** C's MSG_DEFAULT_MAX_ALLOCATED_BYTES (--msg-buffers-size). */
export const DEFAULT_MSG_BUFFERS_BYTES = 1 << 28;

/**
 * Bytes all sessions may hold for their clients: a quarter of --msg-buffers-size (64 MiB by
 * default), since each held byte was allocated ~3 times on its way (decrypt, frame, encrypt) and
 * that garbage also sits in RSS until collected: the whole process should stay near the figure.
 */
export function outputBudgetBytes(msgBuffersSize: number | undefined): number {
  return Math.max(1 << 20, Math.floor((msgBuffersSize ?? DEFAULT_MSG_BUFFERS_BYTES) / 4));
}

export interface DataPlaneDeps {
  options: Pick<
    ProxyOptions,
    | "httpPorts"
    | "ipv6"
    | "address"
    | "secrets"
    | "domains"
    | "tlsStrict"
    | "maxSpecialConnections"
    | "maxAcceptRate"
    | "windowClamp"
    | "direct"
    | "workers"
  > &
    Partial<Pick<ProxyOptions, "msgBuffersSize">>;
  log: Logger;
  middle: MiddleEnd | null;
  direct: DirectUpstream | null;
  reusePort: boolean;
  random?: RandomSource;
  nowSec?: () => number;
  // ---- test seams (all optional; production leaves them unset)
  /** Overrides where a domain is fronted (tests: a loopback fake origin). */
  frontingTarget?: (domain: string) => { host: string; port: number } | null;
  /** Start-up probe: name resolution, socket factory and port (443). */
  domainProbe?: { resolve?: (name: string) => Promise<string | null>; connect?: ProbeConnect; port?: number; timeoutMs?: number };
  connect?: OutboundConnector;
  limits?: Partial<SessionLimits>;
  replay?: ReplayCache;
  /** Beyond C: the obfuscated2 init replay cache of plain/dd clients (null turns the check off). */
  initReplay?: ReplayCache | null;
  /** Garbage collection after bursts (memory-reclaim.ts); null turns it off. Default: Bun.gc. */
  reclaimer?: MemoryReclaimer | null;
}

/** A data plane on 127.0.0.1 at a port the OS picks, without -D or limits (the warm-up's, and tests'). */
export function loopbackPlaneOptions(secrets: DataPlaneDeps["options"]["secrets"]): DataPlaneDeps["options"] {
  return {
    httpPorts: [0],
    ipv6: false,
    address: "127.0.0.1",
    secrets,
    domains: [],
    tlsStrict: false,
    maxSpecialConnections: 0,
    maxAcceptRate: 0,
    windowClamp: 0,
    direct: false,
    workers: 0,
  };
}

export interface DataPlane {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly counters: SessionCounters;
  readonly activeClients: number;
  /** The process-wide cap on bytes held for clients; `shedCount` sessions were closed by it. */
  readonly budget: OutputBudget;
  readonly listeningPorts: number[];
  /** The prepared -D domains (after start()). */
  readonly domains: ReadonlyMap<string, PreparedDomain>;
}

export function createDataPlane(deps: DataPlaneDeps): DataPlane {
  const o = deps.options;
  const random = deps.random ?? systemRandom;
  const nowSec = deps.nowSec ?? (() => Math.floor(Date.now() / 1000));
  const counters = createSessionCounters();
  const replay = deps.replay ?? new ReplayCache();
  const initReplay = deps.initReplay === undefined ? new ReplayCache({ maxEntries: INIT_REPLAY_DEFAULT_MAX_ENTRIES }) : deps.initReplay;
  const budget = new OutputBudget(outputBudgetBytes(o.msgBuffersSize));
  const reclaimer =
    deps.reclaimer === undefined
      ? new MemoryReclaimer({
          rssBytes: () => process.memoryUsage.rss(),
          collect: () => Bun.gc(true),
          activity: () => counters.bytesFromClients + counters.bytesToClients,
        })
      : deps.reclaimer;
  const sessions = new Set<ClientSession>();
  const listeners: ClientListener[] = [];
  const limiter = new AcceptLimiter(o.maxSpecialConnections, o.maxAcceptRate);
  let domains = new Map<string, PreparedDomain>();
  let env: SessionEnv | null = null;
  let state: "new" | "starting" | "running" | "stopped" = "new";
  let goneWaiter: (() => void) | null = null;

  const buildEnv = (): SessionEnv => {
    const tls =
      o.domains.length === 0
        ? null
        : {
            secrets: o.secrets,
            domains: new Map([...domains].map(([name, d]) => [name, d.profile])),
            defaultDomain: o.domains[0]!,
            strictHello: o.tlsStrict,
          };
    // direct mode relays the decrypted stream unparsed (direct-contract.ts)
    const handshake: HandshakeConfig = { secrets: o.secrets, tls, raw: deps.direct !== null };
    const override = deps.frontingTarget;
    return {
      handshake,
      replay,
      initReplay: initReplay ?? undefined,
      random,
      nowSec,
      keyShare: x25519PublicKey,
      middle: deps.middle,
      direct: deps.direct,
      counters,
      log: deps.log,
      frontingTarget: override
        ? (domain) => override(domain)
        : (domain, localPort) => frontingTargetOf(domains.get(domain), localPort),
      connect: deps.connect ?? bunOutboundConnector,
      limits: { ...SESSION_DEFAULTS, ...deps.limits },
      budget,
      onGone: (s) => {
        sessions.delete(s);
        if (sessions.size === 0) goneWaiter?.();
      },
    };
  };

  return {
    async start() {
      if (state !== "new") throw new Error("data plane already started");
      state = "starting";
      if (o.domains.length > 0) {
        domains = await prepareDomains(o.domains, {
          log: deps.log,
          random,
          keyShare: x25519PublicKey,
          ...deps.domainProbe,
        });
      }
      env = buildEnv();
      const sessionEnv = env;
      const hostname = o.ipv6 ? "::" : (o.address ?? "0.0.0.0");
      try {
        for (const port of o.httpPorts) {
          listeners.push(
            listenClientPort({
              hostname,
              port,
              reusePort: deps.reusePort,
              limiter,
              counters,
              createSession: (socket) => {
                const s = new ClientSession(socket, sessionEnv);
                sessions.add(s);
                return s;
              },
            }),
          );
        }
      } catch (err) {
        for (const l of listeners.splice(0)) l.stop(false);
        state = "stopped";
        throw err;
      }
      state = "running";
      reclaimer?.start();
    },

    async stop() {
      if (state === "stopped") return;
      state = "stopped";
      reclaimer?.stop();
      for (const l of listeners.splice(0)) l.stop(false);
      for (const s of [...sessions]) s.close("shutdown");
      if (sessions.size > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, STOP_GRACE_MS);
          goneWaiter = () => {
            clearTimeout(t);
            resolve();
          };
        });
        goneWaiter = null;
        // sockets that never reported their close are cut; their close handlers then run
        for (const s of [...sessions]) s.terminate();
      }
    },

    counters,
    budget,
    get activeClients() {
      return counters.active;
    },
    get listeningPorts() {
      return listeners.map((l) => l.port);
    },
    get domains() {
      return domains;
    },
  };
}
