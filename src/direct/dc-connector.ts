// Opens the proxy's own obfuscated2 connection to a Telegram DC (the proxy is the client here, no
// secret, as towards Telegram's own DC ports): tries the candidates in order with a per-attempt
// timeout under one overall bound, and makes a fresh 64-byte init (tdlib first-bytes rules) per attempt.
import type { CtrStream } from "../crypto/aes.ts";
import type { RandomSource } from "../crypto/random.ts";
import { connectOutbound } from "../io/outbound.ts";
import type { WritableSocket } from "../io/write-queue.ts";
import type { ClientTransport } from "../proxy/middle-contract.ts";
import { createObfuscated2Init } from "../transport/obfuscated2.ts";
import type { DcAddress } from "./dc-table.ts";

export interface DcSocket extends WritableSocket {
  pause(): void;
  resume(): void;
  /** Close now, dropping anything unsent. */
  terminate(): void;
}

export interface DcSocketEvents {
  open(socket: DcSocket): void;
  data(chunk: Uint8Array): void;
  drain(): void;
  /** Called once: for a refused connect as well as for a later close or error. */
  close(reason: string): void;
}

export type DcConnect = (target: DcAddress, events: DcSocketEvents) => void;

/** Kernel keep-alive on DC links: C has no idle timeout, so dead peers are found this way. */
const KEEPALIVE_IDLE_MS = 40_000;

export const bunDcConnect: DcConnect = (target, events) =>
  connectOutbound(target, events, { peer: "DC", keepAliveIdleMs: KEEPALIVE_IDLE_MS });

export interface DcDialOptions {
  readonly candidates: readonly DcAddress[];
  readonly transport: ClientTransport;
  /** The client's signed index, written into the init as the client wrote it. */
  readonly dc: number;
  readonly random: RandomSource;
  readonly connect?: DcConnect;
  readonly attemptTimeoutMs?: number;
  readonly totalTimeoutMs?: number;
}

export interface DcConnected {
  readonly socket: DcSocket;
  readonly address: DcAddress;
  /** The 64 bytes to write first. */
  readonly init: Uint8Array;
  /** Our output towards the DC, at offset 64. */
  readonly encrypt: CtrStream;
  /** The DC's output to us, at offset 0. */
  readonly decrypt: CtrStream;
  /** Candidates tried before this one succeeded. */
  readonly failedAttempts: number;
}

/** After `ready`, the socket events of the winning attempt arrive here. */
export interface DcDialEvents {
  ready(conn: DcConnected): void;
  data(chunk: Uint8Array): void;
  drain(): void;
  /** The established connection closed (never called before `ready`). */
  close(reason: string): void;
  /** Every candidate failed or the overall bound passed (never called after `ready`). */
  failed(reason: string): void;
}

export const DC_ATTEMPT_TIMEOUT_MS = 5_000;
export const DC_TOTAL_TIMEOUT_MS = 10_000;

/** Starts dialling; cancel() abandons it (an attempt that opens later is terminated). */
export function dialDc(opts: DcDialOptions, events: DcDialEvents): { cancel(): void } {
  const connect = opts.connect ?? bunDcConnect;
  const attemptMs = opts.attemptTimeoutMs ?? DC_ATTEMPT_TIMEOUT_MS;
  let state: "dialling" | "ready" | "done" = "dialling";
  let index = 0;
  let attemptTimer: ReturnType<typeof setTimeout> | null = null;
  let lastReason = "no candidates";
  const totalTimer = setTimeout(() => {
    if (state !== "dialling") return;
    finish();
    events.failed(`no DC connection within ${opts.totalTimeoutMs ?? DC_TOTAL_TIMEOUT_MS} ms (${lastReason})`);
  }, opts.totalTimeoutMs ?? DC_TOTAL_TIMEOUT_MS);

  const finish = (): void => {
    state = state === "dialling" ? "done" : state;
    clearTimeout(totalTimer);
    if (attemptTimer) clearTimeout(attemptTimer);
    attemptTimer = null;
  };

  const attempt = (): void => {
    if (state !== "dialling") return;
    if (index >= opts.candidates.length) {
      finish();
      events.failed(lastReason);
      return;
    }
    const address = opts.candidates[index++]!;
    let mine = true; // this attempt is still the current one
    let socket: DcSocket | null = null;
    const giveUp = (reason: string): void => {
      if (!mine) return;
      mine = false;
      if (attemptTimer) clearTimeout(attemptTimer);
      attemptTimer = null;
      lastReason = `${address.host}:${address.port}: ${reason}`;
      attempt();
    };
    attemptTimer = setTimeout(() => {
      giveUp(`connect timed out after ${attemptMs} ms`);
      socket?.terminate();
    }, attemptMs);
    connect(address, {
      open(s) {
        if (!mine || state !== "dialling") {
          s.terminate();
          return;
        }
        socket = s;
        finish();
        state = "ready";
        const init = createObfuscated2Init({ secret: null, transport: opts.transport, dc: opts.dc, random: opts.random });
        events.ready({ socket: s, address, init: init.init, encrypt: init.encrypt, decrypt: init.decrypt, failedAttempts: index - 1 });
      },
      data(chunk) {
        if (mine && state === "ready") events.data(chunk);
      },
      drain() {
        if (mine && state === "ready") events.drain();
      },
      close(reason) {
        if (mine && state === "ready") {
          mine = false;
          state = "done";
          events.close(reason);
        } else giveUp(reason);
      },
    });
  };

  queueMicrotask(attempt);
  return {
    cancel() {
      if (state === "dialling") finish();
    },
  };
}
