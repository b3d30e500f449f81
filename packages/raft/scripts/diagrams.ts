/**
 * Draws the guide's space-time diagrams from simulated runs (`npm run diagrams -w @lattice/raft`):
 * an election and a re-election after the leader crashes, and a joint configuration change.
 * Writes docs/raft-election.svg and docs/raft-joint.svg at the repository root. The runs are
 * seeded, so the pictures only change when the protocol does.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodeId } from '@lattice/core';
import { DiskRecordLog, type NodeContext, Simulation } from '@lattice/sim';
import { type ConfChange, RaftCore, raftMessageCodec, raftRecordCodec, replayRaftRecords } from '../src/index.js';

const docs = (name: string) => fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url));

function raftNode(voters: readonly NodeId[], cores: Map<NodeId, RaftCore>) {
  return (ctx: NodeContext) => {
    const storage = new DiskRecordLog(ctx.disk, { file: 'raft', codec: raftRecordCodec() });
    const core = new RaftCore({ id: ctx.id, voters, stored: replayRaftRecords(storage.load()), now: ctx.clock.monotonic(), random: ctx.random, electionTimeoutMs: 300, heartbeatIntervalMs: 100 });
    cores.set(ctx.id, core);
    return ctx.runCore({
      core,
      codec: raftMessageCodec(),
      storage,
      apply: (effect) => {
        if (effect.type === 'role' && effect.role !== 'follower') ctx.log(`${effect.role} in term ${effect.term}`);
        if (effect.type === 'conf') ctx.log(`config: voters ${effect.conf.voters.join(',')}${effect.conf.outgoing.length > 0 ? ` + old ${effect.conf.outgoing.join(',')} (joint)` : ''}`);
      },
    });
  };
}

/** The diagram's SVG on its own, with the page's styles moved inside it (so it renders as an image). */
function svgOf(html: string): string {
  const start = html.indexOf('<svg');
  const end = html.lastIndexOf('</svg>');
  if (start < 0 || end < 0) throw new Error('no SVG in the diagram');
  const svg = html.slice(start, end + '</svg>'.length);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  const open = svg.indexOf('>') + 1;
  const withNamespace = svg.slice(0, open).includes('xmlns=') ? svg.slice(0, open) : svg.slice(0, open - 1).concat(' xmlns="http://www.w3.org/2000/svg">');
  return `${withNamespace}<style>${style}</style>${svg.slice(open)}\n`;
}

export async function electionDiagram(): Promise<string> {
  const cores = new Map<NodeId, RaftCore>();
  const sim = new Simulation({ seed: 4, nodes: ['n1', 'n2', 'n3'], node: raftNode(['n1', 'n2', 'n3'], cores), faults: false });
  sim.at(1_200, () => {
    const leader = [...cores].find(([id, core]) => sim.isUp(id) && core.role === 'leader');
    if (leader !== undefined) sim.crash(leader[0]);
  });
  const result = await sim.run({ duration: 2_400 });
  return svgOf(result.diagram({ title: 'Raft: an election, then a re-election after the leader crashes (seed 4)', pixelsPerMs: 0.9 }));
}

export async function jointDiagram(): Promise<string> {
  const cores = new Map<NodeId, RaftCore>();
  const sim = new Simulation({ seed: 6, nodes: ['n1', 'n2', 'n3', 'n4'], node: raftNode(['n1', 'n2', 'n3'], cores), faults: false });
  const change: ConfChange = { steps: [{ type: 'addVoter', node: 'n4' }, { type: 'remove', node: 'n3' }] };
  sim.at(1_000, () => {
    const leader = [...cores.values()].find((core) => core.role === 'leader');
    if (leader === undefined) return;
    sim.handle(leader.id)?.run(() => leader.proposeConfChange(change));
  });
  const result = await sim.run({ duration: 1_600 });
  return svgOf(result.diagram({ title: 'Raft: replacing n3 by n4 through a joint configuration, left automatically (seed 6)', from: 900, to: 1_600, pixelsPerMs: 3 }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(docs('raft-election.svg'), await electionDiagram());
  writeFileSync(docs('raft-joint.svg'), await jointDiagram());
  console.log('wrote docs/raft-election.svg and docs/raft-joint.svg');
}
