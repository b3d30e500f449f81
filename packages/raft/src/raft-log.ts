import { InvariantViolationError } from '@lattice/core';
import type { Entry, Snapshot } from './types.js';

/** Raised when a log invariant would break (a bug, never a peer's input): the driver stops the node on it. */
export const RaftInvariantError = InvariantViolationError;

/**
 * The in-memory log of a Raft core: a snapshot point (`snapshotIndex`, `snapshotTerm`) and the
 * entries after it, with three cursors — `committed` (known committed), `stabled` (durable on
 * this node) and `applied` (handed to the application). `unstableFrom` is the first index not yet
 * handed out for persistence.
 */
export class RaftLog {
  snapshot: Snapshot | undefined;
  snapshotIndex = 0;
  snapshotTerm = 0;
  #entries: Entry[] = [];
  committed = 0;
  applied = 0;
  /** Entries up to here have been handed to the application (applied once advanced). */
  applying = 0;
  stabled = 0;
  unstableFrom = 1;

  get firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.#entries.length;
  }

  get lastTerm(): number {
    return this.term(this.lastIndex) ?? 0;
  }

  /** Term of the entry at `index`, or undefined when it is compacted or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex) return undefined;
    return this.#entries[index - this.snapshotIndex - 1]!.term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapshotIndex || index > this.lastIndex) return undefined;
    return this.#entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries `from` … `to` (inclusive), cut after `maxBytes` of data (at least one entry). */
  slice(from: number, to: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let index = Math.max(from, this.firstIndex); index <= Math.min(to, this.lastIndex); index++) {
      const entry = this.#entries[index - this.snapshotIndex - 1]!;
      bytes += entry.data.byteLength + 24;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  /** True when a candidate's log (last index and term) is at least as up to date as this one. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ownTerm = this.lastTerm;
    return lastTerm > ownTerm || (lastTerm === ownTerm && lastIndex >= this.lastIndex);
  }

  /** Appends entries made here (the leader's); they follow the last entry. */
  appendLocal(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.index !== this.lastIndex + 1) throw new RaftInvariantError(`append of index ${entry.index} after ${this.lastIndex}`);
      this.#entries.push(entry);
    }
  }

  /**
   * Appends a leader's entries that follow `prevIndex` (already checked to match): entries that
   * are already present are kept, the first conflicting one and everything after it are replaced.
   * Returns the index of the last new entry.
   */
  appendFromLeader(prevIndex: number, entries: readonly Entry[]): number {
    let conflictAt = -1;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.index <= this.snapshotIndex) continue;
      if (this.term(entry.index) !== entry.term) {
        conflictAt = i;
        break;
      }
    }
    const last = prevIndex + entries.length;
    if (conflictAt < 0) return last;
    const first = entries[conflictAt]!.index;
    if (first <= this.committed) {
      throw new RaftInvariantError(`entry ${first} conflicts with the committed log (committed ${this.committed})`);
    }
    this.#entries.length = first - this.snapshotIndex - 1;
    for (let i = conflictAt; i < entries.length; i++) this.#entries.push(entries[i]!);
    if (first < this.unstableFrom) this.unstableFrom = first;
    if (first <= this.stabled) this.stabled = first - 1;
    return last;
  }

  /** Entries not yet handed out for persistence. */
  unstable(): Entry[] {
    return this.slice(this.unstableFrom, this.lastIndex);
  }

  /** The entries up to `index` were handed out for persistence. */
  handedOut(index: number): void {
    this.unstableFrom = Math.max(this.unstableFrom, index + 1);
  }

  /** Entries up to `index` of `term` are durable (ignored if they were replaced meanwhile). */
  stableTo(index: number, term: number): void {
    if (this.term(index) === term && index > this.stabled) this.stabled = index;
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex) throw new RaftInvariantError(`commit ${index} beyond the last index ${this.lastIndex}`);
    this.committed = index;
    return true;
  }

  /**
   * Committed entries not yet handed to the application (at most `max`, none after `upTo`).
   * Without pipelining they may include entries of the same `Ready`'s persist: the driver then
   * applies effects only after it is durable.
   */
  nextToApply(max: number, upTo: number = this.committed): Entry[] {
    const to = Math.min(this.committed, upTo, this.applying + max);
    return to > this.applying ? this.slice(this.applying + 1, to) : [];
  }

  /** Drops entries up to `snapshot.meta.index`, which the snapshot now stands for. */
  compact(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    if (index <= this.snapshotIndex) return;
    if (index > this.applying) throw new RaftInvariantError(`snapshot at ${index} beyond the applied index ${this.applying}`);
    this.#entries = this.#entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.snapshot = snapshot;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    const { index, term } = snapshot.meta;
    if (this.matchTerm(index, term)) {
      // The log already holds the snapshot's last entry: keep what follows it.
      this.#entries = this.#entries.slice(index - this.snapshotIndex);
    } else {
      this.#entries = [];
    }
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.snapshot = snapshot;
    this.committed = Math.max(this.committed, index);
    this.applied = Math.max(this.applied, index);
    this.applying = Math.max(this.applying, index);
    this.stabled = Math.max(this.stabled, index);
    this.unstableFrom = Math.max(this.unstableFrom, index + 1);
  }

  /** Loads a node's durable state (restart). */
  load(snapshot: Snapshot | undefined, entries: readonly Entry[], committed: number): void {
    if (snapshot !== undefined) {
      this.snapshot = snapshot;
      this.snapshotIndex = snapshot.meta.index;
      this.snapshotTerm = snapshot.meta.term;
    }
    this.#entries = entries.filter((entry) => entry.index > this.snapshotIndex);
    for (let i = 0; i < this.#entries.length; i++) {
      if (this.#entries[i]!.index !== this.snapshotIndex + 1 + i) throw new RaftInvariantError('stored entries are not contiguous');
    }
    this.stabled = this.lastIndex;
    this.unstableFrom = this.lastIndex + 1;
    this.committed = Math.min(Math.max(committed, this.snapshotIndex), this.lastIndex);
    this.applied = this.snapshotIndex;
    this.applying = this.snapshotIndex;
  }
}
