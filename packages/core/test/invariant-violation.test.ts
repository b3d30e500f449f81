import { describe, expect, it } from 'vitest';
import {
  emptyReady,
  type Endpoint,
  InvariantViolationError,
  jsonCodec,
  type LatticeError,
  type MessageHandler,
  NodeStoppedError,
  type ProtocolCore,
  ProtocolDriver,
  ProtocolViolationError,
} from '../src/index.js';
import { ManualClock } from '../src/testing/manual-clock.js';

/** A core that throws what it is told to, from `step` and from `tick`. */
class ThrowingCore implements ProtocolCore<{ throw: 'violation' | 'invariant' | 'none' }, never, never> {
  onTick: Error | undefined;
  steps = 0;
  step(_from: string, message: { throw: 'violation' | 'invariant' | 'none' }): void {
    this.steps++;
    if (message.throw === 'violation') throw new ProtocolViolationError('forged message');
    if (message.throw === 'invariant') throw new InvariantViolationError('commit index moved backwards');
  }
  tick(): void {
    const error = this.onTick;
    this.onTick = undefined;
    if (error !== undefined) throw error;
  }
  wakeAt(): number | undefined {
    return 10;
  }
  hasReady(): boolean {
    return false;
  }
  ready() {
    return emptyReady<never, never, never>();
  }
  advance(): void {}
}

function endpoint(): { endpoint: Endpoint; deliver(payload: Uint8Array): void } {
  const handlers = new Set<MessageHandler>();
  const endpoint = {
    id: 'a',
    send: async () => undefined,
    onMessage: (handler: MessageHandler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  } as unknown as Endpoint;
  return {
    endpoint,
    deliver: (payload) => {
      for (const handler of handlers) handler({ from: 'b', to: 'a', payload });
    },
  };
}

describe('InvariantViolationError', () => {
  const codec = jsonCodec<{ throw: 'violation' | 'invariant' | 'none' }>();

  it('from step, stops the node; a ProtocolViolationError does not', () => {
    const clock = new ManualClock();
    const net = endpoint();
    const core = new ThrowingCore();
    const driver = new ProtocolDriver({ core, endpoint: net.endpoint, codec, clock, timers: clock });
    const errors: LatticeError[] = [];
    driver.on('error', (error) => errors.push(error));
    net.deliver(codec.encode({ throw: 'violation' }));
    expect(driver.stopped).toBe(false);
    net.deliver(codec.encode({ throw: 'invariant' }));
    expect(driver.stopped).toBe(true);
    expect(errors.map((e) => e.code)).toEqual([ProtocolViolationError.code, NodeStoppedError.code]);
    expect(errors[1]?.cause).toMatchObject({ code: InvariantViolationError.code });
    net.deliver(codec.encode({ throw: 'none' }));
    expect(core.steps).toBe(2);
  });

  it('from a local request or a tick, stops the node', () => {
    const clock = new ManualClock();
    const net = endpoint();
    const core = new ThrowingCore();
    const driver = new ProtocolDriver({ core, endpoint: net.endpoint, codec, clock, timers: clock });
    expect(() =>
      driver.run(() => {
        throw new ProtocolViolationError('refused');
      }),
    ).toThrow(ProtocolViolationError);
    expect(driver.stopped).toBe(false);
    core.onTick = new InvariantViolationError('term went backwards');
    clock.advance(10);
    expect(driver.stopped).toBe(true);

    const second = new ProtocolDriver({ core: new ThrowingCore(), endpoint: endpoint().endpoint, codec, clock, timers: clock });
    expect(() =>
      second.run(() => {
        throw new InvariantViolationError('log not contiguous');
      }),
    ).toThrow(InvariantViolationError);
    expect(second.stopped).toBe(true);
  });
});
