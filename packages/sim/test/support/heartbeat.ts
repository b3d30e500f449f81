import type { NodeContext } from '../../src/index.js';

export interface HeartbeatNode {
  readonly lastSeen: Map<string, number>;
  readonly received: number;
}

/** Every `intervalMs` of node time, send a 1-byte heartbeat to every peer; remember when each was last heard. */
export function heartbeatNode(ctx: NodeContext, intervalMs = 50): HeartbeatNode {
  const lastSeen = new Map<string, number>();
  let received = 0;
  ctx.endpoint.onMessage((message) => {
    received++;
    lastSeen.set(message.from, ctx.clock.monotonic());
  });
  const payload = new Uint8Array([ctx.incarnation]);
  const beat = (): void => {
    for (const peer of ctx.nodes) if (peer !== ctx.id) void ctx.endpoint.send(peer, payload);
    ctx.timers.setTimeout(beat, intervalMs);
  };
  beat();
  return {
    lastSeen,
    get received() {
      return received;
    },
  };
}
