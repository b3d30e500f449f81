import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import {
  CausalCounter,
  CrdtSync,
  GCounter,
  GSet,
  LWWMap,
  LWWRegister,
  MVRegister,
  ORMap,
  ORSet,
  PNCounter,
  TwoPhaseSet,
} from '../src/index.js';

// The README's examples, with their comments turned into assertions.
describe('README examples', () => {
  it('sync example: two replicas converge', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const alice = new CrdtSync({ endpoint: await network.open('alice'), replica: new ORSet<string>('alice'), peers: ['bob'], timers: clock });
    const bob = new CrdtSync({ endpoint: await network.open('bob'), replica: new ORSet<string>('bob'), peers: ['alice'], timers: clock });
    const seen: string[][] = [];
    bob.onChange((list) => seen.push([...list.value()]));
    alice.update((list) => list.add('milk'));
    bob.update((list) => list.add('bread'));
    await clock.advanceAsync(10);
    expect(seen.at(-1)?.sort()).toEqual(['bread', 'milk']);
    expect([...alice.replica.value()].sort()).toEqual(['bread', 'milk']);
    await alice.close();
    await bob.close();
    await network.close();
  });

  it('type examples', () => {
    const views = new GCounter('a');
    expect(new GCounter('b').join(views.increment(3)).value()).toBe(3);

    const stock = new PNCounter('a');
    stock.increment(10);
    stock.decrement(3);
    expect(stock.value()).toBe(7);

    const title = new LWWRegister<string>('a');
    const other = new LWWRegister<string>('b');
    other.join(title.set('Draft'));
    title.join(other.set('Final'));
    expect(title.value()).toBe('Final');

    const x = new MVRegister<string>('a');
    const y = new MVRegister<string>('b');
    const dx = x.set('red');
    const dy = y.set('blue');
    x.join(dy);
    y.join(dx);
    expect(x.value()).toEqual(['red', 'blue']);
    expect(y.value()).toEqual(['red', 'blue']);

    const tags = new GSet<string>();
    tags.add('crdt');
    expect(tags.has('crdt')).toBe(true);

    const once = new TwoPhaseSet<string>();
    once.add('coupon');
    once.remove('coupon');
    once.add('coupon');
    expect(once.has('coupon')).toBe(false);

    const a = new ORSet<string>('a');
    const b = new ORSet<string>('b');
    b.join(a.add('milk'));
    const removal = a.remove('milk');
    const readd = b.add('milk');
    a.join(readd);
    b.join(removal);
    expect(a.has('milk') && b.has('milk')).toBe(true);

    const settings = new LWWMap<string, number>('a');
    settings.set('volume', 7);
    settings.delete('volume');
    expect(settings.has('volume')).toBe(false);

    const carts = new ORMap<string, ORSet<string>>('a', ORSet.kindOf());
    const delta = carts.update('alice', (items) => items.add('apple'));
    expect(new ORMap<string, ORSet<string>>('b', ORSet.kindOf()).join(delta).get('alice')).toEqual(new Set(['apple']));
    const visits = new ORMap<string, ORMap<string, CausalCounter>>('a', ORMap.kindOf(CausalCounter.kind));
    visits.update('eu', (country) => country.update('de', (counter) => counter.increment()));
    expect(visits.get('eu')?.get('de')).toBe(1);
  });
});
