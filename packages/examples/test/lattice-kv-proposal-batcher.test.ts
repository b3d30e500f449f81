import { ManualClock } from '@lattice/core/testing';
import { describe, expect, it } from 'vitest';
import { ProposalBatcher } from '../src/lattice-kv/proposal-batcher.js';

describe('ProposalBatcher', () => {
  it('proposes the commands of one turn together, in arrival order, and settles each with its own outcome', async () => {
    const clock = new ManualClock();
    const proposed: string[] = [];
    const batcher = new ProposalBatcher<string>(async (command) => {
      const text = new TextDecoder().decode(command);
      proposed.push(text);
      if (text === 'bad') throw new Error('dropped');
      return `applied ${text}`;
    }, clock);
    const encode = (text: string) => new TextEncoder().encode(text);
    const outcomes = ['a', 'bad', 'c'].map((text) => batcher.propose(encode(text)).catch((error: Error) => error.message));
    expect(proposed).toEqual([]); // nothing goes before the turn's timer
    await clock.advanceAsync(0);
    expect(proposed).toEqual(['a', 'bad', 'c']);
    expect(await Promise.all(outcomes)).toEqual(['applied a', 'dropped', 'applied c']);
    const later = batcher.propose(encode('d'));
    await clock.advanceAsync(0);
    expect(await later).toBe('applied d');
    expect(proposed).toEqual(['a', 'bad', 'c', 'd']);
  });
});
