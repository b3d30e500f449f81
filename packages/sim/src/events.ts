import { InvalidArgumentError } from '@lattice/core';
/** What a {@link SimEvent} records. */
export type SimEventKind =
  /** A node (incarnation `msg`) started; `msg` > 1 means a restart. */
  | 'start'
  /** A node crashed; `text` says what its disk lost. */
  | 'crash'
  /** `node` sent message `msg` of `bytes` bytes to `peer`. */
  | 'send'
  /** `node` received message `msg` from `peer` (`text` is `duplicate` for a repeat). */
  | 'deliver'
  /** The network dropped message `msg` from `node` to `peer` when it was sent; `text` is the network's reason (`partition`, `cut`, `isolated`, `random`, `closed`). */
  | 'drop'
  /** Message `msg` from `node` to `peer` was never delivered by the end of the run (lost in flight, or still on its way). */
  | 'lost'
  /** A fault was injected or removed; `text` describes it. */
  | 'fault'
  /** Client `node` (process `msg`) invoked the operation described by `text`. */
  | 'invoke'
  /** The client's operation returned; `text` describes the result. */
  | 'ok'
  /** The client's operation failed definitely (it took no effect) and is left out of the history. */
  | 'fail'
  /** The client's operation timed out or threw: its outcome is unknown. */
  | 'info'
  /** A line a node or client logged through its context. */
  | 'note'
  /** A node's code threw (in a timer, a message handler, or its factory). */
  | 'error';

/**
 * One entry of a simulation's event log. Plain data, so two runs can be compared exactly and
 * logs can be rendered ({@link formatEvent}, ShiViz, the space-time diagram) after the run.
 */
export interface SimEvent {
  /** Virtual (true) time in ms. */
  readonly time: number;
  readonly kind: SimEventKind;
  /** The node or client the event happened at (absent for network-wide faults). */
  readonly node?: string;
  /** The other end of a message. */
  readonly peer?: string;
  /** Message id (send/deliver/drop/lost), incarnation (start) or process (client events). */
  readonly msg?: number;
  /** Payload size in bytes (send). */
  readonly bytes?: number;
  /** Free text: fault description, operation, error message. */
  readonly text?: string;
}

/**
 * Renders one event as a line of the text event log (fixed-width virtual time first).
 *
 * @example
 * ```ts
 * formatEvent({ time: 12.5, kind: 'send', node: 'n1', peer: 'n2', msg: 7, bytes: 42 });
 * // '      12.500 n1 send #7 -> n2 42B'
 * ```
 */
export function formatEvent(event: SimEvent): string {
  if (typeof event !== 'object' || event === null || typeof event.time !== 'number') {
    throw new InvalidArgumentError(`formatEvent needs a SimEvent, got ${event === null ? 'null' : typeof event}`);
  }
  const time = event.time.toFixed(3).padStart(12);
  const node = event.node ?? '*';
  switch (event.kind) {
    case 'start':
      return `${time} ${node} ${event.msg === 1 ? 'start' : `restart (incarnation ${event.msg})`}`;
    case 'crash':
      return `${time} ${node} crash${event.text === undefined ? '' : ` (${event.text})`}`;
    case 'send':
      return `${time} ${node} send #${event.msg} -> ${event.peer} ${event.bytes}B`;
    case 'deliver':
      return `${time} ${node} recv #${event.msg} <- ${event.peer}${event.text === undefined ? '' : ` (${event.text})`}`;
    case 'drop':
      return `${time} ${node} drop #${event.msg} -> ${event.peer}${event.text === undefined ? '' : ` (${event.text})`}`;
    case 'lost':
      return `${time} ${node} lost #${event.msg} -> ${event.peer} (never delivered)`;
    case 'fault':
      return `${time} * fault ${event.text}`;
    case 'invoke':
    case 'ok':
    case 'fail':
    case 'info':
      return `${time} ${node} ${event.kind} p${event.msg} ${event.text}`;
    case 'note':
      return `${time} ${node} note ${event.text}`;
    case 'error':
      return `${time} ${node} error ${event.text}`;
  }
}

/** Throws `InvalidArgumentError` unless `events` and `nodes` are arrays (what every renderer of a run takes). */
export function assertEventsAndNodes(events: unknown, nodes: unknown): void {
  if (!Array.isArray(events)) throw new InvalidArgumentError('events must be an array of SimEvents (a run\'s result.events)');
  if (!Array.isArray(nodes) || nodes.some((node) => typeof node !== 'string')) throw new InvalidArgumentError('nodes must be an array of node ids');
}
