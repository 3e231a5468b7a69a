// Counters of the middle-end client, named after the C stats they feed (stats.md:
// tot_forwarded_queries, dropped_queries, ...). Plain numbers, updated at packet boundaries.

export interface MiddleCounters {
  forwardedQueries: number;
  forwardedResponses: number;
  forwardedSimpleAcks: number;
  droppedQueries: number;
  droppedResponses: number;
  droppedSimpleAcks: number;
  /** Client packets forward_mtproto_packet would not forward. */
  invalidQueries: number;
  closeExtReceived: number;
  /** RPC_CLOSE_CONN sent: a client left, or an answer/ack came for an unknown id. */
  closeConnSent: number;
  ignoredPackets: number;
  handshakeFailures: number;
  protocolErrors: number;
  /** Beyond C: links closed because the ME stopped talking. */
  silentClosed: number;
  /** Beyond C: clients closed because their queue passed the per-client cap. */
  clientsClosedSlow: number;
  /** Beyond C: clients closed because the link's outbound queue passed its hard cap. */
  clientsClosedCongested: number;
  connectionsOpened: number;
  connectionsClosed: number;
  /** Links of targets removed by a reload (C: unused_connections_closed). */
  unusedConnectionsClosed: number;
}

export function createMiddleCounters(): MiddleCounters {
  return {
    forwardedQueries: 0,
    forwardedResponses: 0,
    forwardedSimpleAcks: 0,
    droppedQueries: 0,
    droppedResponses: 0,
    droppedSimpleAcks: 0,
    invalidQueries: 0,
    closeExtReceived: 0,
    closeConnSent: 0,
    ignoredPackets: 0,
    handshakeFailures: 0,
    protocolErrors: 0,
    silentClosed: 0,
    clientsClosedSlow: 0,
    clientsClosedCongested: 0,
    connectionsOpened: 0,
    connectionsClosed: 0,
    unusedConnectionsClosed: 0,
  };
}
