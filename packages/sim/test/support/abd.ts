/**
 * A small replicated register for the simulator's tests: ABD (Attiya, Bar-Noy, Dolev) quorum
 * reads and writes over a `Transport` endpoint, with the replica state persisted (and synced)
 * before every acknowledgement so crashes with restart are safe.
 *
 * Two deliberately broken variants exist to prove the simulator + checker catch real bugs:
 * - `readFrom: 'local'`: a read returns the coordinator's own replica (no quorum): stale reads.
 * - `persist: false`: replicas acknowledge without syncing, so a crash forgets acknowledged
 *   writes.
 * - `timestamps: 'wall-clock'`: a write skips the query phase and tags its value with the
 *   coordinator's wall clock, as last-writer-wins stores do. Correct only while clocks agree:
 *   with skew or a jump, a later write can get a smaller tag and be silently lost.
 */
import { type Codec, jsonCodec, type TimerHandle } from '@lattice/core';
import type { NodeContext } from '../../src/index.js';

export type Value = number | null;

interface Tag {
  ts: number;
  writer: string;
}

type Message =
  | { type: 'get'; rid: string }
  | { type: 'get-ok'; rid: string; tag: Tag; value: Value }
  | { type: 'set'; rid: string; tag: Tag; value: Value }
  | { type: 'set-ok'; rid: string };

export interface AbdOptions {
  /** `quorum` (correct) or `local` (broken: read the local replica only). Default quorum. */
  readFrom?: 'quorum' | 'local';
  /** Sync the replica state before acknowledging (correct). Default true. */
  persist?: boolean;
  /** Resend an unanswered request after this many ms of node time. Default 60. */
  retryMs?: number;
  /** How a write picks its tag: `query` a majority for the highest (correct), or `wall-clock` (needs synchronized clocks). Default query. */
  timestamps?: 'query' | 'wall-clock';
}

export interface AbdNode {
  read(): Promise<Value>;
  write(value: number): Promise<void>;
}

const STATE_KEY = 'register';

function compareTags(a: Tag, b: Tag): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0;
}

interface Round {
  readonly request: Message;
  readonly replied: Set<string>;
  readonly replies: { tag: Tag; value: Value }[];
  readonly done: () => void;
  timer: TimerHandle;
}

/** Builds one ABD node (replica + coordinator) on the simulator's context. */
export function abdNode(ctx: NodeContext, options: AbdOptions = {}): AbdNode {
  const { readFrom = 'quorum', persist = true, retryMs = 60, timestamps = 'query' } = options;
  const codec: Codec<Message> = jsonCodec<Message>();
  const majority = Math.floor(ctx.nodes.length / 2) + 1;
  const writerId = `${ctx.id}.${ctx.incarnation}`;
  let requests = 0;
  let writes = 0;

  // Replica state, recovered from disk after a restart.
  let tag: Tag = { ts: 0, writer: '' };
  let value: Value = null;
  const stored = ctx.disk.read(STATE_KEY);
  if (stored !== undefined) {
    const parsed = JSON.parse(new TextDecoder().decode(stored)) as { tag: Tag; value: Value };
    tag = parsed.tag;
    value = parsed.value;
  }

  const rounds = new Map<string, Round>();
  const send = (to: string, message: Message): void => {
    void ctx.endpoint.send(to, codec.encode(message));
  };

  ctx.endpoint.onMessage(({ from, payload }) => {
    const message = codec.decode(payload);
    switch (message.type) {
      case 'get':
        send(from, { type: 'get-ok', rid: message.rid, tag, value });
        return;
      case 'set':
        if (compareTags(message.tag, tag) > 0) {
          tag = message.tag;
          value = message.value;
          ctx.disk.write(STATE_KEY, new TextEncoder().encode(JSON.stringify({ tag, value })));
          if (persist) ctx.disk.sync();
        }
        send(from, { type: 'set-ok', rid: message.rid });
        return;
      case 'get-ok':
      case 'set-ok': {
        const round = rounds.get(message.rid);
        if (round === undefined || round.replied.has(from)) return;
        round.replied.add(from);
        if (message.type === 'get-ok') round.replies.push({ tag: message.tag, value: message.value });
        if (round.replied.size >= majority) {
          rounds.delete(message.rid);
          ctx.timers.clearTimeout(round.timer);
          round.done();
        }
        return;
      }
    }
  });

  /** Sends `request` to every node until a majority answered; resolves with the answers. */
  const quorum = (make: (rid: string) => Message): Promise<{ tag: Tag; value: Value }[]> =>
    new Promise((resolve) => {
      const rid = `${writerId}:${++requests}`;
      const request = make(rid);
      const round: Round = { request, replied: new Set(), replies: [], done: () => resolve(round.replies), timer: undefined };
      const broadcast = (): void => {
        for (const node of ctx.nodes) if (!round.replied.has(node)) send(node, request);
        round.timer = ctx.timers.setTimeout(broadcast, retryMs);
      };
      rounds.set(rid, round);
      broadcast();
    });

  const highest = (replies: { tag: Tag; value: Value }[]): { tag: Tag; value: Value } =>
    replies.reduce((best, reply) => (compareTags(reply.tag, best.tag) > 0 ? reply : best));

  return {
    async read() {
      if (readFrom === 'local') return value;
      const latest = highest(await quorum((rid) => ({ type: 'get', rid })));
      // Write-back: make sure a majority holds what we return before returning it.
      await quorum((rid) => ({ type: 'set', rid, tag: latest.tag, value: latest.value }));
      return latest.value;
    },
    async write(newValue) {
      // The writer part must be unique per write, not per node: two clients may write through
      // the same coordinator at once, and equal tags with different values break ABD.
      const writer = `${writerId}:${++writes}`;
      let newTag: Tag;
      if (timestamps === 'wall-clock') {
        newTag = { ts: ctx.clock.now(), writer };
      } else {
        const latest = highest(await quorum((rid) => ({ type: 'get', rid })));
        newTag = { ts: latest.tag.ts + 1, writer };
      }
      await quorum((rid) => ({ type: 'set', rid, tag: newTag, value: newValue }));
    },
  };
}
