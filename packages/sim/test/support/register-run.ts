import type { RegisterInput, RegisterOutput } from '@lattice/linearizability';
import { type ClockOptions, type FaultScheduleOptions, Simulation, type SimulationResult } from '../../src/index.js';
import { type AbdNode, type AbdOptions, abdNode } from './abd.js';

export interface RegisterRunOptions {
  abd?: AbdOptions;
  nodes?: number;
  clients?: number;
  operationsPerClient?: number;
  faults?: FaultScheduleOptions | false;
  clocks?: ClockOptions;
  tornWrites?: boolean;
  log?: boolean;
}

/** The fault mix the register tests run under: every kind, often, short. */
export const REGISTER_FAULTS: FaultScheduleOptions = { meanIntervalMs: 150, durationMs: { min: 30, max: 400 } };

/** One simulated run of the ABD register with clients doing random reads and unique writes. */
export function registerSimulation(seed: number, options: RegisterRunOptions = {}): Simulation<AbdNode, RegisterInput, RegisterOutput> {
  const operations = options.operationsPerClient ?? 25;
  return new Simulation<AbdNode, RegisterInput, RegisterOutput>({
    seed,
    nodes: options.nodes ?? 3,
    node: (ctx) => abdNode(ctx, options.abd),
    clocks: options.clocks ?? { maxSkewMs: 200, maxDriftPpm: 200 },
    disk: { tornWrites: options.tornWrites ?? false },
    faults: options.faults ?? REGISTER_FAULTS,
    log: options.log ?? true,
    replay: 'SIM_SEED={seed} npx vitest run test/abd.test.ts',
    clients: {
      count: options.clients ?? 3,
      timeoutMs: 500,
      describe: (input, output) => (input.op === 'read' ? `read${output === undefined ? '' : ` -> ${output}`}` : `write ${input.value}`),
      run: async (client) => {
        const clientNumber = Number(client.id.slice(1));
        for (let i = 0; i < operations; i++) {
          const up = client.nodes.filter((id) => client.node(id) !== undefined);
          if (up.length === 0) {
            await client.sleep(20);
            continue;
          }
          const node = client.node(up[client.random.int(up.length)]!)!;
          if (client.random.next() < 0.5) {
            await client.invoke({ op: 'read' }, () => node.read());
          } else {
            const value = clientNumber * 1000 + i;
            await client.invoke({ op: 'write', value }, () => node.write(value).then(() => null));
          }
          await client.sleep(client.random.int(20));
        }
      },
    },
  });
}

/** Runs one seed to completion (every client done, or 20 virtual seconds). */
export function runRegister(seed: number, options: RegisterRunOptions = {}): Promise<SimulationResult<RegisterInput, RegisterOutput>> {
  return registerSimulation(seed, options).run({ duration: 20_000 });
}
