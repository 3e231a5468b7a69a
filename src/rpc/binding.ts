// A client's binding to one middle-end connection (MiddleRoute, backend-rpc.md §10.6): its conn id
// and its addresses as RPC_PROXY_REQ carries them. C: struct ext_connection in mtproto-proxy.c.
import type { ClientInfo, ClientSink, MiddleRoute } from "../proxy/middle-contract.ts";
import { toEndpoint, type NatTable } from "./address.ts";
import { encodeProxyReqAddresses } from "./wire.ts";

/** The connection side a binding talks to. */
export interface BindingOwner {
  forward(b: Binding, packet: Uint8Array, quickAck: boolean, start?: number, end?: number): boolean;
  unbind(b: Binding): void;
}

/**
 * A client's binding (MiddleRoute): its conn id, and its addresses as RPC_PROXY_REQ carries them,
 * encoded once. A client holds its binding for life, so it is kept to two heap cells (this and the
 * address bytes): every cell of a session is marked again when a burst of clients connects.
 */
export class Binding implements MiddleRoute {
  announced = false;
  #alive = true;
  /** RPC_PROXY_REQ bytes 16..56 for this client (wire.ts encodeProxyReqAddresses). */
  readonly addresses: Uint8Array;

  constructor(
    readonly conn: BindingOwner,
    /** The ext_conn_id, and the link's map key (wire.ts connIdKey reads answers to the same value). */
    readonly connId: number,
    readonly client: ClientInfo,
    readonly sink: ClientSink,
    nat: NatTable,
  ) {
    if (!Number.isSafeInteger(connId) || connId < 0) throw new RangeError(`conn id ${connId} outside [0, 2^53)`);
    const local = toEndpoint(client.localAddress, client.localPort);
    // forward_tcp_query translates only the proxy's own IPv4 address
    if (local.ipv4) local.ipv4 = nat.translate(local.ipv4);
    this.addresses = encodeProxyReqAddresses(toEndpoint(client.remoteAddress, client.remotePort), local);
  }

  get alive(): boolean {
    return this.#alive;
  }

  send(packet: Uint8Array, quickAck: boolean, start?: number, end?: number): boolean {
    return this.conn.forward(this, packet, quickAck, start, end);
  }

  close(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.conn.unbind(this);
  }

  markDead(): void {
    this.#alive = false;
  }
}
