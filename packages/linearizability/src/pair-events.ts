import type { EdnValue } from './edn.js';
import { MalformedHistoryError } from './errors.js';
import type { Operation } from './types.js';

/** One event of a Jepsen history (an EDN map or a log line), as the parsers pair them. */
export interface JepsenEvent {
  /** 1-based line it starts on. */
  line: number;
  process: string | number;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  /** `:f`, without the colon. */
  f: string;
  /** `:value` (`undefined` when absent). */
  value: EdnValue | undefined;
  /** `:time`, when the event has one. */
  time: number | undefined;
  /** The position the checker orders by; the event's index when absent. */
  position?: number;
}

/** Options of {@link pairEvents}. */
export interface PairOptions<E extends JepsenEvent> {
  /**
   * A `:fail` that does not prove the operation had no effect (a log's `:fail ... :timed-out`):
   * its outcome is unknown instead of the operation being dropped.
   */
  failIsUnknown?: (event: E) => boolean;
}

/**
 * Pairs invocations with completions, with Jepsen's meaning: `:ok` completed, `:fail` did not
 * take effect (the operation is dropped), `:info` and operations left open have an unknown
 * outcome. `makeInput` builds an input from an invocation, `makeOutput` the output from an `:ok`
 * completion (given the input).
 */
export function pairEvents<E extends JepsenEvent, I, O>(
  events: readonly E[],
  source: string,
  makeInput: (event: E) => I,
  makeOutput: (event: E, input: I) => O | undefined,
  options: PairOptions<E> = {},
): Operation<I, O>[] {
  const open = new Map<string, { op: Operation<I, O>; event: E }>();
  const history: Operation<I, O>[] = [];
  const dropped = new Set<Operation<I, O>>();
  for (let t = 0; t < events.length; t++) {
    const event = events[t]!;
    const at = event.position ?? t;
    const key = `${typeof event.process}:${event.process}`;
    if (event.type === 'invoke') {
      const previous = open.get(key);
      if (previous !== undefined) {
        throw new MalformedHistoryError(source, event.line, `process ${event.process} invoked :${event.f} while its :${previous.event.f} from line ${previous.event.line} is still open`);
      }
      const op: Operation<I, O> = { process: event.process, call: at, return: undefined, input: makeInput(event), output: undefined };
      if (event.time !== undefined) op.invokedAt = event.time;
      open.set(key, { op, event });
      history.push(op);
      continue;
    }
    const pending = open.get(key);
    if (pending === undefined) throw new MalformedHistoryError(source, event.line, `:${event.type} :${event.f} for process ${event.process}, which has no open operation`);
    if (pending.event.f !== event.f) {
      throw new MalformedHistoryError(source, event.line, `:${event.type} :${event.f} for process ${event.process}, whose open operation (line ${pending.event.line}) is :${pending.event.f}`);
    }
    open.delete(key);
    if (event.type === 'info') continue; // unknown outcome
    if (event.type === 'fail') {
      if (options.failIsUnknown?.(event) !== true) dropped.add(pending.op);
      continue;
    }
    pending.op.return = at;
    pending.op.output = makeOutput(event, pending.op.input);
    if (event.time !== undefined) pending.op.completedAt = event.time;
  }
  return dropped.size === 0 ? history : history.filter((op) => !dropped.has(op));
}
