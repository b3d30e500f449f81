/**
 * The resource the locks guard: a storage service holding one value. The fenced store accepts
 * a write only with a fencing token at least as high as the highest it has accepted, and keeps
 * that highest token on disk (synced before it answers), so a restart does not reopen the door
 * to older tokens. The unfenced store — what a Redlock client writes to, having no token to
 * give — accepts every write.
 */
import { isLatticeError, type NodeId } from '@lattice/core';
import type { NodeContext } from '@lattice/sim';
import { LockMessageError } from './errors.js';
import { decodeMessage, encodeMessage } from './wire.js';

/** A write as the store decided it. */
export interface StoreWrite {
  readonly client: NodeId;
  readonly token: number | null;
  readonly value: string;
  readonly accepted: boolean;
  /** The highest token accepted before this write. */
  readonly highest: number;
}

/** The store's answer to a write. */
export interface StoreReply {
  readonly accepted: boolean;
  readonly highest: number;
}

/** Options of {@link startGuardedStore}. */
export interface GuardedStoreOptions {
  /** Check fencing tokens. False: accept every write (the store a lock without tokens must trust). */
  readonly fenced: boolean;
  /** Sees every write, accepted or rejected. */
  readonly onWrite?: (write: StoreWrite) => void;
}

/** A running store. */
export interface GuardedStore {
  readonly value: string;
  readonly highest: number;
}

const HIGHEST_FILE = 'highest-token';

/** Starts the store on a simulated node (a `NodeFactory` body). */
export function startGuardedStore(ctx: NodeContext, options: GuardedStoreOptions): GuardedStore {
  const saved = ctx.disk.read(HIGHEST_FILE);
  let highest = saved === undefined || saved.byteLength !== 8 ? 0 : new DataView(saved.buffer, saved.byteOffset).getFloat64(0);
  let value = '';
  ctx.endpoint.onMessage((envelope) => {
    let request: ReturnType<typeof decodeMessage>;
    try {
      request = decodeMessage(envelope.payload);
      if (request.t !== 'write') throw new LockMessageError(`the store does not serve ${request.t}`);
    } catch (error) {
      if (isLatticeError(error)) ctx.log(`${error.name}: ${error.message}`);
      return;
    }
    const before = highest;
    // Equal tokens pass: the same holder may write many times under one grant.
    const accepted = !options.fenced || (request.token !== null && request.token >= highest);
    if (accepted) {
      value = request.value;
      if (request.token !== null && request.token > highest) {
        highest = request.token;
        const bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setFloat64(0, highest);
        ctx.disk.write(HIGHEST_FILE, bytes);
        ctx.disk.sync();
      }
    }
    options.onWrite?.({ client: envelope.from, token: request.token, value: request.value, accepted, highest: before });
    ctx.log(`${accepted ? 'accepted' : 'rejected'} ${envelope.from}'s write${request.token === null ? '' : ` (token ${request.token}, highest ${before})`}`);
    const result: StoreReply = { accepted, highest };
    ctx.endpoint.send(envelope.from, encodeMessage({ t: 'reply', req: request.req, result })).catch(() => undefined);
  });
  return {
    get value() {
      return value;
    },
    get highest() {
      return highest;
    },
  };
}
