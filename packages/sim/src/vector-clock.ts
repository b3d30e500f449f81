/**
 * The few vector-clock operations the ShiViz export needs, over a fixed set of hosts indexed
 * 0..n-1. (A full vector-clock library lives in `@lattice/clocks`; the simulator keeps its
 * own so it depends on nothing but the contracts.)
 */
export class VectorClock {
  readonly entries: number[];

  constructor(size: number) {
    this.entries = new Array<number>(size).fill(0);
  }

  /** Counts one event at host `index`. */
  tick(index: number): void {
    this.entries[index] = (this.entries[index] ?? 0) + 1;
  }

  /** Takes the entrywise maximum with `other` (what a receive does before its tick). */
  merge(other: readonly number[]): void {
    for (let i = 0; i < this.entries.length; i++) {
      const theirs = other[i] ?? 0;
      if (theirs > (this.entries[i] ?? 0)) this.entries[i] = theirs;
    }
  }

  /** A copy of the entries. */
  snapshot(): number[] {
    return this.entries.slice();
  }

  /** JSON object `{"host": count}` of the non-zero entries, as ShiViz reads it. */
  toJson(hosts: readonly string[]): string {
    const parts: string[] = [];
    for (let i = 0; i < this.entries.length; i++) {
      const value = this.entries[i] ?? 0;
      if (value > 0) parts.push(`${JSON.stringify(hosts[i])}:${value}`);
    }
    return `{${parts.join(',')}}`;
  }
}
