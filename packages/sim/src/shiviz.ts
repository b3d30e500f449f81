import { ShivizLog, type VectorClockJson } from '@lattice/clocks';
import { assertEventsAndNodes, type SimEvent } from './events.js';

/**
 * Renders a run as a ShiViz log (https://bestchai.bitbucket.io/shiviz/), written by
 * `@lattice/clocks`' `ShivizLog` — the one ShiViz writer of Lattice, in its one format (the
 * parser expression `SHIVIZ_REGEX` on the first line, a blank line, then per event a line
 * `host {"host":n,...}` with the event's vector clock and a line with its description). The
 * vector clocks follow the run's messages: a send ticks the sender, a delivery merges the
 * clock the message was sent with and ticks the receiver; starts, crashes, notes and errors
 * are local events. Client events and faults have no host and are left out.
 *
 * @param events - the run's event log
 * @param nodes - the node ids, in lane order
 *
 * @example
 * ```ts
 * const result = await simulation.run({ duration: 5_000 });
 * const log = toShiViz(result.events, result.nodes); // paste into ShiViz, or load as a file
 * checkShivizLog(log); // [] (from @lattice/clocks)
 * ```
 */
export function toShiViz(events: readonly SimEvent[], nodes: readonly string[]): string {
  assertEventsAndNodes(events, nodes);
  const log = new ShivizLog();
  // Node ids never hold whitespace (the simulator refuses them); ShiViz hosts must not either.
  const processes = new Map(nodes.map((node) => [node, log.process(node.replace(/\s/g, '_'))]));
  const sentWith = new Map<number, VectorClockJson>();
  for (const event of events) {
    const process = event.node === undefined ? undefined : processes.get(event.node);
    if (process === undefined) continue;
    const at = `t=${event.time.toFixed(3)} `;
    switch (event.kind) {
      case 'send':
        sentWith.set(event.msg!, process.send(`${at}send #${event.msg} to ${event.peer} (${event.bytes} bytes)`));
        break;
      case 'deliver': {
        const text = `${at}receive #${event.msg} from ${event.peer}${event.text === undefined ? '' : ` (${event.text})`}`;
        const sent = sentWith.get(event.msg!);
        if (sent === undefined) process.event(text);
        else process.receive(sent, text);
        break;
      }
      case 'start':
        process.event(`${at}${event.msg === 1 ? 'start' : `restart (incarnation ${event.msg})`}`);
        break;
      case 'crash':
        process.event(`${at}crash${event.text === undefined ? '' : ` (${event.text})`}`);
        break;
      case 'note':
      case 'error':
        process.event(`${at}${event.kind}: ${event.text}`);
        break;
      default:
        break;
    }
  }
  return log.toString();
}
