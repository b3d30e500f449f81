import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DependencyGraph, EdgeCollector, PROCESS, RT } from '../src/graph.js';
import { addProcessEdges, addRealtimeEdges } from '../src/orders.js';
import type { Transaction } from '../src/index.js';

function reachable(graph: DependencyGraph, from: number, kind: number): Set<number> {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length > 0) {
    const u = stack.pop()!;
    for (let e = graph.offsets[u]!; e < graph.offsets[u + 1]!; e++) {
      const v = graph.targets[e]!;
      if ((graph.kinds[e]! & kind) !== 0 && !seen.has(v)) {
        seen.add(v);
        stack.push(v);
      }
    }
  }
  return seen;
}

const intervals = fc.array(
  fc.record({ call: fc.integer({ min: 0, max: 60 }), length: fc.integer({ min: 0, max: 15 }), type: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail' as const), process: fc.integer({ min: 0, max: 3 }) }),
  { maxLength: 40 },
);

describe('realtime and process edges', () => {
  it('realtime edges are a reduction whose closure is exactly "returned before called" (ok returns only)', () => {
    fc.assert(
      fc.property(intervals, (spans) => {
        const history: Transaction[] = spans.map((s) => ({ process: s.process, type: s.type, call: s.call, ...(s.type === 'info' ? {} : { return: s.call + s.length }), ops: [] }));
        const edges = new EdgeCollector();
        addRealtimeEdges(history, edges);
        const graph = edges.freeze(history.length);
        for (let a = 0; a < history.length; a++) {
          const closure = reachable(graph, a, RT);
          for (let b = 0; b < history.length; b++) {
            const A = history[a]!;
            const B = history[b]!;
            const precedes = A.type === 'ok' && B.type !== 'fail' && A.return! < B.call;
            expect(closure.has(b), `T${a} → T${b}`).toBe(precedes);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('process edges link each committed transaction to the next of its process', () => {
    const history: Transaction[] = [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [] },
      { process: 0, type: 'fail', call: 2, return: 3, ops: [] },
      { process: 0, type: 'ok', call: 4, return: 5, ops: [] },
      { process: 0, type: 'info', call: 6, ops: [] },
      { process: 0, type: 'ok', call: 7, return: 8, ops: [] },
    ];
    const edges = new EdgeCollector();
    addProcessEdges(history, edges);
    const graph = edges.freeze(history.length);
    const pairs: [number, number][] = [];
    for (let u = 0; u < history.length; u++) for (let e = graph.offsets[u]!; e < graph.offsets[u + 1]!; e++) if ((graph.kinds[e]! & PROCESS) !== 0) pairs.push([u, graph.targets[e]!]);
    // Failed transactions are not in the graph; nothing follows an info (it may still be running).
    expect(pairs).toEqual([
      [0, 3],
      [3, 4],
    ]);
  });
});
