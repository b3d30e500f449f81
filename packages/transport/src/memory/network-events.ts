import type { BaseEvents, NodeId } from '@lattice/core';

/**
 * Why a {@link MemoryNetwork} lost a message: a partition between named groups, a one-way
 * `cut`, an `isolate`d end, the random `dropRate`, a receiver that was closed (down), or a
 * receiver that was open but had no handler or iterator to take it.
 */
export type DropReason = 'partition' | 'cut' | 'isolated' | 'random' | 'closed' | 'no-listener';

/** One message (one copy, for deliveries and in-flight drops) as the network's events report it. */
export interface MessageEvent {
  /** The message's id: 1, 2, 3, … in the order `send` accepted them; a duplicate keeps its original's id. */
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  /** Payload size in bytes. */
  readonly size: number;
  /** `clock.monotonic()` of the network's clock when it happened; undefined when the network was given no clock. */
  readonly at: number | undefined;
}

/** A message the network lost. */
export interface DropEvent extends MessageEvent {
  readonly reason: DropReason;
  /**
   * `'send'`: lost when it was sent (it never went in flight); `'deliver'`: lost in flight, when
   * it was due (the link went down or the receiver closed meanwhile). A duplicated message can
   * be dropped once per copy.
   */
  readonly stage: 'send' | 'deliver';
}

/** A copy handed to the receiver. */
export interface DeliverEvent extends MessageEvent {
  /** 0 for the original, 1 for the copy made by the duplicate fault (which may arrive first). */
  readonly copy: number;
}

/**
 * Events of a {@link MemoryNetwork}, emitted synchronously as things happen: `send` when a
 * message is accepted (before any `drop` of it at send time), `duplicate` when the duplicate
 * fault made a second copy, `drop` when a copy is lost, `deliver` just before a copy is handed
 * to the receiver's handlers (so whatever they send is reported after the delivery that caused it).
 */
export interface MemoryNetworkEvents extends BaseEvents {
  send: MessageEvent;
  duplicate: MessageEvent;
  drop: DropEvent;
  deliver: DeliverEvent;
}
