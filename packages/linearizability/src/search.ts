import { deepEqual, defaultHash, plainKey } from './state-key.js';
import type { Model, Operation } from './types.js';
import { VisitedSet } from './visited-set.js';

/** How far ahead in the list {@link PartitionSearch} looks for dead reads on each new level. */
const LOOKAHEAD_ENTRIES = 32;
/** It starts looking once the search has taken this many steps per operation. */
const LOOKAHEAD_AFTER = 4;

/** 32-bit finaliser of MurmurHash3: spreads the bits of a small integer over the word. */
export function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Where the search stopped when it could not linearize the partition. */
export interface SearchFailure<S> {
  /** Positions (within the partition) of the longest prefix, in linearization order. */
  prefix: number[];
  /** Position of the operation that could not be placed after the prefix. */
  failedAt: number;
  /** Positions of every operation pending at that point, `failedAt` included. */
  unplaced: number[];
  /** Model state after the prefix. */
  state: S;
}

/**
 * The search over one partition: Wing & Gong's backtracking with Lowe's just-in-time
 * linearization and memoisation of (linearized set, state) pairs, as in Porcupine, plus four
 * reductions that keep it complete:
 *
 * 1. Read-only operations first, and forced. A pending read-only operation (the model says it
 *    never changes the state) that is possible now dominates every alternative: nothing still
 *    unplaced must precede it in real time, and moving it to the front of any linearization
 *    from here keeps that linearization valid. So it is placed without trying alternatives,
 *    and when the rest fails, the level fails.
 * 2. Interchangeable unknown-outcome operations. Operations that never returned and have equal
 *    inputs can swap places in any linearization, so only the earliest-called unplaced one of
 *    each such class is a candidate.
 * 3. "Or never": once every operation with a known outcome is placed, the rest may simply never
 *    have taken effect, and the partition is linearizable.
 * 4. Dead reads: when the model's `mayBecomePossible` says a pending read-only operation can
 *    never become possible, the configuration is abandoned at once.
 *
 * Call and return events live in a doubly linked list (indices in typed arrays: the call of
 * operation `i` is entry `2i`, its return `2i + 1`). The candidates of a level are the calls
 * before the first return still in the list; they are tried read-only first, then by earliest
 * return (the operation that must be placed soonest first). Placing an operation unlinks both
 * of its entries; when every candidate of a level has failed, the search undoes the last move.
 *
 * The search runs in bounded chunks (`run(maxSteps)`) so callers can watch a clock or a signal
 * between chunks, and resume.
 */
export class PartitionSearch<S, I, O> {
  readonly #model: Model<S, I, O>;
  readonly #inputs: I[];
  readonly #outputs: (O | undefined)[];
  readonly #n: number;
  readonly #head: number;
  readonly #tail: number;
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  readonly #opHash: Int32Array;
  readonly #bits: Uint32Array;
  #bitsHash = 0;
  // Words of #bits below #lo are all ones; above #hi all zeros.
  #lo = 0;
  #hi = -1;

  // Candidate order: read-only first, then by position of the return in time order.
  readonly #order: Int32Array;
  // 1 for operations the model calls read-only (they never change any state).
  readonly #readOnly: Uint8Array;
  // Unknown-outcome operations with equal inputs form a class (-1: known outcome); only the
  // earliest-called unplaced member of a class is a candidate.
  readonly #classOf: Int32Array;
  readonly #rankInClass: Int32Array;
  readonly #classPlaced: Int32Array;
  // Operations with a known outcome still to place.
  #knownLeft = 0;

  // The stack of levels. Level d has candidates #slab[#candStart[d] .. #candEnd[d]), tries
  // #candPos[d] now. Moves: the operation placed
  // at level d, the state and state id before it, and whether it was forced.
  #slab: Int32Array;
  readonly #candStart: Int32Array;
  readonly #candEnd: Int32Array;
  readonly #candPos: Int32Array;
  readonly #moveOp: Int32Array;
  readonly #moveState: S[];
  readonly #moveStateId: Int32Array;
  readonly #moveForced: Uint8Array;
  #depth = 0;

  #state: S;
  #stateId: number;

  // Interned states: hash -> newest state id with that hash; ids are dense, and
  // #internedNext chains ids whose states share a hash.
  readonly #interned = new Map<string | number, number>();
  readonly #internedStates: S[] = [];
  readonly #internedNext: number[] = [];
  readonly #equal: (a: S, b: S) => boolean;
  readonly #hash: (state: S) => string | number;

  readonly #visited: VisitedSet;
  readonly #writersScratch: I[] = [];
  // Marks reads invoked after the first pending response, per look (see #deadUpcomingRead).
  readonly #lookStamp: Int32Array;
  #lookGeneration = 0;

  #bestDepth = -1;
  #failure: SearchFailure<S> | undefined;
  #done = false;
  #linearizable = false;
  /** Loop turns so far (model steps and undos). */
  steps = 0;

  constructor(model: Model<S, I, O>, operations: readonly Operation<I, O>[]) {
    this.#model = model;
    const n = operations.length;
    this.#n = n;
    this.#inputs = operations.map((op) => op.input);
    this.#outputs = operations.map((op) => (op.return === undefined ? undefined : op.output));
    this.#equal = model.equal ? model.equal.bind(model) : (deepEqual as (a: S, b: S) => boolean);
    this.#hash = model.hash ? model.hash.bind(model) : (defaultHash as (state: S) => string | number);

    // Sort the 2n events: by time, calls before returns at equal times (touching intervals are
    // concurrent), then by operation index so the order is deterministic.
    const events = new Int32Array(2 * n);
    const times = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const op = operations[i]!;
      events[2 * i] = 2 * i;
      events[2 * i + 1] = 2 * i + 1;
      times[2 * i] = op.call;
      times[2 * i + 1] = op.return === undefined ? Number.POSITIVE_INFINITY : op.return;
    }
    events.sort((a, b) => {
      const ta = times[a]!;
      const tb = times[b]!;
      if (ta !== tb) return ta < tb ? -1 : 1;
      const ka = a & 1;
      const kb = b & 1;
      if (ka !== kb) return ka - kb;
      return a - b;
    });

    this.#head = 2 * n;
    this.#tail = 2 * n + 1;
    this.#next = new Int32Array(2 * n + 2);
    this.#prev = new Int32Array(2 * n + 2);
    let previous = this.#head;
    for (let k = 0; k < 2 * n; k++) {
      const e = events[k]!;
      this.#next[previous] = e;
      this.#prev[e] = previous;
      previous = e;
    }
    this.#next[previous] = this.#tail;
    this.#prev[this.#tail] = previous;

    this.#opHash = new Int32Array(n);
    for (let i = 0; i < n; i++) this.#opHash[i] = mix32(Math.imul(i + 1, 0x9e3779b1));
    const words = Math.max(1, Math.ceil(n / 32));
    this.#bits = new Uint32Array(words);
    this.#visited = new VisitedSet();

    this.#lookStamp = new Int32Array(n);
    this.#readOnly = new Uint8Array(n);
    if (model.isReadOnly) {
      for (let i = 0; i < n; i++) if (model.isReadOnly(this.#inputs[i]!, this.#outputs[i])) this.#readOnly[i] = 1;
    }
    this.#order = new Int32Array(n);
    for (let k = 0; k < 2 * n; k++) {
      const e = events[k]!;
      if ((e & 1) === 1) this.#order[e >> 1] = k + (this.#readOnly[e >> 1] === 1 ? 0 : 2 * n);
    }

    this.#classOf = new Int32Array(n).fill(-1);
    this.#rankInClass = new Int32Array(n);
    const classes = new Map<string, number>(); // plain keys never start with '#'
    const classSizes: number[] = [];
    for (let k = 0; k < 2 * n; k++) {
      const e = events[k]!;
      if ((e & 1) === 1) continue; // ranks follow call order
      const i = e >> 1;
      if (operations[i]!.return !== undefined) {
        this.#knownLeft++;
        continue;
      }
      // Inputs that are not plain data get a class of their own.
      const key = plainKey(this.#inputs[i]) ?? `#${i}`;
      let cls = classes.get(key);
      if (cls === undefined) {
        cls = classSizes.length;
        classes.set(key, cls);
        classSizes.push(0);
      }
      this.#classOf[i] = cls;
      this.#rankInClass[i] = classSizes[cls]!;
      classSizes[cls]!++;
    }
    this.#classPlaced = new Int32Array(classSizes.length);

    this.#slab = new Int32Array(Math.max(16, 4 * n));
    this.#candStart = new Int32Array(n + 1);
    this.#candEnd = new Int32Array(n + 1);
    this.#candPos = new Int32Array(n + 1);
    this.#moveOp = new Int32Array(n);
    this.#moveState = new Array<S>(n);
    this.#moveStateId = new Int32Array(n);
    this.#moveForced = new Uint8Array(n);

    this.#state = model.init();
    this.#stateId = this.#intern(this.#state);
    if (this.#knownLeft === 0) {
      this.#done = true;
      this.#linearizable = true;
    } else {
      this.#arrive();
    }
  }

  /** True once the search has an answer. */
  get done(): boolean {
    return this.#done;
  }

  /** The answer (only meaningful when {@link done}). */
  get linearizable(): boolean {
    return this.#linearizable;
  }

  /** Number of operations in the partition. */
  get size(): number {
    return this.#n;
  }

  /** The operations placed so far, in linearization order (a witness once linearizable). */
  linearization(): number[] {
    return Array.from(this.#moveOp.subarray(0, this.#depth));
  }

  /** For a non-linearizable partition: where the deepest attempt failed. */
  get failure(): SearchFailure<S> | undefined {
    return this.#failure;
  }

  #intern(state: S): number {
    const key = this.#hash(state);
    const first = this.#interned.get(key);
    const states = this.#internedStates;
    if (first !== undefined) {
      for (let id = first; id >= 0; id = this.#internedNext[id]!) {
        const known = states[id]!;
        if (known === state || this.#equal(known, state)) return id;
      }
    }
    const id = states.length;
    states.push(state);
    this.#internedNext.push(first ?? -1);
    this.#interned.set(key, id);
    return id;
  }

  /** Builds the candidate list of the level at the current depth. */
  #arrive(stateChanged = true): void {
    const d = this.#depth;
    const start = d === 0 ? 0 : this.#candEnd[d - 1]!;
    const next = this.#next;
    const order = this.#order;
    const classOf = this.#classOf;
    let end = start;
    let e = next[this.#head]!;
    for (; (e & 1) === 0 && e !== this.#tail; e = next[e]!) {
      const id = e >> 1;
      const cls = classOf[id]!;
      if (cls >= 0 && this.#rankInClass[id] !== this.#classPlaced[cls]) continue;
      if (end >= this.#slab.length) {
        const bigger = new Int32Array(this.#slab.length * 2);
        bigger.set(this.#slab);
        this.#slab = bigger;
      }
      // Insertion sort by order key: lists are short (the concurrency of the history).
      const slab = this.#slab;
      const key = order[id]!;
      let k = end++;
      while (k > start && order[slab[k - 1]!]! > key) {
        slab[k] = slab[k - 1]!;
        k--;
      }
      slab[k] = id;
    }
    this.#candStart[d] = start;
    this.#candEnd[d] = end;
    this.#candPos[d] = start;
    // A read-only move changes neither the state nor the writers to come, so the reads ahead
    // were just checked: look again only after a state change.
    // And only once the search is struggling (many more steps than operations): on an easy
    // history the look costs more than it saves.
    const dead = stateChanged && this.steps > LOOKAHEAD_AFTER * this.#n ? this.#deadUpcomingRead() : -1;
    if (dead >= 0) {
      // A read that is still to come can never be placed: this configuration is dead.
      if (d > this.#bestDepth) {
        this.#bestDepth = d;
        this.#recordFailure(dead);
      }
      this.#candEnd[d] = start;
    }
  }

  /**
   * Looks over the next {@link LOOKAHEAD_ENTRIES} entries of the list for read-only operations
   * (invoked or not) that are impossible now and, per the model's `mayBecomePossible`, can
   * never become possible before their response: they too must be placed, so the
   * configuration is dead. One walk serves every such read, since the writers that may still
   * come before a read's response are the state-changing calls listed before it. Returns the
   * dead read's position, or -1.
   */
  #deadUpcomingRead(): number {
    const hook = this.#model.mayBecomePossible;
    if (hook === undefined) return -1;
    const next = this.#next;
    const readOnly = this.#readOnly;
    const writers = this.#writersScratch;
    const stamp = this.#lookStamp;
    const generation = ++this.#lookGeneration;
    writers.length = 0;
    let invoked = true; // before the first response: invoked reads are candidates, checked when tried
    let e = next[this.#head]!;
    for (let seen = 0; seen < LOOKAHEAD_ENTRIES && e !== this.#tail; seen++, e = next[e]!) {
      const id = e >> 1;
      if ((e & 1) === 0) {
        if (readOnly[id] === 0) writers.push(this.#inputs[id]!);
        else if (!invoked) stamp[id] = generation;
        continue;
      }
      invoked = false;
      if (stamp[id] !== generation || this.#outputs[id] === undefined) continue;
      if (this.#model.step(this.#state, this.#inputs[id]!, this.#outputs[id]).ok) continue;
      if (!hook.call(this.#model, this.#state, this.#inputs[id]!, this.#outputs[id], writers)) return id;
    }
    return -1;
  }

  /**
   * For a pending read-only operation not possible now: asks the model (`mayBecomePossible`)
   * whether the state-changing operations that could still be placed before its response can
   * ever make it possible. Without the hook: true.
   */
  #mayBecomePossible(id: number): boolean {
    const hook = this.#model.mayBecomePossible;
    if (hook === undefined) return true;
    const writers: I[] = [];
    const next = this.#next;
    const ret = 2 * id + 1;
    for (let e = next[this.#head]!; e !== ret && e !== this.#tail; e = next[e]!) {
      if ((e & 1) === 0 && this.#readOnly[e >> 1] === 0) writers.push(this.#inputs[e >> 1]!);
    }
    return hook.call(this.#model, this.#state, this.#inputs[id]!, this.#outputs[id], writers);
  }

  /**
   * Records where the search failed: the prefix placed so far, extended greedily by pending
   * read-only operations that are possible (so a branch cut early still shows the longest
   * prefix it implies), the operation that could not be placed (`culprit`, else the one whose
   * response comes first), and every operation pending at that point.
   */
  #recordFailure(culprit: number): void {
    const next = this.#next;
    const prefix = this.linearization();
    const extra = new Set<number>();
    for (let extended = true; extended; ) {
      extended = false;
      for (let e = next[this.#head]!; e !== this.#tail; e = next[e]!) {
        const id = e >> 1;
        if (extra.has(id)) continue;
        if ((e & 1) === 1) break;
        if (this.#readOnly[id] === 1 && this.#model.step(this.#state, this.#inputs[id]!, this.#outputs[id]).ok) {
          extra.add(id);
          prefix.push(id);
          extended = true;
          break;
        }
      }
    }
    const unplaced: number[] = [];
    let first = -1;
    for (let e = next[this.#head]!; e !== this.#tail; e = next[e]!) {
      const id = e >> 1;
      if (extra.has(id)) continue;
      if ((e & 1) === 1) {
        first = id;
        break;
      }
      unplaced.push(id);
    }
    const failedAt = culprit >= 0 && !extra.has(culprit) ? culprit : first;
    if (!unplaced.includes(failedAt)) unplaced.push(failedAt);
    this.#failure = { prefix, failedAt, unplaced, state: this.#state };
  }

  /**
   * Advances the search by at most `maxSteps` loop turns (model steps and undos). Returns
   * {@link done}.
   */
  run(maxSteps: number): boolean {
    if (this.#done) return true;
    const model = this.#model;
    const next = this.#next;
    const prev = this.#prev;
    const bits = this.#bits;
    const inputs = this.#inputs;
    const outputs = this.#outputs;
    const readOnly = this.#readOnly;
    const classOf = this.#classOf;
    const classPlaced = this.#classPlaced;
    const candPos = this.#candPos;
    const candEnd = this.#candEnd;
    let budget = maxSteps;

    for (;;) {
      if (budget-- <= 0) return false;
      this.steps++;
      const d = this.#depth;
      let levelFails = false;
      if (candPos[d]! < candEnd[d]!) {
        const id = this.#slab[candPos[d]!]!;
        const result = model.step(this.#state, inputs[id]!, outputs[id]);
        if (!result.ok) {
          if (readOnly[id] === 0 || this.#mayBecomePossible(id)) {
            candPos[d]!++;
            continue;
          }
          // A pending read-only operation can never be placed: this configuration is dead.
          if (d > this.#bestDepth) {
            this.#bestDepth = d;
            this.#recordFailure(id);
          }
        }
        if (!result.ok) levelFails = true;
        else {
          const forced = readOnly[id] === 1;
          const stateId = forced ? this.#stateId : this.#intern(result.state);
          const word = id >>> 5;
          const mask = 1 << (id & 31);
          bits[word]! |= mask;
          const oldLo = this.#lo;
          const oldHi = this.#hi;
          if (word > oldHi) this.#hi = word;
          if (word === oldLo) {
            let lo = oldLo;
            while (lo < bits.length && bits[lo] === 0xffffffff) lo++;
            this.#lo = lo;
          }
          const bitsHash = this.#bitsHash ^ this.#opHash[id]!;
          if (this.#visited.add(bits, this.#lo, this.#hi, bitsHash, stateId)) {
            this.#moveOp[d] = id;
            this.#moveState[d] = this.#state;
            this.#moveStateId[d] = this.#stateId;
            this.#moveForced[d] = forced ? 1 : 0;
            if (!forced) this.#state = result.state;
            this.#stateId = stateId;
            this.#bitsHash = bitsHash;
            // Unlink the call and its return.
            const call = 2 * id;
            const ret = call + 1;
            next[prev[call]!] = next[call]!;
            prev[next[call]!] = prev[call]!;
            next[prev[ret]!] = next[ret]!;
            prev[next[ret]!] = prev[ret]!;
            this.#depth = d + 1;
            const cls = classOf[id]!;
            if (cls >= 0) classPlaced[cls]!++;
            else if (--this.#knownLeft === 0) {
              // Every operation with a known outcome is placed; those left may never take effect.
              this.#done = true;
              this.#linearizable = true;
              return true;
            }
            this.#arrive(!forced);
            continue;
          }
          bits[word]! &= ~mask;
          this.#lo = oldLo;
          this.#hi = oldHi;
          if (!forced) {
            candPos[d]!++;
            continue;
          }
          // A possible read-only move leads to a configuration already explored (and failed):
          // as it dominates the level, the level fails.
          levelFails = true;
        }
      } else {
        levelFails = true;
        if (d > this.#bestDepth) {
          this.#bestDepth = d;
          this.#recordFailure(-1);
        }
      }
      if (!levelFails) continue;

      // Undo the move that led here; undoing a forced move fails its level too.
      let level = d;
      do {
        if (level === 0) {
          this.#done = true;
          this.#linearizable = false;
          return true;
        }
        level--;
        const id = this.#moveOp[level]!;
        this.#state = this.#moveState[level]!;
        this.#moveState[level] = undefined as S;
        this.#stateId = this.#moveStateId[level]!;
        this.#bitsHash ^= this.#opHash[id]!;
        const word = id >>> 5;
        bits[word]! &= ~(1 << (id & 31));
        if (word < this.#lo) this.#lo = word;
        if (word === this.#hi) {
          let hi = word;
          while (hi >= 0 && bits[hi] === 0) hi--;
          this.#hi = hi;
        }
        const cls = classOf[id]!;
        if (cls >= 0) classPlaced[cls]!--;
        else this.#knownLeft++;
        // Relink the return, then the call (reverse order of unlinking).
        const call = 2 * id;
        const ret = call + 1;
        next[prev[ret]!] = ret;
        prev[next[ret]!] = ret;
        next[prev[call]!] = call;
        prev[next[call]!] = call;
      } while (this.#moveForced[level] === 1);
      this.#depth = level;
      candPos[level]!++;
    }
  }
}
