import { ManualClock } from '@lattice/core/testing';
import { describe, expect, it } from 'vitest';
import { ProposalBatcher } from '../src/lattice-kv/proposal-batcher.js';

describe('ProposalBatcher', () => {
  it('proposes at once with nothing in flight; while proposals are in flight, gathers the next ones for one turn, in arrival order', async () => {
    const clock = new ManualClock();
    const proposed: string[] = [];
    const batcher = new ProposalBatcher<string>(async (command) => {
      const text = new TextDecoder().decode(command);
      proposed.push(text);
      if (text === 'bad') throw new Error('dropped');
      return `applied ${text}`;
    }, clock);
    const encode = (text: string) => new TextEncoder().encode(text);
    const first = batcher.propose(encode('first'));
    expect(proposed).toEqual(['first']); // nothing in flight: at once
    const outcomes = ['a', 'bad', 'c'].map((text) => batcher.propose(encode(text)).catch((error: Error) => error.message));
    expect(proposed).toEqual(['first']); // 'first' in flight: the others wait for the turn's timer
    await clock.advanceAsync(0);
    expect(proposed).toEqual(['first', 'a', 'bad', 'c']);
    expect(await first).toBe('applied first');
    expect(await Promise.all(outcomes)).toEqual(['applied a', 'dropped', 'applied c']);
    const later = batcher.propose(encode('d'));
    expect(proposed).toEqual(['first', 'a', 'bad', 'c', 'd']);
    expect(await later).toBe('applied d');
  });
});
