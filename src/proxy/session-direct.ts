// The direct-mode branch of a client session (beyond C, mtg-style; direct-contract.ts): after the
// handshake the client's decrypted stream is relayed unparsed to its DC and back. Written against
// the raw handshake/stack variant (`raw: true` → established.firstRaw, stack.decodeRaw/encodeRaw).
import type { WriteResult } from "../io/write-queue.ts";
import type { ClientStack } from "../transport/client-stack.ts";

/** The part of the ClientStack direct mode uses (the handshake was built with `raw: true`). */
export type RawStack = Pick<ClientStack, "decodeRaw" | "encodeRaw">;
import type { ClientPipe, DirectLink, DirectUpstream } from "./direct-contract.ts";
import type { ClientInfo } from "./middle-contract.ts";

/** The session side the relay drives. */
export interface DirectHost {
  writeClient(bytes: Uint8Array): WriteResult;
  pauseClient(): void;
  resumeClient(): void;
  /** The DC side ended (flush, then close the client), or the client stream was bad. */
  directGone(reason: "direct" | "protocol" | "write-overflow"): void;
  readonly clientPendingBytes: number;
}

export class DirectRelay implements ClientPipe {
  readonly #stack: RawStack;
  readonly #host: DirectHost;
  #link: (DirectLink & { onClientDrain(): void }) | null = null;
  #closed = false;

  constructor(stack: RawStack, host: DirectHost) {
    this.#stack = stack;
    this.#host = host;
  }

  start(upstream: DirectUpstream, info: ClientInfo, firstRaw: Uint8Array): void {
    this.#link = upstream.open(info, this, () => this.#host.resumeClient());
    if (firstRaw.length > 0) this.#send(firstRaw);
  }

  /** Raw (encrypted) client bytes. */
  fromClient(chunk: Uint8Array): void {
    if (this.#closed) return;
    const r = this.#stack.decodeRaw(chunk, true); // Bun gives `data` a fresh buffer
    if (r.kind === "error") {
      this.#host.directGone("protocol");
      return;
    }
    if (r.data.length > 0) this.#send(r.data);
  }

  clientDrained(): void {
    this.#link?.onClientDrain();
  }

  /** The client side is closing: drop the DC link. Idempotent. */
  closeLink(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#link?.close();
    this.#link = null;
  }

  // ---- ClientPipe (called by the DC side)

  write(plain: Uint8Array): boolean {
    if (this.#closed) return true;
    const r = this.#host.writeClient(this.#stack.encodeRaw(plain, true)); // ClientPipe: handed over
    if (r === "overflow") {
      this.#host.directGone("write-overflow");
      return true;
    }
    return r === "ok";
  }

  close(_reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#link = null;
    this.#host.directGone("direct");
  }

  get pendingBytes(): number {
    return this.#host.clientPendingBytes;
  }

  #send(plain: Uint8Array): void {
    if (this.#link && !this.#link.send(plain)) this.#host.pauseClient();
  }
}
