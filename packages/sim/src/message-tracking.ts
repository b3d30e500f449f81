import type { NodeId } from '@lattice/core';
import type { DeliverEvent, DropEvent, MemoryNetwork, MessageEvent } from '@lattice/transport';
import type { EventLog } from './event-log.js';

const IN_FLIGHT = 1;
const DELIVERED = 2;
const DROPPED = 3;

/**
 * Writes the network's own message events into a run's event log: `send`, `drop` (at send time,
 * with the network's reason), `deliver` (marked `duplicate` when the message had already
 * arrived once), and at the end `lost` for every message never delivered (dropped in flight,
 * or still on its way). Message ids are the network's.
 */
export class MessageTracking {
  readonly #log: EventLog;
  readonly #index: ReadonlyMap<NodeId, number>;
  readonly #now: () => number;
  /** State of each message by id; a typed array because a long run sends millions. */
  #states = new Uint8Array(4096);
  readonly #unsubscribe: (() => void)[];

  /** `index`: each node's position in the log's name table (see `EventLog`'s constructor). */
  constructor(network: MemoryNetwork, log: EventLog, index: ReadonlyMap<NodeId, number>, now: () => number) {
    this.#log = log;
    this.#index = index;
    this.#now = now;
    this.#unsubscribe = [
      network.on('send', (event) => this.#sent(event)),
      network.on('drop', (event) => this.#dropped(event)),
      network.on('deliver', (event) => this.#delivered(event)),
    ];
  }

  /** Logs `lost` at `endTime` for every message never delivered, and stops listening. */
  finish(endTime: number): void {
    for (const off of this.#unsubscribe) off();
    const states = this.#states;
    for (const lost of this.#log.sends((msg) => states[msg] === IN_FLIGHT)) {
      this.#log.add(endTime, 'lost', lost.node, lost.peer, lost.msg, Number.NaN, undefined);
    }
  }

  #sent(event: MessageEvent): void {
    this.#mark(event.id, IN_FLIGHT);
    this.#log.addIndexed(event.at ?? this.#now(), 'send', this.#index.get(event.from)!, this.#index.get(event.to)!, event.id, event.size, undefined);
  }

  #dropped(event: DropEvent): void {
    // A message lost in flight stays "in flight" here: the end of the run reports it as lost, as
    // a message whose fate its sender cannot know.
    if (event.stage !== 'send') return;
    this.#mark(event.id, DROPPED);
    this.#log.addIndexed(event.at ?? this.#now(), 'drop', this.#index.get(event.from)!, this.#index.get(event.to)!, event.id, Number.NaN, event.reason);
  }

  #delivered(event: DeliverEvent): void {
    const duplicate = this.#states[event.id] !== IN_FLIGHT;
    this.#mark(event.id, DELIVERED);
    this.#log.addIndexed(event.at ?? this.#now(), 'deliver', this.#index.get(event.to)!, this.#index.get(event.from)!, event.id, Number.NaN, duplicate ? 'duplicate' : undefined);
  }

  #mark(id: number, state: number): void {
    let states = this.#states;
    if (id >= states.length) {
      const grown = new Uint8Array(Math.max(states.length * 2, id + 1024));
      grown.set(states);
      this.#states = states = grown;
    }
    states[id] = state;
  }
}
