// A client's binding to one middle-end connection (MiddleRoute, backend-rpc.md §10.6): its conn id
// and its addresses as RPC_PROXY_REQ carries them. C: struct ext_connection in mtproto-proxy.c.
import type { ClientInfo, ClientSink, MiddleRoute } from "../proxy/middle-contract.ts";
import { toEndpoint, type Endpoint, type NatTable } from "./address.ts";

/** The connection side a binding talks to. */
export interface BindingOwner {
  forward(b: Binding, packet: Uint8Array, quickAck: boolean, start?: number, end?: number): boolean;
  unbind(b: Binding): void;
}

/** A client's binding (MiddleRoute): its conn id, addresses as RPC_PROXY_REQ carries them. */
export class Binding implements MiddleRoute {
  announced = false;
  #alive = true;
  /** connId as a number, the link's map key (wire.ts connIdKey reads answers to the same value). */
  readonly key: number;
  readonly clientEndpoint: Endpoint;
  readonly proxyEndpoint: Endpoint;

  constructor(
    readonly conn: BindingOwner,
    readonly connId: bigint,
    readonly client: ClientInfo,
    readonly sink: ClientSink,
    readonly onDrain: () => void,
    nat: NatTable,
  ) {
    if (connId < 0n || connId > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`conn id ${connId} outside [0, 2^53)`);
    this.key = Number(connId);
    this.clientEndpoint = toEndpoint(client.remoteAddress, client.remotePort);
    const local = toEndpoint(client.localAddress, client.localPort);
    // forward_tcp_query translates only the proxy's own IPv4 address
    this.proxyEndpoint = local.ipv4 ? { ...local, ipv4: nat.translate(local.ipv4) } : local;
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
