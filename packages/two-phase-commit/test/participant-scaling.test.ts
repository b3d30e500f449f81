import { describe, expect, it } from 'vitest';
import { ParticipantCore, type ParticipantRecord } from '../src/index.js';

describe('a participant with a long history', () => {
  it('ticks and computes its wake-up from the open transactions only, not from every one it settled', () => {
    // Each message and request is preceded by a tick, so a tick that walks every settled
    // transaction made each message cost O(history): at 64 transfers in flight the driver spent
    // its time there (537 transfers/s in process, 2,873 after).
    const stored: ParticipantRecord[] = [];
    const ops = new Uint8Array([1]);
    for (let i = 0; i < 50_000; i++) {
      stored.push({ type: 'prepared', gid: `g${i}`, coordinator: 'c', participants: ['p', 'q'], ops });
      stored.push({ type: 'outcome', gid: `g${i}`, outcome: i % 2 === 0 ? 'committed' : 'aborted' });
    }
    stored.push({ type: 'prepared', gid: 'open', coordinator: 'c', participants: ['p', 'q'], ops });
    const core = new ParticipantCore({ id: 'p', now: 0, stored, inquiry: { initialMs: 10, maxMs: 10 } });
    core.advance(core.ready());
    expect(core.inDoubt()).toEqual(['open']);
    const started = performance.now();
    for (let now = 1; now <= 2_000; now++) {
      core.tick(now);
      expect(core.wakeAt()).toBeDefined();
      if (core.hasReady()) core.advance(core.ready());
    }
    const elapsed = performance.now() - started;
    // Walking 50,000 entries twice per step takes seconds for 2,000 steps; the open one, microseconds.
    expect(elapsed).toBeLessThan(400);
    expect(core.state('g0')).toBe('committed');
  });
});
