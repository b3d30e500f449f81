import type { AnomalyType, CheckOptions, Transaction } from '../../src/index.js';

/** The examples of docs/isolation.md: each history, how it is checked, and what it must show. */
export interface GuideExample {
  readonly name: string;
  /** The drawing of the cycle, docs/isolation-<svg>, for examples that are cycles. */
  readonly svg?: string;
  /** The drawing of the non-cycle anomaly, docs/isolation-<dataSvg> (renderAnomalySvg). */
  readonly dataSvg?: string;
  readonly options?: CheckOptions;
  readonly expected: readonly AnomalyType[];
  readonly history: readonly Transaction[];
}

export const GUIDE_EXAMPLES: readonly GuideExample[] = [
  {
    name: 'G0',
    svg: 'g0.svg',
    expected: ['G0'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1], ['append', 'y', 1]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 2], ['append', 'y', 2]] },
      { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1, 2]], ['r', 'y', [2, 1]]] },
    ],
  },
  {
    name: 'G1a',
    dataSvg: 'g1a.svg',
    expected: ['G1a'],
    history: [
      { process: 0, type: 'fail', call: 0, return: 1, ops: [['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1]]] },
    ],
  },
  {
    name: 'G1b',
    dataSvg: 'g1b-read.svg',
    svg: 'g1b.svg',
    expected: ['G-single', 'G1b'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 3, ops: [['append', 'x', 1], ['append', 'x', 2]] },
      { process: 1, type: 'ok', call: 1, return: 2, ops: [['r', 'x', [1]]] },
      { process: 2, type: 'ok', call: 4, return: 5, ops: [['r', 'x', [1, 2]]] },
    ],
  },
  {
    name: 'G1c',
    svg: 'g1c.svg',
    expected: ['G1c'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1], ['r', 'y', [1]]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['append', 'y', 1], ['r', 'x', [1]]] },
    ],
  },
  {
    name: 'G-single',
    svg: 'g-single.svg',
    expected: ['G-single'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1], ['append', 'y', 1]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['r', 'x', []], ['r', 'y', [1]]] },
      { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1]]] },
    ],
  },
  {
    name: 'lost update',
    dataSvg: 'lost-update-reads.svg',
    svg: 'lost-update.svg',
    expected: ['G-single', 'lost-update'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['r', 'x', []], ['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['r', 'x', []], ['append', 'x', 2]] },
      { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1, 2]]] },
    ],
  },
  {
    name: 'G2-item',
    svg: 'g2-item.svg',
    expected: ['G2-item'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['r', 'x', []], ['r', 'y', []], ['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['r', 'x', []], ['r', 'y', []], ['append', 'y', 1]] },
      { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1]], ['r', 'y', [1]]] },
    ],
  },
  {
    name: 'G-single-realtime',
    svg: 'g-single-realtime.svg',
    options: { consistency: 'strict-serializable' },
    expected: ['G-single-realtime'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 2, return: 3, ops: [['r', 'x', []]] },
      { process: 2, type: 'ok', call: 4, return: 5, ops: [['r', 'x', [1]]] },
    ],
  },
  {
    name: 'internal',
    dataSvg: 'internal.svg',
    expected: ['internal'],
    history: [{ process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1], ['r', 'x', []]] }],
  },
  {
    name: 'garbage read',
    dataSvg: 'garbage-read.svg',
    expected: ['garbage-read'],
    history: [{ process: 0, type: 'ok', call: 0, return: 1, ops: [['r', 'x', [9]]] }],
  },
  {
    name: 'incompatible order',
    dataSvg: 'incompatible-order.svg',
    expected: ['incompatible-order'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 2]] },
      { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1, 2]]] },
      { process: 3, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [2, 1]]] },
    ],
  },
  {
    name: 'duplicate elements',
    dataSvg: 'duplicate-elements.svg',
    expected: ['duplicate-elements'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1, 1]]] },
    ],
  },
  {
    name: 'duplicate appends',
    dataSvg: 'duplicate-appends.svg',
    expected: ['duplicate-appends'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['append', 'x', 1]] },
      { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', 'x', [1]]] },
    ],
  },
  {
    name: 'rw-register write skew',
    svg: 'rw-register-write-skew.svg',
    options: { model: 'rw-register' },
    expected: ['G2-item'],
    history: [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['r', 'x', null], ['r', 'y', null], ['w', 'x', 1]] },
      { process: 1, type: 'ok', call: 0, return: 1, ops: [['r', 'x', null], ['r', 'y', null], ['w', 'y', 1]] },
    ],
  },
];
