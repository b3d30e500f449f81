/**
 * Implementations of `@lattice/core`'s `Transport`: {@link MemoryNetwork}, an in-process
 * network with deterministic fault injection for tests and simulation (runs anywhere), and,
 * at `@lattice/transport/tcp`, TCP with framing, an authenticated handshake and optional
 * mutual TLS (Node only).
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@lattice/transport';
 * const network = new MemoryNetwork({ faults: { dropRate: 0.05 } });
 * const a = await network.open('a');
 * const b = await network.open('b');
 * b.onMessage((m) => console.log(`${m.from}: ${new TextDecoder().decode(m.payload)}`));
 * await a.send('b', new TextEncoder().encode('hello'));
 * ```
 *
 * @packageDocumentation
 */
export type { FaultOptions, LinkBlocker, ResolvedFaults } from './memory/faults.js';
export { MemoryNetwork, type MemoryNetworkOptions, type NetworkStats } from './memory/memory-network.js';
export type { DeliverEvent, DropEvent, DropReason, MemoryNetworkEvents, MessageEvent } from './memory/network-events.js';
