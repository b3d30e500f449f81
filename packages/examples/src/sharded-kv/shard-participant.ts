/**
 * The two-phase-commit participant role of a shard group, held by the group's leader: a prepare
 * becomes a `prepare` command in the shard's Raft log (checks and locks, replicated before the
 * vote leaves), a decision becomes a `commit` or `abort` command (replicated before the ack
 * leaves). The role keeps nothing of its own: whichever replica leads next finds every prepared
 * transaction in the shard's state and asks the coordinator group about it until it is decided.
 */
import { isLatticeError, type Endpoint, type NodeId, type TimerHandle, type Timers } from '@lattice/core';
import type { RaftNode } from '@lattice/raft';
import { decodeTwoPhaseMessage, encodeTwoPhaseMessage, type TwoPhaseMessage } from '@lattice/two-phase-commit';
import { decodeTransferOps } from './ops.js';
import { encodeShardCommand, type ShardMachine, type ShardResult } from './shard-machine.js';

export interface ShardParticipantOptions {
  readonly endpoint: Endpoint;
  readonly raft: RaftNode<ShardResult>;
  readonly machine: ShardMachine;
  readonly coordinator: NodeId;
  readonly timers: Timers;
  /** How often the leader asks the coordinator about transactions it holds prepared, ms. */
  readonly inquiryMs: number;
  /** Reports a peer's malformed message (it changes nothing). */
  readonly onError: (error: unknown) => void;
}

export class ShardParticipant {
  readonly #options: ShardParticipantOptions;
  readonly #detach: () => void;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(options: ShardParticipantOptions) {
    this.#options = options;
    this.#detach = options.endpoint.onMessage((envelope) => {
      let message: TwoPhaseMessage;
      try {
        message = decodeTwoPhaseMessage(envelope.payload);
      } catch (error) {
        options.onError(error);
        return;
      }
      void this.#handle(envelope.from, message).catch((error: unknown) => {
        // A proposal that timed out or was dropped (leadership moved): the coordinator repeats itself.
        if (!isLatticeError(error)) options.onError(error);
      });
    });
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    this.#detach();
    if (this.#timer !== undefined) this.#options.timers.clearTimeout(this.#timer);
    void this.#options.endpoint.close();
  }

  async #handle(from: NodeId, message: TwoPhaseMessage): Promise<void> {
    const { raft } = this.#options;
    if (message.type === 'prepare') {
      const ops = decodeTransferOps(message.ops);
      const result = await raft.propose(encodeShardCommand({ t: 'prepare', gid: message.gid, writes: ops.writes, readTs: ops.readTs, commitTs: ops.commitTs }));
      if (result.type === 'vote') this.#send(from, { type: 'vote', gid: message.gid, vote: result.vote });
      return;
    }
    if (message.type === 'decision') {
      const result = await raft.propose(encodeShardCommand({ t: message.outcome === 'committed' ? 'commit' : 'abort', gid: message.gid }));
      if (result.type === 'done') this.#send(from, { type: 'ack', gid: message.gid });
      else this.#options.onError(new Error(`shard refused a decision: ${JSON.stringify(result)}`));
    }
    // Status queries and peer states are for cooperative termination, which a replicated coordinator makes unnecessary.
  }

  #send(to: NodeId, message: TwoPhaseMessage): void {
    if (this.#closed) return;
    this.#options.endpoint.send(to, encodeTwoPhaseMessage(message)).catch(() => undefined);
  }

  #arm(): void {
    if (this.#closed) return;
    this.#timer = this.#options.timers.setTimeout(() => {
      for (const gid of this.#options.machine.inDoubt()) this.#send(this.#options.coordinator, { type: 'status', gid });
      this.#arm();
    }, this.#options.inquiryMs);
  }
}
