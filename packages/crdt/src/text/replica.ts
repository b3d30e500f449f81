import { Agent } from './agent.js';
import { ItemList, NONE } from './item-list.js';
import type { TextId } from './types.js';

/**
 * The state of one text replica, behind {@link TextDocument}'s API: the agents it knows (by
 * index; names are resolved once, at the edges), the item list in document order, and the
 * number of received operations still waiting for their dependencies. Integration
 * (`integrate.ts`), update extraction (`updates.ts`) and snapshots (`snapshot.ts`) work on it.
 */
export class Replica {
  readonly agents: Agent[] = [];
  readonly agentIndex = new Map<string, number>();
  readonly list: ItemList = new ItemList(this.agents);
  /** Received operations parked in the agents' waiting lists. */
  pendingOps = 0;

  /** The index of agent `name`, registering it if it is new. */
  agentId(name: string): number {
    let id = this.agentIndex.get(name);
    if (id === undefined) {
      id = this.agents.length;
      this.agents.push(new Agent(name));
      this.agentIndex.set(name, id);
    }
    return id;
  }

  /** The public id of character (agent, seq), or null for "no origin". */
  idOf(agent: number, seq: number): TextId | null {
    return agent === NONE ? null : [this.agents[agent]!.name, seq];
  }
}
