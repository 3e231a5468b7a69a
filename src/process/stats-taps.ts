// Per-DC and per-secret figures (stats.md §4.4 fork lines, /metrics labels), taken where a client meets
// its upstream: decorators of the MiddleEnd and DirectUpstream contracts, so the data plane and the
// pool stay unaware of stats. Touched once per binding / link plus one field bump per packet or chunk.
import type { ClientPipe, DirectLink, DirectUpstream } from "../proxy/direct-contract.ts";
import type { ClientInfo, ClientSink, MiddleEnd, MiddleRoute } from "../proxy/middle-contract.ts";
import { ProxyStats, type DcCounters, type SecretCounters } from "../stats/counters.ts";

export interface StatsTaps {
  /** Per-DC and per-secret counters plus packetsToClients / extConnectionsCreated / dcFallbacks. */
  readonly stats: ProxyStats;
  /** `knownDc(dc)`: the current config has a cluster for `dc` (else the pool takes the default one). */
  middle(inner: MiddleEnd, knownDc: (dc: number) => boolean): MiddleEnd;
  direct(inner: DirectUpstream): DirectUpstream;
}

export function createStatsTaps(secretCount: number): StatsTaps {
  const stats = new ProxyStats({ secretCount });
  // a session may bind more than once (its link died): count the client, not the binding
  const seen = new WeakSet<ClientSink>();
  const secretOf = (client: ClientInfo): SecretCounters | null =>
    client.secretIndex === undefined ? null : (stats.secrets[client.secretIndex] ?? null);
  return {
    stats,
    middle(inner, knownDc) {
      return {
        bind(client: ClientInfo, sink) {
          const dc = stats.dc(client.dc);
          if (!seen.has(sink)) {
            seen.add(sink);
            dc.connectionsCreated++;
            if (!knownDc(client.dc)) {
              dc.fallbacks++;
              stats.dcFallbacks++;
            }
          }
          const tap = new MiddleTap(stats, dc, secretOf(client), client.remoteAddress, sink);
          const route = inner.bind(client, tap);
          if (route === null) {
            dc.droppedQueries++;
            return null;
          }
          tap.opened(route);
          return tap;
        },
      };
    },
    direct(inner) {
      return {
        open(client: ClientInfo, pipe, onDcDrain) {
          const dc = stats.dc(client.dc);
          dc.connectionsCreated++;
          const tap = new DirectTap(dc, secretOf(client), client.remoteAddress, pipe);
          const link = inner.open(client, tap.pipe, onDcDrain);
          tap.opened(link);
          return tap;
        },
      };
    },
  };
}

/** One client's share of the per-DC and per-secret figures: counted in once, counted out once. */
class ClientTally {
  #open = false;
  #authKey: string | null = null;

  constructor(
    readonly dc: DcCounters,
    readonly secret: SecretCounters | null,
    readonly ip: string,
  ) {}

  countOpen(): void {
    this.#open = true;
    this.dc.connections++;
    const s = this.secret;
    if (s) {
      s.connections++;
      s.clientBound(this.ip);
    }
  }

  fromClient(bytes: number): void {
    this.dc.bytesFromClients += bytes;
    if (this.secret) this.secret.bytesFromClients += bytes;
  }

  toClient(bytes: number): void {
    this.dc.bytesToClients += bytes;
    if (this.secret) this.secret.bytesToClients += bytes;
  }

  /** The fork's active_auth_keys: auth_key_id is the first 8 bytes of an MTProto packet. */
  noteAuthKey(packet: Uint8Array, start = 0, end = packet.length): void {
    const s = this.secret;
    if (s === null || this.#authKey !== null || !this.#open || end - start < 8) return;
    this.#authKey = Buffer.from(packet.buffer, packet.byteOffset + start, 8).toString("hex");
    s.authKeyBound(this.#authKey);
  }

  countClose(): void {
    if (!this.#open) return;
    this.#open = false;
    this.dc.connections--;
    const s = this.secret;
    if (s) {
      s.connections--;
      s.clientUnbound(this.ip);
      if (this.#authKey !== null) s.authKeyUnbound(this.#authKey);
    }
  }
}

/**
 * One binding: the sink the pool talks to and the route the session talks to. It is its own
 * ClientTally (a subclass, not a field): a client holds its tap for life, and one object is one
 * cell fewer per client for the collector than a tap holding a tally.
 */
class MiddleTap extends ClientTally implements ClientSink, MiddleRoute {
  #route: MiddleRoute | null = null;

  constructor(
    readonly stats: ProxyStats,
    dc: DcCounters,
    secret: SecretCounters | null,
    ip: string,
    readonly sink: ClientSink,
  ) {
    super(dc, secret, ip);
  }

  opened(route: MiddleRoute): void {
    this.#route = route;
    this.stats.extConnectionsCreated++;
    this.countOpen();
  }

  // ---- MiddleRoute (session → pool)
  send(packet: Uint8Array, quickAck: boolean, start = 0, end = packet.length): boolean {
    this.dc.packetsFromClients++;
    this.fromClient(end - start);
    this.noteAuthKey(packet, start, end);
    return this.#route!.send(packet, quickAck, start, end);
  }
  close(): void {
    this.#route?.close();
    this.countClose();
  }
  get alive(): boolean {
    return this.#route?.alive ?? false;
  }

  // ---- ClientSink (pool → session)
  sendPacket(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.stats.packetsToClients++;
    this.dc.packetsToClients++;
    this.toClient(end - start);
    this.sink.sendPacket(bytes, start, end);
  }
  sendQuickAck(confirm: number): void {
    this.sink.sendQuickAck(confirm);
  }
  closeFromMiddle(reason: string): void {
    this.countClose();
    this.sink.closeFromMiddle(reason);
  }
  middleDrained(): void {
    this.sink.middleDrained();
  }
  get pendingBytes(): number {
    return this.sink.pendingBytes;
  }
}

/** One direct link: the link the session talks to, and `pipe`, what the DC side writes to. */
class DirectTap implements DirectLink {
  #link: (DirectLink & { onClientDrain(): void }) | null = null;
  readonly #tally: ClientTally;
  readonly pipe: ClientPipe;

  constructor(dc: DcCounters, secret: SecretCounters | null, ip: string, inner: ClientPipe) {
    const tally = new ClientTally(dc, secret, ip);
    tally.countOpen();
    this.#tally = tally;
    // DC → session
    this.pipe = {
      write: (plain) => {
        tally.toClient(plain.length);
        return inner.write(plain);
      },
      close: (reason) => {
        tally.countClose();
        inner.close(reason);
      },
      get pendingBytes() {
        return inner.pendingBytes;
      },
    };
  }

  opened(link: DirectLink & { onClientDrain(): void }): void {
    this.#link = link;
  }

  // ---- session → DC
  send(plain: Uint8Array): boolean {
    this.#tally.fromClient(plain.length);
    return this.#link!.send(plain);
  }
  close(): void {
    this.#link?.close();
    this.#tally.countClose();
  }
  onClientDrain(): void {
    this.#link?.onClientDrain();
  }
}
