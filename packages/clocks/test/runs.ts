import fc from 'fast-check';

/** One step of a random message-passing run. */
export type Step =
  | { kind: 'local'; node: number; advance: number }
  | { kind: 'send'; node: number; to: number; advance: number }
  | { kind: 'receive'; pick: number; advance: number };

/** A random run over `nodes` nodes: local events, sends, and receives of pending messages (in any order). */
export function runArbitrary(nodes: number, maxSteps = 60): fc.Arbitrary<Step[]> {
  const node = fc.integer({ min: 0, max: nodes - 1 });
  const advance = fc.integer({ min: 0, max: 3 });
  return fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('local' as const), node, advance }),
      fc.record({ kind: fc.constant('send' as const), node, to: node, advance }),
      fc.record({ kind: fc.constant('receive' as const), pick: fc.nat(), advance }),
    ),
    { maxLength: maxSteps },
  );
}

/** An event of an executed run, with the ground-truth set of events that happened before it. */
export interface RunEvent<S> {
  readonly id: number;
  readonly node: number;
  readonly stamp: S;
  readonly before: ReadonlySet<number>;
}

/** How a clock under test reacts to the three kinds of event; each returns the event's stamp. */
export interface Process<M, S> {
  local(node: number): S;
  send(node: number, to: number): { stamp: S; message: M };
  /** Returns undefined when the clock refuses the message (then the event does not happen). */
  receive(node: number, message: M): S | undefined;
  advance?(node: number, ms: number): void;
}

/** Executes `steps` against `process`, tracking happened-before exactly. */
export function execute<M, S>(nodes: number, steps: Step[], process: Process<M, S>): RunEvent<S>[] {
  const events: RunEvent<S>[] = [];
  const lastOf: (Set<number> | undefined)[] = new Array(nodes).fill(undefined);
  const pending: { to: number; message: M; before: Set<number> }[] = [];
  const record = (node: number, stamp: S, before: Set<number>): Set<number> => {
    const id = events.length;
    events.push({ id, node, stamp, before });
    const known = new Set(before);
    known.add(id);
    lastOf[node] = known;
    return known;
  };
  for (const step of steps) {
    if (step.kind === 'receive') {
      if (pending.length === 0) continue;
      const [message] = pending.splice(step.pick % pending.length, 1);
      process.advance?.(message!.to, step.advance);
      const stamp = process.receive(message!.to, message!.message);
      if (stamp === undefined) continue;
      const before = new Set([...(lastOf[message!.to] ?? []), ...message!.before]);
      record(message!.to, stamp, before);
      continue;
    }
    process.advance?.(step.node, step.advance);
    const before = new Set(lastOf[step.node] ?? []);
    if (step.kind === 'local') {
      record(step.node, process.local(step.node), before);
    } else {
      const { stamp, message } = process.send(step.node, step.to);
      const known = record(step.node, stamp, before);
      pending.push({ to: step.to, message, before: known });
    }
  }
  return events;
}

/** True when event a happened before event b. */
export function happenedBefore<S>(a: RunEvent<S>, b: RunEvent<S>): boolean {
  return b.before.has(a.id);
}
