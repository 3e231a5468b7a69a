// The contract between a client session (proxy/session.ts, client side) and the middle-end pool
// (rpc/pool.ts). Mirrors the C split between ext_rpcs_execute/forward_tcp_query (client side) and
// process_client_packet/push_rpc_confirmation (middle side) in mtproto-proxy.c.

export type ClientTransport = "abridged" | "intermediate" | "padded";

/** What the middle-end needs to know about a client to forward its packets (RPC_PROXY_REQ fields). */
export interface ClientInfo {
  /** Client peer address (IPv4 dotted or IPv6 text) and port. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The local address/port (-H) the client connected to. */
  readonly localAddress: string;
  readonly localPort: number;
  /** Signed 16-bit DC index from the obfuscated2 header (client-side.md §2.4). */
  readonly dc: number;
  readonly transport: ClientTransport;
  /** Position of the -S secret the client used (0-based); absent in no-secret mode. For per-secret stats. */
  readonly secretIndex?: number;
}

/** Implemented by the client session; called by the middle-end side. */
export interface ClientSink {
  /**
   * One RPC_PROXY_ANS answer, bytes[start, end) (all of `bytes` by default): becomes exactly one
   * transport frame to the client. The sink takes `bytes` over up to `end`: the answer and the bytes
   * before it (its RPC_PROXY_ANS head) may be overwritten and encrypted in place. A range instead of
   * a view: the link hands the answer on without cutting a view of its read chunk.
   */
  sendPacket(bytes: Uint8Array, start?: number, end?: number): void;
  /** RPC_SIMPLE_ACK `confirm`, encoded per transport (client-side.md §3.8). */
  sendQuickAck(confirm: number): void;
  /** RPC_CLOSE_EXT, or the bound middle-end connection died: flush what is queued, then close. */
  closeFromMiddle(reason: string): void;
  /**
   * The middle-end connection took the backlog that made MiddleRoute.send() return false: read the
   * client again. A method of the sink, not a callback per binding: no closure per client.
   */
  middleDrained(): void;
  /** Bytes queued towards the client that the kernel has not taken yet (flow control). */
  readonly pendingBytes: number;
}

/** A client's binding to one middle-end connection, created at its first forwarded packet. */
export interface MiddleRoute {
  /**
   * Forwards one client packet, packet[start, end) (all of it by default), as RPC_PROXY_REQ (flags
   * computed from ClientInfo, the packet and -P); the bytes are copied before this returns. Returns false when the middle-end connection's write queue is over its high-water mark:
   * the session then pauses reading from the client until the sink's middleDrained().
   */
  send(packet: Uint8Array, quickAck: boolean, start?: number, end?: number): boolean;
  /** The client went away: send RPC_CLOSE_CONN and forget the binding. Idempotent. */
  close(): void;
  /** False once the bound middle-end connection has died (the session then rebinds or closes). */
  readonly alive: boolean;
}

export interface MiddleEnd {
  /**
   * Binds a client to a ready middle-end connection of the cluster for `client.dc` (exact id, then
   * the default cluster). Returns null when no ready connection exists: C drops the packet and
   * counts dropped_queries (backend-rpc.md §10.7).
   */
  bind(client: ClientInfo, sink: ClientSink): MiddleRoute | null;
}
