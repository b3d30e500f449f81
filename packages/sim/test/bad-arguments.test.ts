import { InvalidArgumentError, type LatticeError } from '@lattice/core';
import { registerModel } from '@lattice/linearizability';
import { describe, expect, it } from 'vitest';
import {
  assertLinearizable,
  deriveSeed,
  EventQueue,
  formatEvent,
  NodeClock,
  replayCommand,
  runArtifacts,
  saveRun,
  SimDisk,
  Simulation,
  type SimulationOptions,
  simulationSeeds,
  toShiViz,
  toSpaceTimeDiagram,
} from '../src/index.js';
import { codeOf } from '@lattice/test-kit';


const node = () => ({ stop: () => undefined });
const simulation = (extra: object): Simulation<unknown, unknown, unknown> =>
  new Simulation({ seed: 1, nodes: ['a', 'b'], node, faults: false, ...extra } as SimulationOptions<unknown, unknown, unknown>);

// Each entry is one wrong call; every one must be refused with an InvalidArgumentError at the call.
const wrongCalls: [string, () => unknown][] = [
  ['new SimDisk with null options', () => new SimDisk(null as never)],
  ['new SimDisk with options that are not an object', () => new SimDisk('torn' as never)],
  ['new SimDisk with a tornWrites that is not a boolean', () => new SimDisk({ tornWrites: 'yes' as never })],
  ['new Simulation without options', () => new Simulation(undefined as never)],
  ['new Simulation with null options', () => new Simulation(null as never)],
  ['Simulation seed NaN', () => simulation({ seed: Number.NaN })],
  ['Simulation seed a string', () => simulation({ seed: '1' })],
  ['Simulation without a node factory', () => simulation({ node: undefined })],
  ['Simulation nodes not an array or a count', () => simulation({ nodes: 'a' })],
  ['Simulation nodes a negative count', () => simulation({ nodes: -1 })],
  ['Simulation nodes with an empty id', () => simulation({ nodes: ['a', ''] })],
  ['Simulation nodes with an id longer than core allows', () => simulation({ nodes: ['a', 'b'.repeat(256)] })],
  ['Simulation nodes with a control character in an id', () => simulation({ nodes: ['a', 'b\u0007'] })],
  ['Simulation nodes with whitespace in an id', () => simulation({ nodes: ['a', 'b c'] })],
  ['Simulation nodes with a duplicate id', () => simulation({ nodes: ['a', 'a'] })],
  ['Simulation clients not an object', () => simulation({ clients: 5 })],
  ['Simulation clients.count NaN', () => simulation({ clients: { count: Number.NaN, run: async () => undefined } })],
  ['Simulation clients.timeoutMs a string', () => simulation({ clients: { count: 1, timeoutMs: '5', run: async () => undefined } })],
  ['Simulation network not an object', () => simulation({ network: 5 })],
  ['Simulation network dropRate above 1', () => simulation({ network: { dropRate: 2 } })],
  ['Simulation clocks not an object', () => simulation({ clocks: 'x' })],
  ['Simulation clocks.maxSkewMs a string', () => simulation({ clocks: { maxSkewMs: '5' } })],
  ['Simulation clocks.maxSkewMs Infinity', () => simulation({ clocks: { maxSkewMs: Number.POSITIVE_INFINITY } })],
  ['Simulation clocks.wallStart NaN', () => simulation({ clocks: { wallStart: Number.NaN } })],
  ['Simulation faults not an object', () => simulation({ faults: 5 })],
  ['Simulation replay not a string', () => simulation({ replay: 5 })],
  ['Simulation settleTicks 0', () => simulation({ settleTicks: 0 })],
  ['Simulation maxMessageSize NaN', () => simulation({ maxMessageSize: Number.NaN })],
  ['Simulation maxEventsPerInstant 0', () => simulation({ maxEventsPerInstant: 0 })],
  ['Simulation.at with NaN', () => simulation({}).at(Number.NaN, () => undefined)],
  ['Simulation.at with a non-function', () => simulation({}).at(1, 'x' as never)],
  ['Simulation.crash of an unknown node', () => simulation({}).crash('zz')],
  ['Simulation.isUp of a number', () => simulation({}).isUp(5 as never)],
  ['Simulation.partition with a non-object', () => simulation({}).partition(5 as never)],
  ['Simulation.partition with a group that is not an array', () => simulation({}).partition({ x: 'a' as never })],
  ['Simulation.setNetworkFaults with a non-object', () => simulation({}).setNetworkFaults(5 as never)],
  ['Simulation.setNetworkFaults with a negative drop rate', () => simulation({}).setNetworkFaults({ dropRate: -1 })],
  ['Simulation.jumpClock with NaN', () => simulation({}).jumpClock('a', Number.NaN)],
  ['Simulation.setDrift with Infinity', () => simulation({}).setDrift('a', Number.POSITIVE_INFINITY)],
  ['new NodeClock without a time source', () => new NodeClock(undefined as never)],
  ['new NodeClock with options that are not an object', () => new NodeClock(() => 0, 5 as never)],
  ['new NodeClock with a NaN skew', () => new NodeClock(() => 0, { skewMs: Number.NaN })],
  ['NodeClock.setDrift with a string', () => new NodeClock(() => 0).setDrift('5' as never)],
  ['NodeClock.jumpWall with Infinity', () => new NodeClock(() => 0).jumpWall(Number.POSITIVE_INFINITY)],
  ['EventQueue.push with NaN', () => new EventQueue().push(Number.NaN, () => undefined)],
  ['EventQueue.push with a non-function', () => new EventQueue().push(1, undefined as never)],
  ['formatEvent with undefined', () => formatEvent(undefined as never)],
  ['simulationSeeds without options', () => simulationSeeds(undefined as never)],
  ['simulationSeeds with a NaN count', () => simulationSeeds({ count: Number.NaN })],
  ['deriveSeed with NaN', () => deriveSeed(Number.NaN, 'x')],
  ['deriveSeed with a non-string stream', () => deriveSeed(1, 5 as never)],
  ['replayCommand with a non-string template', () => replayCommand(5 as never, 1)],
  ['replayCommand with a fractional seed', () => replayCommand('x {seed}', 1.5)],
  ['toShiViz with events that are not an array', () => toShiViz(undefined as never, ['a'])],
  ['toShiViz with nodes that are not an array', () => toShiViz([], 'a' as never)],
  ['toSpaceTimeDiagram with events that are not an array', () => toSpaceTimeDiagram(5 as never, ['a'])],
  ['toSpaceTimeDiagram with options that are not an object', () => toSpaceTimeDiagram([], ['a'], 5 as never)],
  ['runArtifacts without a run', () => runArtifacts(undefined as never)],
  ['assertLinearizable without a run', () => assertLinearizable(undefined as never, registerModel)],
  ['assertLinearizable without a model', () => assertLinearizable({ history: [], seed: 1, replay: 'x' } as never, undefined as never)],
];

describe('bad arguments get a typed error where they are passed', () => {
  it.each(wrongCalls)('%s', (_name, call) => {
    expect(codeOf(call)).toBe(InvalidArgumentError.code);
  });

  it('Simulation.run refuses bad options, and a second run', async () => {
    await expect(simulation({}).run(undefined as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(simulation({}).run({ duration: Number.NaN })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(simulation({}).run({ duration: -1 })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(simulation({}).run({ duration: 1, stopWhenClientsDone: 'yes' as never })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    const once = simulation({});
    await once.run({ duration: 10 });
    await expect(once.run({ duration: 10 })).rejects.toMatchObject({ code: InvalidArgumentError.code });
  });

  it('a client context refuses a NaN sleep and an invoke without a function', async () => {
    const seen: string[] = [];
    const sim = new Simulation<unknown, number, number>({
      seed: 1,
      nodes: ['a'],
      node,
      faults: false,
      clients: {
        count: 1,
        run: async (ctx) => {
          for (const call of [() => ctx.sleep(Number.NaN), () => ctx.sleep('5' as never), () => ctx.invoke(1, 'x' as never), () => ctx.invoke(1, () => 1, { timeoutMs: '5' as never })]) {
            await call().then(
              () => seen.push('resolved'),
              (error: LatticeError) => seen.push(error.code),
            );
          }
        },
      },
    });
    const result = await sim.run({ duration: 100 });
    expect(seen).toEqual([InvalidArgumentError.code, InvalidArgumentError.code, InvalidArgumentError.code, InvalidArgumentError.code]);
    expect(result.history).toEqual([]);
  });

  it('saveRun refuses a file system that is not one', async () => {
    const run = await simulation({}).run({ duration: 10 });
    await expect(saveRun(run, '/tmp/x', {} as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(saveRun(run, 5 as never, { mkdir: async () => undefined, writeFile: async () => undefined })).rejects.toMatchObject({
      code: InvalidArgumentError.code,
    });
  });
});
