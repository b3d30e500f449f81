import type { AbortOptions } from './abort.js';
import type { LatticeError } from './errors.js';
import type { NodeId } from './node-id.js';
import './disposable.js';

/** One message as received. */
export interface Envelope {
  /** The sending node. */
  readonly from: NodeId;
  /** The receiving node (the endpoint's own id). */
  readonly to: NodeId;
  /** The bytes sent; the receiver owns them. */
  readonly payload: Uint8Array;
}

/** Called for each message an endpoint receives. */
export type MessageHandler = (message: Envelope) => void;

/** Called with each typed error a transport reports instead of throwing (bad frames, failed handshakes). */
export type ErrorHandler = (error: LatticeError) => void;

/** Options of {@link Transport.open}. */
export interface OpenOptions extends AbortOptions {}

/**
 * A way for nodes to exchange messages. Protocol packages depend only on this contract; the
 * caller picks the implementation (`MemoryNetwork`, TCP, the simulator's network).
 *
 * Delivery semantics, promised by every implementation and checked by `runTransportTests`:
 * - **At most once.** A message is delivered zero or one times to the endpoint it was sent to
 *   (a fault-injecting network may deliberately duplicate; it says so in its own docs).
 * - **No ordering promise** across connections or restarts. (Implementations may keep order
 *   per connection; protocols must not rely on it.)
 * - **Unknown peer:** `send` to a node id the transport has no route or address for rejects
 *   with `UnknownPeerError` (code `ERR_UNKNOWN_PEER`).
 * - **Known but unreachable peer** (crashed, partitioned, reconnecting): `send` resolves once
 *   the message is accepted, and the message may be lost. Acceptance is not delivery;
 *   protocols that need delivery acknowledge at their own level.
 * - **Oversize:** a payload above `maxMessageSize` rejects with `MessageTooLargeError` and
 *   nothing is sent.
 * - **After close:** `send` rejects with `ClosedError`; nothing more is delivered to handlers.
 */
export interface Transport {
  /**
   * Opens the endpoint of node `id`. Opening an id that is already open on this transport
   * rejects with `DuplicateNodeError`.
   */
  open(id: NodeId, options?: OpenOptions): Promise<Endpoint>;
  /** Closes every endpoint this transport opened. Idempotent. */
  close(): Promise<void>;
}

/**
 * One node's attachment to a {@link Transport}: it sends to peers and receives their
 * messages, through handlers (`onMessage`) or by async iteration (`for await … of endpoint`).
 * Every handler and every running iterator sees every message that arrives while it is
 * attached; messages that arrive while none is attached are dropped (at-most-once).
 */
export interface Endpoint extends AsyncIterable<Envelope> {
  /** This node's id. */
  readonly id: NodeId;
  /** Largest payload `send` accepts, in bytes. */
  readonly maxMessageSize: number;
  /** True once `close()` has been called. */
  readonly closed: boolean;
  /**
   * Sends `payload` to node `to` (which may be this node). Resolves when the transport has
   * accepted the message, not when it is delivered. See {@link Transport} for the failures.
   * The caller must not modify `payload` afterwards.
   */
  send(to: NodeId, payload: Uint8Array, options?: AbortOptions): Promise<void>;
  /** Registers a handler for received messages; returns a function that removes it. */
  onMessage(handler: MessageHandler): () => void;
  /** Registers a handler for errors the transport reports about this endpoint; returns its remover. */
  onError(handler: ErrorHandler): () => void;
  /**
   * Closes the endpoint: stops receiving, ends running iterators, releases sockets. Messages
   * already accepted may or may not still be delivered. Idempotent.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
