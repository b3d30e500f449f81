import { assertEventsAndNodes, type SimEvent } from './events.js';
import { VectorClock } from './vector-clock.js';

/** The parser expression on the first line of the file (ShiViz's own default). */
export const SHIVIZ_REGEX = String.raw`(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`;

/**
 * Renders a run as a ShiViz log (https://bestchai.bitbucket.io/shiviz/): first line the
 * parser expression, second line the (empty) multi-execution delimiter, then two lines per
 * event, its description and `host {"host":n,...}` with the event's vector clock. The vector
 * clocks are computed here from the send/deliver events: a send ticks the sender, a delivery
 * merges the sender's clock at the send and ticks the receiver; starts, crashes, notes and
 * errors are local events. Client events and faults have no host and are left out.
 *
 * @param events - the run's event log
 * @param nodes - the node ids, in lane order
 *
 * @example
 * ```ts
 * const result = await simulation.run({ duration: 5_000 });
 * const log = toShiViz(result.events, result.nodes); // paste into ShiViz, or load as a file
 * ```
 */
export function toShiViz(events: readonly SimEvent[], nodes: readonly string[]): string {
  assertEventsAndNodes(events, nodes);
  const hosts = nodes.map((node) => node.replace(/\s/g, '_'));
  const index = new Map<string, number>(nodes.map((node, i) => [node, i]));
  const clocks = nodes.map(() => new VectorClock(nodes.length));
  const sentWith = new Map<number, number[]>();
  const lines: string[] = [SHIVIZ_REGEX, ''];
  for (const event of events) {
    const at = event.node === undefined ? undefined : index.get(event.node);
    if (at === undefined) continue;
    const clock = clocks[at]!;
    let description: string;
    switch (event.kind) {
      case 'send':
        clock.tick(at);
        sentWith.set(event.msg!, clock.snapshot());
        description = `send #${event.msg} to ${event.peer} (${event.bytes} bytes)`;
        break;
      case 'deliver': {
        const sent = sentWith.get(event.msg!);
        if (sent !== undefined) clock.merge(sent);
        clock.tick(at);
        description = `receive #${event.msg} from ${event.peer}${event.text === undefined ? '' : ` (${event.text})`}`;
        break;
      }
      case 'start':
        clock.tick(at);
        description = event.msg === 1 ? 'start' : `restart (incarnation ${event.msg})`;
        break;
      case 'crash':
        clock.tick(at);
        description = `crash${event.text === undefined ? '' : ` (${event.text})`}`;
        break;
      case 'note':
      case 'error':
        clock.tick(at);
        description = `${event.kind}: ${event.text}`;
        break;
      default:
        continue;
    }
    lines.push(`t=${event.time.toFixed(3)} ${oneLine(description)}`, `${hosts[at]} ${clock.toJson(hosts)}`);
  }
  return `${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
