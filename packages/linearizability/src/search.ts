import type { Model, Operation } from './types.js';
import { canonicalKey, deepEqual, defaultHash } from './state-key.js';

/** 32-bit finaliser of MurmurHash3: spreads the bits of a small integer over the word. */
function mix32(x: number): number {
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
  /** Position of the operation whose response could not be matched. */
  failedAt: number;
  /** Positions of every operation pending at that point, `failedAt` included. */
  unplaced: number[];
  /** Model state after the prefix. */
  state: S;
}

/**
 * The search over one partition: Wing & Gong's backtracking with Lowe's just-in-time
 * linearization and memoisation of (linearized set, state) pairs, as in Porcupine.
 *
 * Call and return events live in a doubly linked list (indices in typed arrays: the call of
 * operation `i` is entry `2i`, its return `2i + 1`). Walking the list from its head, a call
 * entry is a candidate to linearize next; a return entry of an operation not yet linearized
 * means every candidate before it failed, so the search backtracks. Linearizing an operation
 * unlinks both of its entries, so the list always holds exactly the operations still to place.
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
  readonly #words: number;
  #bitsHash = 0;

  // The stack of linearized operations and the state before each.
  readonly #stackOps: Int32Array;
  readonly #stackStates: S[];
  readonly #stackIds: Int32Array;
  // 1 when the move was of a read-only operation: such a move dominates every alternative.
  readonly #stackForced: Uint8Array;
  // 1 for operations the model calls read-only (they never change any state).
  readonly #readOnly: Uint8Array;
  // Operations with unknown outcome and equal inputs are interchangeable: each belongs to a
  // class (-1: has a known outcome), and only the earliest-called unplaced member of a class
  // may be placed next. #classPlaced counts the placed members of each class.
  readonly #classOf: Int32Array;
  readonly #rankInClass: Int32Array;
  readonly #classPlaced: Int32Array;
  // Operations with a known outcome still to place; at 0 the rest may simply never take effect.
  #knownLeft = 0;
  #depth = 0;

  #state: S;
  #stateId: number;
  #entry: number;

  // Interned states: hash -> list of [state, id]; ids are dense.
  readonly #interned = new Map<string | number, { state: S; id: number }[]>();
  #nextStateId = 0;
  readonly #equal: (a: S, b: S) => boolean;
  readonly #hash: (state: S) => string | number;

  // Memo of visited (linearized set, state id): key -> stored bitsets with the id in the last word.
  readonly #cache = new Map<number, Uint32Array[]>();

  #bestDepth = -1;
  #failure: SearchFailure<S> | undefined;
  #done = false;
  #linearizable = false;
  /** Model `step` calls so far. */
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
    this.#words = Math.max(1, Math.ceil(n / 32));
    this.#bits = new Uint32Array(this.#words);

    this.#stackOps = new Int32Array(n);
    this.#stackStates = new Array<S>(n);
    this.#stackIds = new Int32Array(n);
    this.#stackForced = new Uint8Array(n);
    this.#readOnly = new Uint8Array(n);
    if (model.isReadOnly) {
      for (let i = 0; i < n; i++) if (model.isReadOnly(this.#inputs[i]!, this.#outputs[i])) this.#readOnly[i] = 1;
    }
    this.#classOf = new Int32Array(n).fill(-1);
    this.#rankInClass = new Int32Array(n);
    const classes = new Map<string, number[]>();
    // Ranks follow call order (the list order of call entries).
    const callOrder = Array.from(events).filter((e) => (e & 1) === 0).map((e) => e >> 1);
    for (const i of callOrder) {
      if (operations[i]!.return !== undefined) {
        this.#knownLeft++;
        continue;
      }
      const key = canonicalKey(this.#inputs[i]);
      let members = classes.get(key);
      if (members === undefined) {
        members = [];
        classes.set(key, members);
      }
      this.#classOf[i] = classes.size - 1;
      this.#rankInClass[i] = members.length;
      members.push(i);
    }
    // Class ids must be dense and stable: assign them in insertion order.
    let classId = 0;
    for (const members of classes.values()) {
      for (const i of members) this.#classOf[i] = classId;
      classId++;
    }
    this.#classPlaced = new Int32Array(classId);

    this.#state = model.init();
    this.#stateId = this.#intern(this.#state);
    this.#entry = this.#next[this.#head]!;
    if (this.#knownLeft === 0) {
      this.#done = true;
      this.#linearizable = true;
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

  /** For a linearizable partition: positions in linearization order. */
  linearization(): number[] {
    return Array.from(this.#stackOps.subarray(0, this.#depth));
  }

  /** For a non-linearizable partition: where the deepest attempt failed. */
  get failure(): SearchFailure<S> | undefined {
    return this.#failure;
  }

  #intern(state: S): number {
    const key = this.#hash(state);
    let bucket = this.#interned.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.#interned.set(key, bucket);
    } else {
      for (const known of bucket) if (known.state === state || this.#equal(known.state, state)) return known.id;
    }
    const id = this.#nextStateId++;
    bucket.push({ state, id });
    return id;
  }

  /** Records (bits, stateId) as visited; false if it already was. */
  #visit(bitsHash: number, stateId: number): boolean {
    const key = (bitsHash ^ mix32(Math.imul(stateId + 1, 0x27d4eb2f))) & 0x3fffffff;
    const words = this.#words;
    const bits = this.#bits;
    let bucket = this.#cache.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.#cache.set(key, bucket);
    } else {
      outer: for (const seen of bucket) {
        if (seen[words] !== stateId) continue;
        for (let w = 0; w < words; w++) if (seen[w] !== bits[w]) continue outer;
        return false;
      }
    }
    const copy = new Uint32Array(words + 1);
    copy.set(bits);
    copy[words] = stateId;
    bucket.push(copy);
    return true;
  }

  #recordFailure(blocking: number): void {
    const unplaced: number[] = [];
    for (let e = this.#next[this.#head]!; e !== blocking; e = this.#next[e]!) if ((e & 1) === 0) unplaced.push(e >> 1);
    const failedAt = blocking >> 1;
    if (!unplaced.includes(failedAt)) unplaced.push(failedAt);
    this.#failure = { prefix: this.linearization(), failedAt, unplaced, state: this.#state };
  }

  /**
   * Advances the search by at most `maxSteps` model steps (backtracks count as steps too).
   * Returns {@link done}.
   */
  run(maxSteps: number): boolean {
    if (this.#done) return true;
    const model = this.#model;
    const next = this.#next;
    const prev = this.#prev;
    const bits = this.#bits;
    const inputs = this.#inputs;
    const outputs = this.#outputs;
    const head = this.#head;
    const tail = this.#tail;
    let entry = this.#entry;
    let budget = maxSteps;

    while (next[head] !== tail) {
      if (budget-- <= 0) {
        this.#entry = entry;
        return false;
      }
      if ((entry & 1) === 0) {
        // A call entry: try to linearize its operation now.
        const id = entry >> 1;
        const cls = this.#classOf[id]!;
        if (cls >= 0 && this.#rankInClass[id] !== this.#classPlaced[cls]) {
          entry = next[entry]!;
          continue;
        }
        this.steps++;
        const result = model.step(this.#state, inputs[id]!, outputs[id]);
        if (result.ok) {
          const stateId = this.#intern(result.state);
          const word = id >>> 5;
          const mask = 1 << (id & 31);
          bits[word]! |= mask;
          const bitsHash = this.#bitsHash ^ this.#opHash[id]!;
          if (this.#visit(bitsHash, stateId)) {
            const d = this.#depth++;
            this.#stackOps[d] = id;
            this.#stackStates[d] = this.#state;
            this.#stackIds[d] = this.#stateId;
            this.#stackForced[d] = this.#readOnly[id]!;
            this.#state = result.state;
            this.#stateId = stateId;
            this.#bitsHash = bitsHash;
            // Unlink the call and its return.
            const ret = entry + 1;
            next[prev[entry]!] = next[entry]!;
            prev[next[entry]!] = prev[entry]!;
            next[prev[ret]!] = next[ret]!;
            prev[next[ret]!] = prev[ret]!;
            if (cls >= 0) this.#classPlaced[cls]!++;
            else if (--this.#knownLeft === 0) {
              // Every operation with a known outcome is placed; those left may never take effect.
              this.#done = true;
              this.#linearizable = true;
              this.#entry = tail;
              return true;
            }
            entry = next[head]!;
          } else {
            bits[word]! &= ~mask;
            entry = next[entry]!;
          }
        } else {
          entry = next[entry]!;
        }
      } else {
        // The return of an operation not linearized yet: every choice so far failed here.
        if (this.#depth > this.#bestDepth) {
          this.#bestDepth = this.#depth;
          this.#recordFailure(entry);
        }
        // Undo the last move. A possible move of a read-only operation (a read, a failed cas)
        // dominates every alternative at its level: it is pending, so nothing still unplaced
        // must precede it in real time, and as it never changes the state, moving it to the
        // front of any linearization from here keeps that linearization valid. So when it
        // fails, the level before it fails too, and the undo continues down the stack.
        let call = -1;
        do {
          if (this.#depth === 0) {
            this.#done = true;
            this.#linearizable = false;
            this.#entry = entry;
            return true;
          }
          this.steps++;
          const d = --this.#depth;
          const id = this.#stackOps[d]!;
          this.#state = this.#stackStates[d]!;
          this.#stackStates[d] = undefined as S;
          this.#stateId = this.#stackIds[d]!;
          this.#bitsHash ^= this.#opHash[id]!;
          bits[id >>> 5]! &= ~(1 << (id & 31));
          const cls = this.#classOf[id]!;
          if (cls >= 0) this.#classPlaced[cls]!--;
          else this.#knownLeft++;
          // Relink the return, then the call (reverse order of unlinking).
          call = 2 * id;
          const ret = call + 1;
          next[prev[ret]!] = ret;
          prev[next[ret]!] = ret;
          next[prev[call]!] = call;
          prev[next[call]!] = call;
        } while (this.#stackForced[this.#depth] === 1);
        entry = next[call]!;
      }
    }
    this.#done = true;
    this.#linearizable = true;
    this.#entry = tail;
    return true;
  }

  /** Number of operations in the partition. */
  get size(): number {
    return this.#n;
  }
}
