import { assertFunction, assertNodeId, assertOptionalObject, InvalidArgumentError, type NodeId } from '@lattice/core';
import { VectorClock, type VectorClockJson } from './vector-clock.js';

/**
 * The regular expression ShiViz (https://bestchai.bitbucket.io/shiviz/) uses to parse the logs
 * {@link ShivizLog} writes: the same one GoVector's logs use.
 */
export const SHIVIZ_REGEX = '(?<host>\\S*) (?<clock>{.*})\\n(?<event>.*)';

/** Options of {@link ShivizLog}. */
export interface ShivizLogOptions {
  /**
   * Receives the log as it is produced, chunk by chunk (the header first, then one chunk per
   * event), e.g. to append to a file. The whole log is also kept for {@link ShivizLog.toString}
   * unless `keep` is false.
   */
  write?: (chunk: string) => void;
  /** Keep the text in memory for `toString()`. Default true. */
  keep?: boolean;
}

/**
 * A log of vector-timestamped events in the format the ShiViz visualiser parses, as GoVector
 * writes them: the parsing regex on the first line, a blank line, then for every event a line
 * `host {"host":n,...}` followed by a line with the event's text. Get one
 * {@link ShivizProcess} per host with {@link ShivizLog.process}; each host's own entry starts
 * at 1 and rises by exactly 1 per event, and a receive merges the sender's clock then ticks.
 *
 * Paste the output (or upload the file) into ShiViz to see the space-time diagram.
 *
 * @example
 * ```ts
 * import { ShivizLog } from '@lattice/clocks';
 *
 * const log = new ShivizLog();
 * const alice = log.process('alice');
 * const bob = log.process('bob');
 * const stamp = alice.send('ping bob');
 * bob.receive(stamp, 'got ping from alice');
 * console.log(log.toString());
 * ```
 */
export class ShivizLog {
  readonly #chunks: string[] = [];
  readonly #write: ((chunk: string) => void) | undefined;
  readonly #keep: boolean;
  readonly #processes = new Map<NodeId, ShivizProcess>();
  #events = 0;

  constructor(options: ShivizLogOptions = {}) {
    assertOptionalObject(options, 'ShivizLog options');
    if (options.write !== undefined) assertFunction(options.write, 'options.write');
    this.#write = options.write;
    this.#keep = options.keep ?? true;
    this.#emit(`${SHIVIZ_REGEX}\n\n`);
  }

  /** The process logging as `host` (created on first use). Hosts may not contain whitespace. */
  process(host: NodeId): ShivizProcess {
    let process = this.#processes.get(host);
    if (process === undefined) {
      assertNodeId(host, 'host');
      if (/\s/.test(host)) throw new InvalidArgumentError(`ShiViz host names cannot contain whitespace, got ${JSON.stringify(host)}`);
      process = new ShivizProcess(host, (clock, text) => this.#record(host, clock, text));
      this.#processes.set(host, process);
    }
    return process;
  }

  /** Number of events logged. */
  get events(): number {
    return this.#events;
  }

  /** The whole log (when `keep` is not false). */
  toString(): string {
    return this.#chunks.join('');
  }

  #record(host: NodeId, clock: VectorClock, text: string): void {
    this.#events++;
    // ShiViz reads one line of event text: line breaks would split the entry.
    const line = text.replace(/\r\n|\r|\n/g, ' ');
    this.#emit(`${host} ${clock.toString()}\n${line}\n`);
  }

  #emit(chunk: string): void {
    if (this.#keep) this.#chunks.push(chunk);
    this.#write?.(chunk);
  }
}

/**
 * One host's view of a {@link ShivizLog}: its vector clock and its three kinds of event.
 *
 * @example
 * ```ts
 * const node = log.process('node-1');
 * node.event('started');
 * endpoint.send('node-2', encode({ body, clock: node.send('request to node-2') }));
 * // on node-2: log.process('node-2').receive(message.clock, 'request from node-1');
 * ```
 */
export class ShivizProcess {
  /** The host name. */
  readonly host: NodeId;
  readonly #clock = new VectorClock();
  readonly #record: (clock: VectorClock, text: string) => void;

  /** @internal Created by {@link ShivizLog.process}. */
  constructor(host: NodeId, record: (clock: VectorClock, text: string) => void) {
    this.host = host;
    this.#record = record;
  }

  /** This host's current vector clock (a copy). */
  get clock(): VectorClock {
    return this.#clock.clone();
  }

  /** Logs a local event. Returns the event's clock (a copy). */
  event(text: string): VectorClock {
    assertText(text);
    this.#clock.increment(this.host);
    this.#record(this.#clock, text);
    return this.#clock.clone();
  }

  /** Logs a send event and returns the clock to put in the message (plain JSON). */
  send(text: string): VectorClockJson {
    assertText(text);
    this.#clock.increment(this.host);
    this.#record(this.#clock, text);
    return this.#clock.toJSON();
  }

  /**
   * Logs the receipt of a message carrying `remote` (a clock or its JSON): merges it, then
   * ticks. Returns the event's clock (a copy).
   *
   * @throws `DecodeError` if `remote` is not a valid vector clock (nothing is logged then).
   */
  receive(remote: VectorClock | VectorClockJson | string, text: string): VectorClock {
    assertText(text);
    const clock = remote instanceof VectorClock ? remote : VectorClock.fromJSON(remote);
    this.#clock.merge(clock).increment(this.host);
    this.#record(this.#clock, text);
    return this.#clock.clone();
  }
}

/**
 * Checks text against the rules of a ShiViz log as {@link ShivizLog} writes it and returns the
 * problems found (empty when valid): the regex line then a blank line; `host {json}` / text
 * line pairs; each host's own entry starting at 1 and rising by exactly 1; each host's clock
 * rising; no entry for another
 * host above what that host has logged so far (a clock cannot know the future).
 *
 * @example
 * ```ts
 * checkShivizLog(log.toString()); // []
 * ```
 */
export function checkShivizLog(text: string): string[] {
  if (typeof text !== 'string') throw new InvalidArgumentError(`a ShiViz log must be a string, got ${typeof text}`);
  const problems: string[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if ((lines[0] ?? '') === '') problems.push('line 1: the parsing regex is missing');
  else {
    try {
      new RegExp(lines[0]!);
    } catch {
      problems.push('line 1: not a valid regular expression');
    }
  }
  if (lines[1] !== '') problems.push('line 2: must be blank');
  const own = new Map<string, number>();
  const last = new Map<string, VectorClock>();
  for (let i = 2; i < lines.length; i += 2) {
    const header = lines[i]!;
    const where = `line ${i + 1}`;
    if (i + 1 >= lines.length) {
      problems.push(`${where}: event text line missing`);
      break;
    }
    const match = /^(\S+) (\{.*\})$/.exec(header);
    if (match === null) {
      problems.push(`${where}: expected "host {clock}", got ${JSON.stringify(header)}`);
      continue;
    }
    const host = match[1]!;
    let clock: VectorClock;
    try {
      clock = VectorClock.fromJSON(match[2]!);
    } catch {
      problems.push(`${where}: clock is not a valid vector clock`);
      continue;
    }
    const expected = (own.get(host) ?? 0) + 1;
    if (clock.get(host) !== expected) problems.push(`${where}: ${host}'s own entry is ${clock.get(host)}, expected ${expected}`);
    for (const [node, count] of clock.entries()) {
      if (node !== host && count > (own.get(node) ?? 0)) {
        problems.push(`${where}: entry ${node}=${count} is ahead of ${node}'s last logged event ${own.get(node) ?? 0}`);
      }
    }
    const previous = last.get(host);
    if (previous !== undefined && previous.compare(clock) !== 'before') problems.push(`${where}: ${host}'s clock went backwards`);
    last.set(host, clock);
    own.set(host, clock.get(host));
  }
  return problems;
}

function assertText(text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new InvalidArgumentError(`event text must be a string, got ${typeof text}`);
}
