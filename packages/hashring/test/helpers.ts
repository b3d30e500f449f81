import {
  BoundedLoadRing,
  HashRing,
  JumpHash,
  KetamaRing,
  MaglevHash,
  type MemberInput,
  MultiProbeHash,
  type Partitioner,
  RendezvousHash,
} from '../src/index.js';

export interface Flavour {
  name: string;
  make(members: readonly MemberInput[]): Partitioner;
  /** Whether the placement is independent of insertion order. */
  orderFree: boolean;
  weighted: boolean;
  /** Whether every key that moves on an add moves to the new node. */
  minimal: boolean;
  /** Whether any member (not only the last) can be removed. */
  removeAny: boolean;
}

export const flavours: Flavour[] = [
  { name: 'ring', make: (members) => new HashRing({ members }), orderFree: true, weighted: true, minimal: true, removeAny: true },
  { name: 'ketama', make: (members) => new KetamaRing({ members }), orderFree: false, weighted: true, minimal: false, removeAny: true },
  { name: 'rendezvous', make: (members) => new RendezvousHash({ members }), orderFree: true, weighted: true, minimal: true, removeAny: true },
  { name: 'jump', make: (members) => new JumpHash({ members }), orderFree: false, weighted: false, minimal: true, removeAny: false },
  { name: 'maglev', make: (members) => new MaglevHash({ members, tableSize: 4099 }), orderFree: true, weighted: true, minimal: false, removeAny: true },
  { name: 'multi-probe', make: (members) => new MultiProbeHash({ members }), orderFree: true, weighted: true, minimal: true, removeAny: true },
  { name: 'bounded-loads', make: (members) => new BoundedLoadRing({ members }), orderFree: true, weighted: true, minimal: true, removeAny: true },
];

export function ids(n: number, prefix = 'node'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

export function keys(n: number, prefix = 'key'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}:${i}`);
}

export function loads(p: Partitioner, keyList: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>(p.members().map((m) => [m.id, 0]));
  for (const k of keyList) {
    const owner = p.lookup(k);
    counts.set(owner, counts.get(owner)! + 1);
  }
  return counts;
}

export function peakToMean(counts: ReadonlyMap<string, number>): number {
  let max = 0;
  let sum = 0;
  for (const c of counts.values()) {
    max = Math.max(max, c);
    sum += c;
  }
  return max / (sum / counts.size);
}
