import { type Clock, seededRandom, type Timers } from '@lattice/core';
import { runTransportTests } from '@lattice/core/compliance';
import { EventQueue, type ScheduledEvent } from '../src/index.js';
import { SimNetwork } from '../src/sim-network.js';

/**
 * Virtual time that runs by itself: every timer goes on an event queue, which is drained in
 * (time, sequence) order on the next microtask — the simulator's delivery path, without a
 * simulation around it, so the suite can await deliveries.
 */
function virtualTime(): Timers & Clock {
  const queue = new EventQueue();
  let now = 0;
  let draining = false;
  const drain = (): void => {
    draining = false;
    for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
      now = event.time;
      event.run();
    }
  };
  return {
    now: () => now,
    monotonic: () => now,
    setTimeout: (callback, delayMs) => {
      const event = queue.push(now + Math.max(0, delayMs), callback, true);
      if (!draining) {
        draining = true;
        queueMicrotask(drain);
      }
      return event;
    },
    clearTimeout: (handle) => queue.cancel(handle as ScheduledEvent),
  };
}

runTransportTests('the simulator’s endpoints (SimNetwork)', {
  setup: async ({ maxMessageSize }) => {
    const time = virtualTime();
    return new SimNetwork({
      timers: time,
      clock: time,
      random: seededRandom(1),
      maxMessageSize,
      faults: { latency: { min: 1, max: 10 } },
      host: { nodeError: () => undefined, touch: () => undefined, processingDelay: () => 0, defer: () => undefined },
    });
  },
  teardown: async () => {},
});
