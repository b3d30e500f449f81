import type { NodeId } from '../node-id.js';

/** A message a core wants sent to `to`. */
export interface Outbound<Message> {
  readonly to: NodeId;
  readonly message: Message;
}

/**
 * What a {@link ProtocolCore} hands out for the driver to carry out, in this order:
 *
 * 1. `sendEarly` may leave at once (messages that do not depend on this batch being durable —
 *    a Raft leader's appends to followers, sent while its own disk write runs);
 * 2. `persist` is written to durable storage and, when `mustSync` is set, synced;
 * 3. only then do `messages` leave (votes, acknowledgements: anything that promises what
 *    `persist` records), and are `effects` applied, in order;
 * 4. `advance(ready)` tells the core all of it happened.
 *
 * A core does not hand out another `Ready` until the previous one was advanced, so records
 * accumulate while a sync runs and the next batch carries them all (group commit for free) —
 * unless it is {@link ProtocolCore.pipelined}, which changes steps 2–4 (see there).
 */
export interface Ready<Message, Record, Effect> {
  /** Messages that may leave before `persist` is durable. */
  readonly sendEarly: readonly Outbound<Message>[];
  /** Records to append to durable storage, in order. */
  readonly persist: readonly Record[];
  /** True when the records (and any written earlier) must be synced before `messages` leave. */
  readonly mustSync: boolean;
  /** Messages that may leave only once `persist` is durable. */
  readonly messages: readonly Outbound<Message>[];
  /** Results for the application (committed entries, membership changes, read results). */
  readonly effects: readonly Effect[];
}

/**
 * A protocol as a pure state machine, in the manner of etcd's raft `RawNode`: it does no I/O,
 * reads no clock and creates no promises. Inputs are {@link ProtocolCore.step} (a peer's message),
 * {@link ProtocolCore.tick} (time passing) and the protocol's own local requests (methods of
 * the concrete core, such as `propose`); outputs come out of {@link ProtocolCore.ready}.
 *
 * Given the same inputs in the same order, a core produces the same outputs: that is what lets
 * the simulator replay a run from its seed and lets one driver ({@link ProtocolDriver}) serve
 * every protocol.
 *
 * `step` must validate what it is given before changing anything: a forged or malformed
 * message makes it throw a `LatticeError` (usually `ProtocolViolationError`) with its state
 * untouched. Any other exception is a bug, and the driver stops the node (fail-stop) rather than
 * run on with state it can no longer trust; a core that detects a broken invariant of its own
 * throws `InvariantViolationError`, the one typed error that stops the node too.
 */
export interface ProtocolCore<Message, Record, Effect> {
  /** Feeds a message received from peer `from`. */
  step(from: NodeId, message: Message): void;
  /**
   * Tells the core that monotonic time `now` (ms) has been reached. The driver calls it at the
   * core's wake-ups and before every message and local request, so the core never acts on a
   * stale time; it must therefore be cheap when nothing is due, and ignore a `now` that has not
   * moved forward.
   */
  tick(now: number): void;
  /** Monotonic time (ms) at which the core next wants {@link ProtocolCore.tick}, if any. */
  wakeAt(): number | undefined;
  /** True when {@link ProtocolCore.ready} has something to hand out. */
  hasReady(): boolean;
  /** What must happen now; call {@link ProtocolCore.advance} once it has. */
  ready(): Ready<Message, Record, Effect>;
  /** Acknowledges that everything in `ready` was carried out. */
  advance(ready: Ready<Message, Record, Effect>): void;
  /**
   * True when the core hands out further `Ready`s while earlier ones are still being written
   * (etcd raft's asynchronous storage writes), so a slow sync holds back neither the messages
   * that may leave early nor the next write. The driver then, for each `Ready` in turn:
   * applies `effects` and sends `sendEarly` as soon as it is handed out (a pipelined core puts in
   * `effects` only what depends on records that are already durable); hands `persist` to storage
   * after the earlier `Ready`s' records (storage keeps that order); and sends `messages` and calls
   * `advance` once its records and every earlier `Ready`'s are durable, in the order handed out.
   * Inputs that arrive while a write is in flight share one `Ready`, taken at the end of the
   * current synchronous run (a microtask, not a turn of the event loop). Default false.
   */
  readonly pipelined?: boolean;
}

/** An empty {@link Ready}, for cores to build on. */
export function emptyReady<Message, Record, Effect>(): Ready<Message, Record, Effect> {
  return { sendEarly: [], persist: [], mustSync: false, messages: [], effects: [] };
}

/**
 * Where a driver writes a core's records. Returning `void` means the write (and the sync, when
 * asked) is already done, and keeps the driver synchronous — what the simulator and in-memory
 * tests use; returning a promise makes the driver wait for it before anything that depends on
 * the records leaves.
 */
export interface RecordSink<Record> {
  persist(records: readonly Record[], options: { readonly sync: boolean }): void | Promise<void>;
}
