import type { Clock, Endpoint, NodeId, OpenOptions, Random, Timers, Transport } from '@lattice/core';
import { type FaultOptions, MemoryNetwork } from '@lattice/transport';
import { type EndpointHost, type EndpointLife, SimEndpoint } from './sim-endpoint.js';

/** Options of {@link SimNetwork}. */
export interface SimNetworkOptions {
  /** Schedules deliveries (the simulator's event queue). */
  timers: Timers;
  /** Stamps the network's events. */
  clock: Clock;
  /** Every drop, duplicate and delay decision. */
  random: Random;
  maxMessageSize: number;
  faults: FaultOptions;
  host: EndpointHost;
}

const ALWAYS_ALIVE: EndpointLife = Object.freeze({ alive: true, synchronous: false });

/**
 * The simulated network: a `MemoryNetwork` on the simulator's timers and seeded randomness,
 * whose endpoints are {@link SimEndpoint}s tied to a process's life. The simulator attaches one
 * per incarnation of a node; as a `Transport` (`open`) it hands out endpoints of processes
 * that never crash, which is how it runs the transport compliance suite like every other
 * transport.
 */
export class SimNetwork implements Transport {
  /** The network underneath: its faults, link state, events and counters. */
  readonly network: MemoryNetwork;
  readonly maxMessageSize: number;
  readonly #host: EndpointHost;

  constructor(options: SimNetworkOptions) {
    this.network = new MemoryNetwork({
      timers: options.timers,
      clock: options.clock,
      random: options.random,
      maxMessageSize: options.maxMessageSize,
      faults: options.faults,
    });
    this.maxMessageSize = options.maxMessageSize;
    this.#host = options.host;
  }

  /** Opens `id`'s endpoint for one incarnation, at once (a restart happens inside one simulator event). */
  attach(id: NodeId, life: EndpointLife): SimEndpoint {
    return new SimEndpoint(this.network.openSync(id), this.#host, life);
  }

  async open(id: NodeId, options?: OpenOptions): Promise<Endpoint> {
    return new SimEndpoint(await this.network.open(id, options), this.#host, ALWAYS_ALIVE);
  }

  close(): Promise<void> {
    return this.network.close();
  }
}
