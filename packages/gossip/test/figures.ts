/**
 * The figures of the SWIM and Lifeguard papers, measured in `@lattice/sim`: every member is a
 * `SwimCore` run by the simulator's `ProtocolDriver` (binary codec, seeded 1–5 ms latency,
 * seeded loss, crashes, CPU-starved members), so a seed replays a figure exactly. Used by
 * test/figures.test.ts (small clusters, bounds asserted), the soak and bench/figures.ts
 * (up to 1,000 members, plotted by scripts/plots.ts).
 */
import type { Codec, NodeId, Outbound, ProtocolCore, ProtocolDriver, Ready } from '@lattice/core';
import { Simulation } from '@lattice/sim';
import { LAN_PROFILE, type MemberEvent, type SwimEffect, type SwimMessage, SwimCore, swimMessageCodec } from '../src/index.js';

const PERIOD = LAN_PROFILE.probeIntervalMs;
/** Whatever happens, a figure's run ends by then (virtual ms). */
const RUN_LIMIT_MS = 1_800_000;

export interface ClusterOptions {
  seed: number;
  size: number;
  lifeguard?: boolean;
}

interface Seen {
  at: number;
  node: NodeId;
  event: MemberEvent;
}

/**
 * A SWIM cluster in the simulator: members `n1`…`nN` join through `n1` at time 0. Every member
 * event and every message sent is reported to the hooks, at its virtual time.
 */
class SimCluster {
  readonly sim: Simulation<ProtocolDriver<SwimMessage, never, SwimEffect>>;
  readonly cores = new Map<NodeId, SwimCore>();
  readonly ids: NodeId[];
  onEvent: ((seen: Seen) => void) | undefined;
  onSend: ((from: NodeId, out: Outbound<SwimMessage>) => void) | undefined;
  messages = 0;

  constructor(options: ClusterOptions) {
    // One codec for all members: it is stateless apart from its cache of encoded full states.
    const codec: Codec<SwimMessage> = swimMessageCodec();
    this.sim = new Simulation({
      seed: options.seed,
      nodes: options.size,
      log: false,
      network: { latency: { min: 1, max: 5 } },
      node: (ctx) => {
        const core = new SwimCore({ id: ctx.id, now: ctx.clock.monotonic(), random: ctx.random, ...(options.lifeguard === undefined ? {} : { lifeguard: options.lifeguard }) });
        if (ctx.id !== 'n1') core.join(['n1']);
        this.cores.set(ctx.id, core);
        return ctx.runCore({
          core: this.#observed(ctx.id, core),
          codec,
          apply: (effect) => {
            if (effect.type === 'member') this.onEvent?.({ at: this.sim.now(), node: ctx.id, event: effect.event });
          },
        });
      },
    });
    this.ids = [...this.sim.nodes];
  }

  core(id: NodeId): SwimCore {
    return this.cores.get(id)!;
  }

  /** Calls `then(time)` once every member sees every other alive (checked each second). */
  whenConverged(then: (at: number) => void): void {
    const check = (): void => {
      const live = this.ids.filter((id) => this.sim.isUp(id));
      if (live.every((id) => this.core(id).stats().alive === live.length && this.core(id).stats().suspect === 0)) then(this.sim.now());
      else this.sim.at(this.sim.now() + 1_000, check);
    };
    this.sim.at(1_000, check);
  }

  /** Ends the run: with every member crashed, nothing is left to happen. */
  end(): void {
    for (const id of this.ids) this.sim.crash(id);
  }

  async run(): Promise<void> {
    await this.sim.run({ duration: RUN_LIMIT_MS });
  }

  /** The core as the driver sees it, reporting each message it sends. */
  #observed(id: NodeId, core: SwimCore): ProtocolCore<SwimMessage, never, SwimEffect> {
    return {
      step: (from, message) => core.step(from, message),
      tick: (now) => core.tick(now),
      wakeAt: () => core.wakeAt(),
      hasReady: () => core.hasReady(),
      ready: (): Ready<SwimMessage, never, SwimEffect> => {
        const ready = core.ready();
        this.messages += ready.messages.length;
        if (this.onSend !== undefined) for (const out of ready.messages) this.onSend(id, out);
        return ready;
      },
      advance: (ready) => core.advance(ready),
    };
  }
}

/** What one cluster of `size` members measured, in protocol periods (LAN profile: 1 s). */
export interface ClusterFigures {
  size: number;
  seed: number;
  /** Virtual ms until every member saw every other (all joined through one seed at once). */
  convergedMs: number;
  /** Messages sent per member per period in the quiet, converged cluster. */
  messagesPerMemberPerPeriod: number;
  /** From one member's new metadata until every member has it. */
  disseminationPeriods: number;
  /** From a crash until the first ping to the crashed member (SWIM's "first detection" probe). */
  firstProbePeriods: number;
  /** From the crash until some member suspects it. */
  firstSuspicionPeriods: number;
  /** From the crash until every live member holds it dead. */
  allDeadPeriods: number;
}

/**
 * One run per cluster: converge, count the load for `loadPeriods`, spread a metadata update,
 * then crash a member at a random instant inside a period and time its detection.
 */
export async function clusterFigures(size: number, seed: number, options: { lifeguard?: boolean; loadPeriods?: number } = {}): Promise<ClusterFigures> {
  const cluster = new SimCluster({ seed, size, ...(options.lifeguard === undefined ? {} : { lifeguard: options.lifeguard }) });
  const { sim } = cluster;
  const loadPeriods = options.loadPeriods ?? 10;
  const figures: ClusterFigures = { size, seed, convergedMs: Number.NaN, messagesPerMemberPerPeriod: Number.NaN, disseminationPeriods: Number.NaN, firstProbePeriods: Number.NaN, firstSuspicionPeriods: Number.NaN, allDeadPeriods: Number.NaN };
  const updater: NodeId = 'n2';
  // Neither the seed n1 nor the updater n2.
  const victim: NodeId = `n${3 + (seed % (size - 2))}`;

  const detect = (): void => {
    // A random instant inside a period, as the paper's analysis assumes.
    sim.at(sim.now() + 1_000 + ((seed * 389) % PERIOD), () => {
      const crashedAt = sim.now();
      let firstPing: number | undefined;
      let firstSuspicion: number | undefined;
      const dead = new Set<NodeId>();
      cluster.onSend = (_from, out) => {
        if (firstPing === undefined && out.to === victim && out.message.type === 'ping') firstPing = sim.now();
      };
      cluster.onEvent = ({ at, node, event }) => {
        if (event.member.id !== victim) return;
        if (event.kind === 'suspect') firstSuspicion ??= at;
        if (event.kind === 'dead') dead.add(node);
        if (dead.size === size - 1) {
          figures.firstProbePeriods = ((firstPing ?? at) - crashedAt) / PERIOD;
          figures.firstSuspicionPeriods = ((firstSuspicion ?? at) - crashedAt) / PERIOD;
          figures.allDeadPeriods = (at - crashedAt) / PERIOD;
          cluster.onEvent = undefined;
          cluster.onSend = undefined;
          cluster.end();
        }
      };
      sim.crash(victim);
    });
  };

  const disseminate = (): void => {
    const meta = new Uint8Array([seed & 0xff, 7]);
    const start = sim.now();
    const have = new Set<NodeId>();
    cluster.onEvent = ({ at, node, event }) => {
      if (event.kind !== 'update' || event.member.id !== updater) return;
      have.add(node);
      if (have.size === size - 1) {
        figures.disseminationPeriods = (at - start) / PERIOD;
        cluster.onEvent = undefined;
        detect();
      }
    };
    sim.handle(updater)!.run(() => cluster.core(updater).updateMetadata(meta));
  };

  cluster.whenConverged((at) => {
    figures.convergedMs = at;
    // Push/pull and leftover gossip of the bootstrap settle first.
    sim.at(at + 5_000, () => {
      const before = cluster.messages;
      sim.at(sim.now() + loadPeriods * PERIOD, () => {
        figures.messagesPerMemberPerPeriod = (cluster.messages - before) / size / loadPeriods;
        disseminate();
      });
    });
  });
  await cluster.run();
  return figures;
}

/** What a run of healthy members under loss or slowness produced: every dead verdict is false. */
export interface FalsePositives {
  /** Dead events (one member's verdict about another; one false death seen by 10 members is 10). */
  dead: number;
  /** Distinct members declared dead by anyone. */
  membersDeclaredDead: number;
  suspicions: number;
}

/**
 * A converged cluster of healthy members runs `periods` periods with message loss `loss` and
 * `slow` members that handle each message up to `lagMs` late (CPU-starved, the Lifeguard
 * paper's setting); nobody fails, so every dead verdict is a false positive.
 */
export async function falsePositives(options: { size: number; seed: number; lifeguard: boolean; periods: number; loss?: number; slow?: number; lagMs?: number }): Promise<FalsePositives> {
  const { size, seed, periods } = options;
  const cluster = new SimCluster({ seed, size, lifeguard: options.lifeguard });
  const { sim } = cluster;
  const result: FalsePositives = { dead: 0, membersDeclaredDead: 0, suspicions: 0 };
  const declared = new Set<NodeId>();
  cluster.whenConverged(() => {
    if ((options.loss ?? 0) > 0) sim.setNetworkFaults({ dropRate: options.loss! });
    for (let i = 0; i < (options.slow ?? 0); i++) sim.slowDown(`n${2 + ((seed + i * 7) % (size - 1))}`, options.lagMs ?? 0);
    cluster.onEvent = ({ event }) => {
      if (event.kind === 'dead') {
        result.dead++;
        declared.add(event.member.id);
      } else if (event.kind === 'suspect') result.suspicions++;
    };
    sim.at(sim.now() + periods * PERIOD, () => {
      cluster.onEvent = undefined;
      cluster.end();
    });
  });
  await cluster.run();
  result.membersDeclaredDead = declared.size;
  return result;
}

// ---- the papers' curves ----

/** SWIM (Das et al. 2002, §3.1): expected periods to the first probe of a failed member, counting whole periods. */
export function swimFirstDetectionPeriods(qf = 1): number {
  return 1 / (1 - Math.exp(-qf));
}

/**
 * The same expectation in continuous time: probes of a member by the others arrive at rate q_f
 * per period, so the wait from a crash at a random instant is 1/q_f periods.
 */
export function swimFirstDetectionContinuous(qf = 1): number {
  return 1 / qf;
}

/**
 * Push epidemic with fan-out f (Pittel 1987, as used for SWIM's infection-style dissemination):
 * rounds to reach all n members ≈ log_{1+f} n + ln(n)/f; here rounds are gossip intervals.
 */
export function epidemicPeriods(n: number, fanout = LAN_PROFILE.gossipNodes, roundMs = LAN_PROFILE.gossipIntervalMs): number {
  return ((Math.log(n) / Math.log(1 + fanout) + Math.log(n) / fanout) * roundMs) / PERIOD;
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
