// The contract between a client session (proxy/session.ts) and the direct-to-DC relay
// (direct/, beyond C: mtg-style). In direct mode the client's decrypted byte stream is relayed
// unparsed: the DC speaks the same transport (abridged/intermediate/padded) as the client, so
// frames, quick acks and padding pass through. Only the two obfuscation layers differ.
import type { ClientInfo } from "./middle-contract.ts";

/** Implemented by the client session; called by the DC side. */
export interface ClientPipe {
  /**
   * Plaintext bytes from the DC for the client: the session encrypts them (client CTR write
   * stream, then TLS records in fake-TLS mode) and queues them. Returns false when the client's
   * write queue is over its high-water mark: the DC side then pauses reading from the DC until
   * `onClientDrain` fires. The pipe takes `plain` over (it may be encrypted in place).
   */
  write(plain: Uint8Array): boolean;
  /** The DC side closed or failed: flush what is queued to the client, then close it. */
  close(reason: string): void;
  /** Bytes queued towards the client that the kernel has not taken yet. */
  readonly pendingBytes: number;
}

/** One client's relay to its DC, created when the client's handshake completes. */
export interface DirectLink {
  /**
   * Plaintext bytes from the client (decrypted, still framed). Returns false when the DC
   * socket's write queue is over its high-water mark: the session pauses reading from the
   * client until `onDcDrain` fires. The link takes `plain` over (it may be encrypted in place).
   */
  send(plain: Uint8Array): boolean;
  /** The client went away: close the DC connection. Idempotent. */
  close(): void;
}

export interface DirectUpstream {
  /**
   * Opens a fresh obfuscated2 connection to the DC for `client.dc` (built-in table, --direct-dc
   * overrides, fallback for unknown DCs) with the client's transport tag. Bytes sent before the
   * DC connection is up are queued (bounded). `onClientDrain` is how the session tells the link
   * that the client's queue fell below its low-water mark; `onDcDrain` is how the link tells the
   * session to resume reading from the client.
   */
  open(client: ClientInfo, pipe: ClientPipe, onDcDrain: () => void): DirectLink & { onClientDrain(): void };
}
