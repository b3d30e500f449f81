/**
 * A lock-service node: the {@link LockStateMachine} replicated by a `RaftCore` of `@lattice/raft`,
 * run by the simulator's `ctx.runCore` on a `DiskRecordLog` (synchronous, crash-faithful
 * storage), answering clients over the same endpoint as its Raft peers. A client's acquire,
 * renew or release becomes a log entry, stamped by the leader with its clock as the leader
 * appends it; the node that took the request answers once it has applied the entry. Reads of a
 * lock are linearizable: ReadIndex, then the local machine once it has applied that far.
 */
import { type Envelope, isLatticeError, type LatticeError, type NodeId } from '@lattice/core';
import { RaftCore, type RaftEffect, raftMessageCodec, raftRecordCodec, replayRaftRecords } from '@lattice/raft';
import { DiskRecordLog, type NodeContext } from '@lattice/sim';
import { LockMessageError } from './errors.js';
import { type AppliedLockOutcome, encodeLockCommand, type LockBug, type LockCommand, LockStateMachine, stampLockCommand } from './lock-state-machine.js';
import { decodeMessage, encodeMessage, type Request } from './wire.js';

/** Options of {@link startLockServer}. */
export interface LockServerOptions {
  /** The Raft voters (the lock nodes). */
  readonly voters: readonly NodeId[];
  readonly electionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Applied entries between snapshots (log compaction); 0 for none. Default 100. */
  readonly snapshotEvery?: number;
  /** How long a request waits for its entry to apply before it is forgotten (the client has timed out by then). Default 3,000 ms. */
  readonly requestTtlMs?: number;
  /** Deliberate bugs, for the tests that prove the checks catch them. */
  readonly bugs?: readonly LockBug[];
  /** Sees every outcome this replica applies, in log order. */
  readonly onApplied?: (node: NodeId, outcome: AppliedLockOutcome) => void;
}

/** A running lock node. */
export interface LockServer {
  readonly id: NodeId;
  readonly core: RaftCore;
  readonly machine: LockStateMachine;
}

/** Answers for a request that could not be placed: retry elsewhere. */
export type LockUnavailable = { readonly error: 'no-leader' | 'unavailable'; readonly leader: NodeId };

interface Waiting {
  readonly client: NodeId;
  readonly req: number;
  readonly lock: string;
}

const JSON_OPEN = 0x7b;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts a lock node on a simulated node (a `NodeFactory` body: `node: (ctx) => startLockServer(ctx, options)`). */
export function startLockServer(ctx: NodeContext, options: LockServerOptions): LockServer {
  const storage = new DiskRecordLog(ctx.disk, { file: 'raft', codec: raftRecordCodec() });
  const stored = replayRaftRecords(storage.load());
  const machine = new LockStateMachine(options.bugs === undefined ? {} : { bugs: options.bugs });
  if (stored.snapshot !== undefined) machine.restore(stored.snapshot.data);
  let applied = stored.snapshot?.meta.index ?? 0;
  let lastSnapshot = applied;
  const snapshotEvery = options.snapshotEvery ?? 100;
  const requestTtlMs = options.requestTtlMs ?? 3_000;
  const leaderMemoryTokens = options.bugs?.includes('token-from-leader-memory') === true;
  const grantsFromLocalView = options.bugs?.includes('grant-from-local-view') === true;
  // Never below what this node has applied or stamped before: agreed time does not run backwards
  // when leadership moves to a node whose clock is behind.
  let lastStamp = 0;
  let tokensHandedOut = 0;

  const core = new RaftCore({
    id: ctx.id,
    voters: options.voters,
    stored,
    now: ctx.clock.monotonic(),
    random: ctx.random,
    electionTimeoutMs: options.electionTimeoutMs ?? 300,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 50,
    stampProposal: (data) => {
      lastStamp = Math.max(ctx.clock.now(), machine.now, lastStamp);
      return stampLockCommand(data, lastStamp, leaderMemoryTokens ? ++tokensHandedOut : undefined);
    },
  });

  const proposals = new Map<string, Waiting>();
  const reads = new Map<string, Waiting>();
  let readsReady: { index: number; key: string }[] = [];

  const reply = (to: NodeId, req: number, result: unknown): void => {
    ctx.endpoint.send(to, encodeMessage({ t: 'reply', req, result })).catch(() => undefined); // a lost reply is a client timeout
  };
  const report = (error: LatticeError): void => ctx.log(`${error.name}: ${error.message}`);
  const forget = (map: Map<string, Waiting>, key: string): void => {
    ctx.timers.setTimeout(() => map.delete(key), requestTtlMs);
  };

  const releaseReads = (): void => {
    const due = readsReady.filter((read) => read.index <= applied);
    readsReady = readsReady.filter((read) => read.index > applied);
    for (const { key } of due) {
      const waiting = reads.get(key);
      reads.delete(key);
      if (waiting !== undefined) reply(waiting.client, waiting.req, machine.view(waiting.lock));
    }
  };

  const effect = (effect: RaftEffect): void => {
    switch (effect.type) {
      case 'apply':
        for (const entry of effect.entries) {
          applied = entry.index;
          if (entry.type !== 'normal' || entry.data.byteLength === 0) continue; // membership, or a new leader's no-op
          let outcome: AppliedLockOutcome;
          try {
            outcome = machine.apply(entry.data, entry.index);
          } catch (error) {
            if (isLatticeError(error)) report(error);
            else throw error;
            continue;
          }
          options.onApplied?.(ctx.id, outcome);
          const key = `${outcome.client}/${outcome.req}`;
          const waiting = proposals.get(key);
          if (waiting !== undefined) {
            proposals.delete(key);
            reply(waiting.client, waiting.req, outcome);
          }
        }
        releaseReads();
        if (snapshotEvery > 0 && applied - lastSnapshot >= snapshotEvery) {
          lastSnapshot = applied;
          core.compact(machine.snapshot(), applied); // picked up by the driver's next Ready
        }
        return;
      case 'restore':
        machine.restore(effect.snapshot.data);
        applied = effect.snapshot.meta.index;
        lastSnapshot = applied;
        releaseReads();
        return;
      case 'readState':
        readsReady.push({ index: effect.readState.index, key: decoder.decode(effect.readState.context) });
        releaseReads();
        return;
      case 'readDropped': {
        const key = decoder.decode(effect.context);
        const waiting = reads.get(key);
        reads.delete(key);
        if (waiting !== undefined) reply(waiting.client, waiting.req, { error: 'unavailable', leader: core.leader } satisfies LockUnavailable);
        return;
      }
      case 'role':
        if (effect.role === 'leader') ctx.log(`leader in term ${effect.term}`);
        return;
      case 'conf':
        return;
    }
  };

  // Clients and Raft peers share the endpoint: client messages are JSON (they open with '{'),
  // Raft's open with its format version byte, so each side takes only its own.
  const driver = ctx.runCore({ core, codec: raftMessageCodec(), storage, apply: effect, accepts: (payload) => payload[0] !== JSON_OPEN });

  const fromClient = (envelope: Envelope): void => {
    let request: Request;
    try {
      const message = decodeMessage(envelope.payload);
      if (message.t !== 'acquire' && message.t !== 'renew' && message.t !== 'release' && message.t !== 'read') throw new LockMessageError(`a lock node does not serve ${message.t}`);
      request = message;
    } catch (error) {
      if (isLatticeError(error)) report(error);
      return;
    }
    const client = envelope.from;
    if (core.leader === '') {
      reply(client, request.req, { error: 'no-leader', leader: '' } satisfies LockUnavailable);
      return;
    }
    const key = `${client}/${request.req}`;
    if (request.t === 'read') {
      reads.set(key, { client, req: request.req, lock: request.lock });
      forget(reads, key);
      driver.run(() => core.readIndex(encoder.encode(key)));
      return;
    }
    if (grantsFromLocalView && request.t === 'acquire' && core.role !== 'leader' && machine.view(request.lock).holder === null) {
      const now = machine.now;
      reply(client, request.req, { type: 'granted', lock: request.lock, client, token: applied + 1, expiresAt: now + request.leaseMs, at: now, index: applied, req: request.req } satisfies AppliedLockOutcome);
      return;
    }
    const command: LockCommand =
      request.t === 'acquire'
        ? { op: 'acquire', lock: request.lock, client, req: request.req, leaseMs: request.leaseMs }
        : request.t === 'renew'
          ? { op: 'renew', lock: request.lock, client, req: request.req, token: request.token, leaseMs: request.leaseMs }
          : { op: 'release', lock: request.lock, client, req: request.req, token: request.token };
    proposals.set(key, { client, req: request.req, lock: request.lock });
    forget(proposals, key);
    const placed = driver.run(() => core.propose(encodeLockCommand(command)));
    if (placed === undefined && core.role === 'leader') {
      proposals.delete(key);
      reply(client, request.req, { error: 'unavailable', leader: core.leader } satisfies LockUnavailable);
    }
  };
  ctx.endpoint.onMessage((envelope) => {
    if (envelope.payload[0] === JSON_OPEN) fromClient(envelope);
  });
  return { id: ctx.id, core, machine };
}
