/**
 * The transport a lattice-kv node's Raft messages travel on: TCP between the nodes by default,
 * or a NATS server (`--transport nats`) when the cluster already runs on one.
 */
import type { Endpoint, Transport } from '@lattice/core';
import { NatsTransport } from '@lattice/transport/nats';
import { TcpTransport } from '@lattice/transport/tcp';

/** How the node reaches its peers. */
export interface RaftEndpointOptions {
  readonly id: string;
  /** Raft address of every voter over TCP; over NATS only its keys (the voters) are used. */
  readonly peers: Record<string, string>;
  /** Shared secret of the TCP transport's handshake. */
  readonly secret: string;
  /** Use NATS: the server's URL, and the cluster's name (subjects `lattice.<cluster>.<id>`; default `lattice-kv`). */
  readonly nats?: { readonly url: string; readonly cluster?: string } | undefined;
}

/** Opens this node's endpoint; over TCP it listens at `host:port`. */
export async function openRaftEndpoint(options: RaftEndpointOptions, host: string, port: number): Promise<{ transport: Transport; endpoint: Endpoint }> {
  if (options.nats !== undefined) {
    const transport = new NatsTransport({ cluster: options.nats.cluster ?? 'lattice-kv', connect: { servers: options.nats.url }, peers: Object.keys(options.peers) });
    return { transport, endpoint: await transport.open(options.id) };
  }
  const transport = new TcpTransport({ secret: options.secret, peers: options.peers });
  return { transport, endpoint: await transport.open(options.id, { listen: { host, port } }) };
}
