import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../src/index.js';

describe('EventQueue', () => {
  it('runs events in order of (time, scheduling order)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (times) => {
        const queue = new EventQueue();
        const order: number[] = [];
        times.forEach((time, i) => {
          queue.push(time, () => order.push(i));
        });
        for (let event = queue.pop(); event !== undefined; event = queue.pop()) event.run();
        const expected = times.map((time, i) => [time, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
        expect(order).toEqual(expected);
      }),
    );
  });

  it('skips cancelled events and counts only live ones', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { maxLength: 100 }), (entries) => {
        const queue = new EventQueue();
        const ran: number[] = [];
        const events = entries.map(([time], i) => queue.push(time, () => ran.push(i)));
        entries.forEach(([, cancel], i) => {
          if (cancel) queue.cancel(events[i]!);
        });
        const live = entries.filter(([, cancel]) => !cancel).length;
        expect(queue.size).toBe(live);
        for (let event = queue.pop(); event !== undefined; event = queue.pop()) event.run();
        expect(ran.sort((a, b) => a - b)).toEqual(entries.flatMap(([, cancel], i) => (cancel ? [] : [i])));
        expect(queue.size).toBe(0);
      }),
    );
  });

  it('treats cancelling an event that already ran as a no-op', () => {
    const queue = new EventQueue();
    const first = queue.push(1, () => undefined);
    queue.push(2, () => undefined);
    queue.pop();
    queue.cancel(first);
    expect(queue.size).toBe(1);
    expect(queue.peekTime()).toBe(2);
  });
});
