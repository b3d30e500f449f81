/**
 * Deterministic simulation of a cluster, for testing distributed protocols: one seeded event
 * queue drives virtual time (per-node clocks with skew, drift and jumps), a `MemoryNetwork`
 * from `@lattice/transport` (partitions, one-way cuts, drops, duplicates, delays, reordering),
 * nodes that crash and restart with a disk that loses unsynced writes, and client processes
 * whose operations become a history for `@lattice/linearizability`. Same seed, same run; a
 * failing run names its seed and the command that replays it. Runs write an event log, a
 * ShiViz log and an HTML/SVG space-time diagram.
 *
 * @example
 * ```ts
 * import { Simulation, assertLinearizable, simulationSeeds } from '@lattice/sim';
 * import { registerModel } from '@lattice/linearizability';
 *
 * for (const seed of simulationSeeds({ count: 30 })) {
 *   const sim = new Simulation({
 *     seed,
 *     nodes: 3,
 *     node: (ctx) => createReplica(ctx), // your protocol, talking through ctx.endpoint
 *     clients: { count: 3, run: async (client) => { ... client.invoke(input, () => replica.read()) ... } },
 *     faults: { kinds: ['partition', 'crash', 'drop'] },
 *     replay: 'SIM_SEED={seed} npx vitest run test/register.test.ts',
 *   });
 *   assertLinearizable(await sim.run({ duration: 5_000 }), registerModel);
 * }
 * ```
 *
 * @packageDocumentation
 */
export { assertLinearizable, type CheckedRun } from './check.js';
export { type DiagramOptions, spaceTimeSvg, toSpaceTimeDiagram } from './diagram.js';
export { type CrashLoss, type Disk, SimDisk, type SimDiskOptions } from './disk.js';
export { DiskRecordLog, type DiskRecordLogOptions } from './disk-record-log.js';
export { type SimCrashReport, SimFileSystem, type SimFileSystemOptions, type SimReadFaults } from './sim-file-system.js';
export { NotLinearizableError, OperationFailedError, SimulationError } from './errors.js';
export { formatEvent, type SimEvent, type SimEventKind } from './events.js';
export { EventQueue, type ScheduledEvent } from './event-queue.js';
export { FAULT_KINDS, type FaultKind, type FaultScheduleOptions } from './faults.js';
export { MAX_DRIFT_PPM, NodeClock, type NodeClockOptions } from './node-clock.js';
export { type RunArtifacts, type RunFileSystem, runArtifacts, type SavableRun, type SavedRun, type SaveRunOptions, saveRun } from './save-run.js';
export { deriveSeed, replayCommand, type SimulationSeedsOptions, simulationSeeds } from './seeds.js';
/** The ShiViz parser expression heading every ShiViz log (`@lattice/clocks`' own, re-exported). */
export { SHIVIZ_REGEX } from '@lattice/clocks';
export { toShiViz } from './shiviz.js';
export type { ClientContext, ClientOptions, InvokeOptions, InvokeResult } from './clients.js';
export type { ClockOptions, NodeContext, NodeFactory, RunCoreOptions } from './node-runtime.js';
export { Simulation, type RunOptions, type SimulationOptions, type SimulationResult, type SimulationStats } from './simulation.js';
