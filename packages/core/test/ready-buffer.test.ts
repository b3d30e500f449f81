import { describe, expect, it } from 'vitest';
import { ReadyBuffer } from '../src/index.js';

describe('ReadyBuffer', () => {
  it('hands out what was gathered once, then starts empty without touching what it handed out', () => {
    const out = new ReadyBuffer<string, number, string>();
    expect(out.empty).toBe(true);
    out.sendEarly.push({ to: 'b', message: 'early' });
    out.persist.push(1);
    out.mustSync = true;
    out.messages.push({ to: 'c', message: 'later' });
    out.effects.push('applied');
    expect(out.empty).toBe(false);
    const ready = out.take();
    expect(ready).toEqual({ sendEarly: [{ to: 'b', message: 'early' }], persist: [1], mustSync: true, messages: [{ to: 'c', message: 'later' }], effects: ['applied'] });
    expect(out.empty).toBe(true);
    out.messages.push({ to: 'd', message: 'next' });
    expect(ready.messages).toEqual([{ to: 'c', message: 'later' }]);
    expect(out.take()).toEqual({ sendEarly: [], persist: [], mustSync: false, messages: [{ to: 'd', message: 'next' }], effects: [] });
  });
});
