import { describe, expect, it } from 'vitest';
import { type BaseEvents, HandlerError, type LatticeError, Observable } from '../src/index.js';

interface Events extends BaseEvents {
  tick: number;
}

class Ticker extends Observable<Events> {
  fire(n: number): void {
    this.emit('tick', n);
  }
  fail(error: LatticeError): void {
    this.emit('error', error);
  }
  count(): number {
    return this.listenerCount('tick');
  }
}

describe('Observable', () => {
  it('delivers to every listener until its remover is called', () => {
    const ticker = new Ticker();
    const seen: number[] = [];
    const stop = ticker.on('tick', (n) => seen.push(n));
    ticker.on('tick', (n) => seen.push(n * 10));
    ticker.fire(1);
    stop();
    stop();
    ticker.fire(2);
    expect(seen).toEqual([1, 10, 20]);
    expect(ticker.count()).toBe(1);
  });

  it('reports a listener that throws on error, and ignores an error listener that throws', () => {
    const ticker = new Ticker();
    const errors: LatticeError[] = [];
    ticker.on('error', () => {
      throw new Error('broken error listener');
    });
    ticker.on('error', (error) => errors.push(error));
    ticker.on('tick', () => {
      throw new Error('broken');
    });
    const seen: number[] = [];
    ticker.on('tick', (n) => seen.push(n));
    ticker.fire(3);
    expect(seen).toEqual([3]);
    expect(errors.map((e) => e.code)).toEqual([HandlerError.code]);
  });
});
