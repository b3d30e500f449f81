import type { LatticeError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import { CrdtEncodeError, CrdtSync, encodeCrdt, GCounter } from '../src/index.js';
import type { Writer } from '../src/binary.js';

/** A delta whose encoding fails (a bug in an application's own CRDT class, say). */
class PoisonedDelta extends GCounter {
  override writeState(_w: Writer): void {
    throw new RangeError('Maximum call stack size exceeded');
  }
}

/** A replica whose full state cannot be encoded, though its (plain GCounter) deltas can. */
class UnencodableCounter extends GCounter {
  override writeState(_w: Writer): void {
    throw new RangeError('Maximum call stack size exceeded');
  }
  override clone(): this {
    return new UnencodableCounter(this.node, new Map(this.totals)) as this;
  }
}

async function pair(replicaA: GCounter, options: { maxLogEntries?: number } = {}) {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock });
  const a = new CrdtSync({ endpoint: await network.open('a'), replica: replicaA, peers: ['b'], timers: clock, intervalMs: 100, ...options });
  const b = new CrdtSync({ endpoint: await network.open('b'), replica: new GCounter('b'), peers: ['a'], timers: clock, intervalMs: 100, ...options });
  const errors: LatticeError[] = [];
  a.onError((error) => errors.push(error));
  b.onError((error) => errors.push(error));
  return { clock, network, a, b, errors };
}

describe('CrdtSync when a local state or delta cannot be encoded', () => {
  it('encodeCrdt throws a typed error, not the failure inside', () => {
    expect(() => encodeCrdt(new PoisonedDelta(undefined, new Map([['a', 1]])))).toThrow(expect.objectContaining({ code: CrdtEncodeError.code }));
  });

  it('reports an unencodable delta once, drops it from the log, and peers catch up from the full state', async () => {
    const { clock, network, a, b, errors } = await pair(new GCounter('a'));
    a.update((counter) => counter.increment(1));
    a.commit(new PoisonedDelta(undefined, new Map([['a', 5]])).join(a.replica.increment(4)) as GCounter);
    a.update((counter) => counter.increment(2));
    // Twenty anti-entropy rounds: each would retry the delta before.
    await clock.advanceAsync(2000);
    expect(errors.map((error) => error.code)).toEqual([CrdtEncodeError.code]);
    expect(b.replica.value()).toBe(a.replica.value());
    expect(b.replica.value()).toBe(7);
    await a.close();
    await b.close();
    await network.close();
  });

  it('reports an unencodable full state once per change of the replica, not once per round', async () => {
    const { clock, network, a, b, errors } = await pair(new UnencodableCounter('a'), { maxLogEntries: 1 });
    network.isolate('b');
    for (let i = 0; i < 3; i++) a.update((counter) => counter.increment());
    await clock.advanceAsync(50);
    network.heal();
    // b lacks pruned deltas, so every digest of b asks a for its full state.
    await clock.advanceAsync(2000);
    expect(errors.map((error) => error.code)).toEqual([CrdtEncodeError.code]);
    network.isolate('b');
    a.update((counter) => counter.increment());
    network.heal();
    await clock.advanceAsync(2000);
    expect(errors.map((error) => error.code)).toEqual([CrdtEncodeError.code, CrdtEncodeError.code]);
    await a.close();
    await b.close();
    await network.close();
  });
});
