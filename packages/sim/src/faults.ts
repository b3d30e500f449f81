import { InvalidArgumentError, type NodeId, type Random } from '@lattice/core';

/** The faults a random schedule can inject. */
export type FaultKind =
  /** Split the nodes into two random halves that cannot talk. */
  | 'partition'
  /** Cut one node off from all others. */
  | 'isolate'
  /** Cut one random link in one direction. */
  | 'one-way'
  /** Raise the drop rate. */
  | 'drop'
  /** Raise the duplicate rate. */
  | 'duplicate'
  /** Raise the latency (slow network). */
  | 'delay'
  /** Raise the reorder rate. */
  | 'reorder'
  /** Crash a node (losing its unsynced disk writes) and restart it later. */
  | 'crash'
  /** Step one node's wall clock forwards or backwards. */
  | 'clock-jump'
  /** Change one node's clock drift for a while. */
  | 'clock-drift';

/** Every {@link FaultKind}. */
export const FAULT_KINDS: readonly FaultKind[] = Object.freeze([
  'partition',
  'isolate',
  'one-way',
  'drop',
  'duplicate',
  'delay',
  'reorder',
  'crash',
  'clock-jump',
  'clock-drift',
]);

/** Options of the seeded random fault schedule. */
export interface FaultScheduleOptions {
  /** Which faults to inject and how often relative to each other. Default: every kind, weight 1. */
  kinds?: readonly FaultKind[] | Partial<Record<FaultKind, number>>;
  /** Mean time between two injected faults, in virtual ms (gaps are uniform in [0.5, 1.5] × mean). Default 300. */
  meanIntervalMs?: number;
  /** How long a fault lasts before it is undone, in virtual ms. Default { min: 50, max: 1000 }. */
  durationMs?: { min: number; max: number };
  /** No faults before this time (ms). Default 0. */
  start?: number;
  /**
   * No new faults from this time on; then the network is healed, rates restored and crashed
   * nodes restarted, so the system can recover. Default: faults until the end of the run.
   */
  stop?: number;
  /** Most nodes down at once. Default ⌊(n − 1) / 2⌋ (a minority), at least 1. */
  maxCrashed?: number;
  /** Drop rate during a `drop` fault. Default 0.3. */
  dropRate?: number;
  /** Duplicate rate during a `duplicate` fault. Default 0.3. */
  duplicateRate?: number;
  /** Reorder rate during a `reorder` fault. Default 0.5. */
  reorderRate?: number;
  /** Latency during a `delay` fault. Default { min: 20, max: 200 }. */
  delay?: { min: number; max: number };
  /** Largest clock jump, in ms either way. Default 5,000. */
  maxClockJumpMs?: number;
  /** Largest drift set by a `clock-drift` fault, in ppm either way. Default 500. */
  maxDriftPpm?: number;
}

/** The simulator operations a fault schedule uses. */
export interface FaultTarget {
  readonly nodes: readonly NodeId[];
  now(): number;
  at(time: number, action: () => void): void;
  isUp(id: NodeId): boolean;
  crash(id: NodeId): void;
  restart(id: NodeId): void;
  partition(groups: Record<string, readonly NodeId[]>): void;
  isolate(id: NodeId): void;
  cut(from: NodeId, to: NodeId): void;
  heal(): void;
  setNetworkFaults(faults: { dropRate?: number; duplicateRate?: number; reorderRate?: number; latency?: { min: number; max: number } }): void;
  baselineNetworkFaults(): { dropRate: number; duplicateRate: number; reorderRate: number; latency: { min: number; max: number } };
  jumpClock(id: NodeId, deltaMs: number): void;
  setDrift(id: NodeId, driftPpm: number): void;
  initialDrift(id: NodeId): number;
}

/**
 * Drives a random fault schedule from its own seeded stream: every decision (which fault,
 * when, where, for how long) comes from `random`, so a seed replays the same faults.
 */
export function scheduleFaults(target: FaultTarget, options: FaultScheduleOptions, random: Random): void {
  const weights = resolveWeights(options.kinds);
  const totalWeight = weights.reduce((sum, [, weight]) => sum + weight, 0);
  const mean = positive(options.meanIntervalMs ?? 300, 'meanIntervalMs');
  const duration = range(options.durationMs ?? { min: 50, max: 1000 }, 'durationMs');
  const delay = range(options.delay ?? { min: 20, max: 200 }, 'delay');
  const start = options.start ?? 0;
  const stop = options.stop ?? Number.POSITIVE_INFINITY;
  const nodes = target.nodes;
  const maxCrashed = options.maxCrashed ?? Math.max(1, Math.floor((nodes.length - 1) / 2));
  const maxJump = options.maxClockJumpMs ?? 5_000;
  const maxDrift = options.maxDriftPpm ?? 500;
  const rates = {
    dropRate: probability(options.dropRate ?? 0.3, 'dropRate'),
    duplicateRate: probability(options.duplicateRate ?? 0.3, 'duplicateRate'),
    reorderRate: probability(options.reorderRate ?? 0.5, 'reorderRate'),
  };
  if (totalWeight <= 0) return;
  if (nodes.length === 0) return;

  // Each fault that must be undone holds a token; undoing checks the token is still current,
  // so a newer fault of the same kind is not undone by an older one ending.
  let topologyToken = 0;
  const rateTokens = { dropRate: 0, duplicateRate: 0, reorderRate: 0, latency: 0 };
  const driftTokens = new Map<NodeId, number>();
  let crashed = 0;
  const between = (lo: number, hi: number): number => lo + random.next() * (hi - lo);
  const pick = <T>(items: readonly T[]): T => items[random.int(items.length)]!;
  const length = (): number => between(duration.min, duration.max);

  const inject = (): void => {
    let roll = random.next() * totalWeight;
    let kind: FaultKind = weights[0]![0];
    for (const [candidate, weight] of weights) {
      roll -= weight;
      if (roll < 0) {
        kind = candidate;
        break;
      }
    }
    const until = target.now() + length();
    const endAt = (undo: () => void): void => {
      if (until < stop) target.at(until, undo);
    };
    switch (kind) {
      case 'partition':
      case 'isolate':
      case 'one-way': {
        if (nodes.length < 2) return;
        const token = ++topologyToken;
        target.heal();
        if (kind === 'partition') {
          const shuffled = shuffle(nodes, random);
          const cut = 1 + random.int(nodes.length - 1);
          target.partition({ left: shuffled.slice(0, cut), right: shuffled.slice(cut) });
        } else if (kind === 'isolate') {
          target.isolate(pick(nodes));
        } else {
          const from = pick(nodes);
          const to = pick(nodes.filter((node) => node !== from));
          target.cut(from, to);
        }
        endAt(() => {
          if (token === topologyToken) target.heal();
        });
        return;
      }
      case 'drop':
      case 'duplicate':
      case 'reorder':
      case 'delay': {
        const field = kind === 'drop' ? 'dropRate' : kind === 'duplicate' ? 'duplicateRate' : kind === 'reorder' ? 'reorderRate' : 'latency';
        const token = ++rateTokens[field];
        if (field === 'latency') target.setNetworkFaults({ latency: delay });
        else target.setNetworkFaults({ [field]: rates[field] });
        endAt(() => {
          if (token !== rateTokens[field]) return;
          const baseline = target.baselineNetworkFaults();
          target.setNetworkFaults(field === 'latency' ? { latency: baseline.latency } : { [field]: baseline[field] });
        });
        return;
      }
      case 'crash': {
        if (crashed >= maxCrashed) return;
        const up = nodes.filter((node) => target.isUp(node));
        if (up.length === 0) return;
        const victim = pick(up);
        target.crash(victim);
        crashed++;
        const restartAt = Math.min(until, stop);
        target.at(restartAt, () => {
          crashed--;
          if (!target.isUp(victim)) target.restart(victim);
        });
        return;
      }
      case 'clock-jump': {
        const node = pick(nodes);
        target.jumpClock(node, Math.round(between(-maxJump, maxJump)));
        return;
      }
      case 'clock-drift': {
        const node = pick(nodes);
        const token = (driftTokens.get(node) ?? 0) + 1;
        driftTokens.set(node, token);
        target.setDrift(node, Math.round(between(-maxDrift, maxDrift)));
        endAt(() => {
          if (driftTokens.get(node) === token) target.setDrift(node, target.initialDrift(node));
        });
        return;
      }
    }
  };

  const next = (time: number): void => {
    if (time >= stop) return;
    target.at(time, () => {
      inject();
      next(target.now() + between(0.5 * mean, 1.5 * mean));
    });
  };
  next(start + between(0.5 * mean, 1.5 * mean));
  if (Number.isFinite(stop)) {
    target.at(stop, () => {
      topologyToken++;
      target.heal();
      target.setNetworkFaults(target.baselineNetworkFaults());
      for (const node of nodes) {
        driftTokens.set(node, (driftTokens.get(node) ?? 0) + 1);
        target.setDrift(node, target.initialDrift(node));
      }
    });
  }
}

function resolveWeights(kinds: FaultScheduleOptions['kinds']): [FaultKind, number][] {
  if (kinds === undefined) return FAULT_KINDS.map((kind) => [kind, 1]);
  if (Array.isArray(kinds)) {
    for (const kind of kinds) checkKind(kind);
    return (kinds as readonly FaultKind[]).map((kind) => [kind, 1]);
  }
  const out: [FaultKind, number][] = [];
  for (const [kind, weight] of Object.entries(kinds as Partial<Record<FaultKind, number>>)) {
    checkKind(kind);
    if (weight === undefined) continue;
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new InvalidArgumentError(`fault weight of ${kind} must be a finite number >= 0, got ${weight}`);
    if (weight > 0) out.push([kind as FaultKind, weight]);
  }
  return out;
}

function checkKind(kind: string): void {
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(`unknown fault kind ${JSON.stringify(kind)}; expected one of ${FAULT_KINDS.join(', ')}`);
  }
}

function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new InvalidArgumentError(`${name} must be a finite number > 0, got ${value}`);
  return value;
}

function probability(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) throw new InvalidArgumentError(`${name} must be in [0, 1], got ${value}`);
  return value;
}

function range(value: { min: number; max: number }, name: string): { min: number; max: number } {
  if (!(Number.isFinite(value.min) && Number.isFinite(value.max) && value.min >= 0 && value.max >= value.min)) {
    throw new InvalidArgumentError(`${name} must satisfy 0 <= min <= max, got {min: ${value.min}, max: ${value.max}}`);
  }
  return value;
}
