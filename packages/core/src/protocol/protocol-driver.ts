import { assertFunction, assertOptionalClock, assertOptionalTimers } from '../arguments.js';
import { type Clock, systemClock, systemTimers, type TimerHandle, type Timers } from '../clock.js';
import type { Codec } from '../codec.js';
import { ClosedError, HandlerError, InvalidArgumentError, isLatticeError, type LatticeError } from '../errors.js';
import type { NodeId } from '../node-id.js';
import { type BaseEvents, Observable } from '../observable.js';
import type { Endpoint } from '../transport.js';
import type { Outbound, ProtocolCore, Ready, RecordSink } from './protocol-core.js';
import { InvariantViolationError, NodeStoppedError } from './protocol-errors.js';

/** Options of {@link ProtocolDriver}. */
export interface ProtocolDriverOptions<Message, Record, Effect> {
  /** The protocol's pure core. */
  core: ProtocolCore<Message, Record, Effect>;
  /** Where the node talks to its peers (any `Transport`'s endpoint; the caller owns it). */
  endpoint: Endpoint;
  /** Turns messages into bytes and back; `decode` throws a `LatticeError` on garbage. */
  codec: Codec<Message>;
  /** Durable storage of the core's records. Required when the core persists anything. */
  storage?: RecordSink<Record>;
  /** Applies each effect, in order, after the records it follows are durable. */
  apply?: (effect: Effect) => void;
  /** Monotonic time fed to `tick`. Default `systemClock`. */
  clock?: Clock;
  /** Timers of the core's wake-ups. Default `systemTimers`. */
  timers?: Timers;
  /**
   * Handles only messages this returns true for (several protocols on one endpoint, each with
   * its own header). Checked before decoding, so other protocols' traffic is never rejected.
   */
  accepts?: (payload: Uint8Array) => boolean;
}

/** Counters of a {@link ProtocolDriver} (a snapshot). */
export interface ProtocolDriverStats {
  messagesReceived: number;
  messagesSent: number;
  /** Messages that could not be decoded, or that the core refused as a protocol violation. */
  rejected: number;
  sendErrors: number;
  /** `Ready` batches carried out. */
  readies: number;
  recordsPersisted: number;
  syncs: number;
}

/** Events of a {@link ProtocolDriver}. */
export interface ProtocolDriverEvents<Effect> extends BaseEvents {
  /** Each effect, after `apply` ran (observers such as tests and status pages). */
  effect: Effect;
  /** The node stopped: by `stop()` (undefined) or because it could no longer be trusted. */
  stopped: NodeStoppedError | undefined;
}

type AnyReady<M, R, E> = Ready<M, R, E>;

/**
 * The one driver of every Lattice protocol: binds a {@link ProtocolCore} to an `Endpoint`,
 * durable storage ({@link RecordSink}), `Timers` and a `Codec`, and enforces the order the core
 * asks for — records persisted (and synced where asked) *before* the messages and effects that
 * depend on them. Everything it cannot do is reported on `error`, never thrown into the
 * transport: undecodable messages and protocol violations are counted as `rejected` and change
 * nothing; a failed storage write stops the node (fail-stop), since acknowledging anything after
 * it would break the protocol's promises.
 *
 * With storage that completes synchronously (or none) and a synchronous transport and timers
 * (the simulator's, `ManualClock`), the whole driver runs synchronously: a step's outputs have
 * left before `step` returns, which is what makes simulation deterministic.
 *
 * @example
 * ```ts
 * const driver = new ProtocolDriver({ core, endpoint, codec, storage, apply: (e) => stateMachine.apply(e) });
 * driver.on('error', (error) => log.warn(error.code, error.message));
 * driver.run((core) => core.propose(command));
 * ```
 */
export class ProtocolDriver<Message, Record = never, Effect = never> extends Observable<ProtocolDriverEvents<Effect>> {
  readonly #core: ProtocolCore<Message, Record, Effect>;
  readonly #endpoint: Endpoint;
  readonly #codec: Codec<Message>;
  readonly #storage: RecordSink<Record> | undefined;
  readonly #apply: ((effect: Effect) => void) | undefined;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #accepts: ((payload: Uint8Array) => boolean) | undefined;
  readonly #detach: () => void;
  readonly #stats: ProtocolDriverStats = {
    messagesReceived: 0,
    messagesSent: 0,
    rejected: 0,
    sendErrors: 0,
    readies: 0,
    recordsPersisted: 0,
    syncs: 0,
  };
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;
  #draining = false;
  /** A drain is queued for the end of the current synchronous run (pipelined cores, see #requestDrain). */
  #drainQueued = false;
  /**
   * Settles once the last `Ready` still waiting for its records to be durable is carried out
   * (never rejects); undefined when none waits. Only a pipelined core gets more `Ready`s meanwhile.
   */
  #tail: Promise<void> | undefined;
  readonly #pipelined: boolean;
  #stopped = false;

  constructor(options: ProtocolDriverOptions<Message, Record, Effect>) {
    super();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('ProtocolDriver needs an options object');
    const { core, endpoint, codec } = options;
    if (typeof core?.step !== 'function' || typeof core.ready !== 'function') {
      throw new InvalidArgumentError('options.core must be a ProtocolCore (step, tick, wakeAt, hasReady, ready, advance)');
    }
    if (typeof endpoint?.send !== 'function' || typeof endpoint.onMessage !== 'function') {
      throw new InvalidArgumentError('options.endpoint must be an Endpoint');
    }
    if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
      throw new InvalidArgumentError('options.codec must be a Codec (encode, decode)');
    }
    if (options.storage !== undefined && typeof options.storage?.persist !== 'function') {
      throw new InvalidArgumentError('options.storage must be a RecordSink (persist)');
    }
    if (options.apply !== undefined) assertFunction(options.apply, 'options.apply');
    if (options.accepts !== undefined) assertFunction(options.accepts, 'options.accepts');
    assertOptionalClock(options.clock, 'options.clock');
    assertOptionalTimers(options.timers, 'options.timers');
    this.#core = core;
    this.#endpoint = endpoint;
    this.#codec = codec;
    this.#storage = options.storage;
    this.#apply = options.apply;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#accepts = options.accepts;
    this.#pipelined = core.pipelined === true;
    this.#detach = endpoint.onMessage((envelope) => this.#receive(envelope.from, envelope.payload));
    this.#drain();
  }

  /** The core (read its state; change it only through {@link ProtocolDriver.run}). */
  get core(): ProtocolCore<Message, Record, Effect> {
    return this.#core;
  }

  /** True once the node stopped (by {@link ProtocolDriver.stop} or a failure). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** A snapshot of the counters. */
  stats(): ProtocolDriverStats {
    return { ...this.#stats };
  }

  /**
   * Runs a local request against the core (a proposal, a membership change) and carries out
   * what it produced. Returns what `request` returns; throws `ClosedError` once stopped.
   */
  run<T>(request: (core: ProtocolCore<Message, Record, Effect>) => T): T {
    if (this.#stopped) throw new ClosedError('The protocol node is stopped');
    // Checked here: called inside the guard, a non-function would throw a TypeError that stops the node.
    assertFunction(request, 'request');
    try {
      return this.#guard(() => {
        this.#core.tick(this.#clock.monotonic());
        return request(this.#core);
      });
    } finally {
      this.#requestDrain();
    }
  }

  /**
   * Stops the node: detaches from the endpoint (which stays open), cancels its timer, and
   * resolves once a storage write in flight has settled. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.#stopped) this.#halt(undefined);
    await this.#tail;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #receive(from: NodeId, payload: Uint8Array): void {
    if (this.#stopped) return;
    if (this.#accepts !== undefined && !this.#accepts(payload)) return;
    this.#stats.messagesReceived++;
    let message: Message;
    try {
      message = this.#codec.decode(payload);
    } catch (error) {
      this.#reject(isLatticeError(error) ? error : new HandlerError(`Undecodable message from "${from}"`, { cause: error }));
      return;
    }
    try {
      // The core learns the time with every input, not only at its wake-ups: a message stepped at
      // the time of the last timer would, say, push a Raft election deadline back from a stale time.
      this.#core.tick(this.#clock.monotonic());
      this.#core.step(from, message);
    } catch (error) {
      if (isFatal(error)) {
        this.#halt(new NodeStoppedError(`The protocol core failed on a message from "${from}"`, { cause: error }));
        return;
      }
      this.#reject(error as LatticeError);
      return;
    }
    this.#requestDrain();
  }

  /**
   * Carries out what the core has now, except for a pipelined core while a write is in flight:
   * then at the end of the current synchronous run, so that the inputs of one run (the messages
   * of one network read, the proposals of one client request batch) share one `Ready`.
   */
  #requestDrain(): void {
    if (this.#tail === undefined || !this.#pipelined) {
      this.#drain();
      return;
    }
    if (this.#drainQueued) return;
    this.#drainQueued = true;
    queueMicrotask(() => {
      this.#drainQueued = false;
      this.#drain();
    });
  }

  #reject(error: LatticeError): void {
    this.#stats.rejected++;
    this.emit('error', error);
  }

  /** Runs a core call; anything but a typed error (or a broken invariant) stops the node, and is rethrown. */
  #guard<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      if (isFatal(error)) this.#halt(new NodeStoppedError('The protocol core failed', { cause: error }));
      throw error;
    }
  }

  #drain(): void {
    if (this.#stopped || this.#draining) return;
    this.#draining = true;
    try {
      while ((this.#tail === undefined || this.#pipelined) && !this.#stopped && this.#core.hasReady()) {
        const ready = this.#core.ready();
        // A pipelined core's effects first: what they answer (a client waiting for its command)
        // goes out ahead of the peers' traffic of the same turn on a single-threaded runtime.
        if (this.#pipelined) this.#applyEffects(ready.effects);
        this.#send(ready.sendEarly);
        const write = this.#persist(ready);
        if (write === undefined && this.#tail === undefined) this.#complete(ready);
        else this.#completeWhenDurable(ready, write);
      }
    } catch (error) {
      if (!this.#stopped) this.#halt(new NodeStoppedError('The protocol core failed', { cause: error }));
    } finally {
      this.#draining = false;
    }
    this.#rearm();
  }

  /** Starts the write of `ready`'s records; undefined when it already completed. */
  #persist(ready: AnyReady<Message, Record, Effect>): Promise<void> | undefined {
    if (ready.persist.length === 0 && !ready.mustSync) return undefined;
    if (this.#storage === undefined) {
      throw new InvalidArgumentError('The protocol core asked to persist records, but the driver was given no storage');
    }
    this.#stats.recordsPersisted += ready.persist.length;
    if (ready.mustSync) this.#stats.syncs++;
    const result = this.#storage.persist(ready.persist, { sync: ready.mustSync });
    return result === undefined ? undefined : Promise.resolve(result);
  }

  /** Carries out the rest of `ready` once its write (if any) and every earlier `Ready`'s are done. */
  #completeWhenDurable(ready: AnyReady<Message, Record, Effect>, write: Promise<void> | undefined): void {
    const previous = this.#tail;
    // Seen as handled now: while it waits behind `previous` (which never rejects), a failure
    // must not count as an unhandled rejection; the chain below still sees it.
    write?.catch(() => undefined);
    const durable = previous === undefined ? write! : write === undefined ? previous : previous.then(() => write);
    const tail: Promise<void> = durable.then(
      () => {
        if (this.#tail === tail) this.#tail = undefined;
        if (this.#stopped) return;
        try {
          this.#complete(ready);
        } catch (error) {
          this.#halt(new NodeStoppedError('The protocol core failed', { cause: error }));
          return;
        }
        this.#drain();
      },
      (cause: unknown) => {
        if (this.#tail === tail) this.#tail = undefined;
        this.#halt(new NodeStoppedError('Durable storage failed; nothing that depended on it was sent', { cause }));
      },
    );
    this.#tail = tail;
  }

  #complete(ready: AnyReady<Message, Record, Effect>): void {
    this.#send(ready.messages);
    if (!this.#pipelined) this.#applyEffects(ready.effects);
    this.#stats.readies++;
    this.#core.advance(ready);
  }

  #applyEffects(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (this.#apply !== undefined) {
        try {
          this.#apply(effect);
        } catch (cause) {
          this.emit('error', new HandlerError('The effect handler threw', { cause }));
        }
      }
      this.emit('effect', effect);
    }
  }

  #send(outbound: readonly Outbound<Message>[]): void {
    // A core that sends one message object to several peers (a leader's append) has it encoded once.
    let encoded: Message | undefined;
    let encodedPayload: Uint8Array | undefined;
    for (const { to, message } of outbound) {
      let payload: Uint8Array;
      try {
        payload = encoded === message && encodedPayload !== undefined ? encodedPayload : this.#codec.encode(message);
        encoded = message;
        encodedPayload = payload;
      } catch (cause) {
        this.#stats.sendErrors++;
        this.emit('error', new HandlerError(`Could not encode a message to "${to}"`, { cause }));
        continue;
      }
      this.#stats.messagesSent++;
      this.#endpoint.send(to, payload).catch((error: unknown) => {
        this.#stats.sendErrors++;
        this.emit('error', isLatticeError(error) ? error : new HandlerError(`Sending to "${to}" failed`, { cause: error }));
      });
    }
  }

  /** Keeps exactly one timer, at the core's next wake-up. */
  #rearm(): void {
    const at = this.#stopped ? undefined : this.#core.wakeAt();
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      if (this.#stopped) return;
      try {
        this.#guard(() => this.#core.tick(this.#clock.monotonic()));
      } catch (error) {
        if (!isFatal(error)) this.emit('error', error as LatticeError);
      }
      this.#drain();
    }, Math.max(0, at - this.#clock.monotonic()));
  }

  #halt(reason: NodeStoppedError | undefined): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#detach();
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
    if (reason !== undefined) this.emit('error', reason);
    this.emit('stopped', reason);
  }
}

/** True for what the core cannot recover from: anything but a typed error, and a broken invariant. */
function isFatal(error: unknown): boolean {
  return !isLatticeError(error) || error.code === InvariantViolationError.code;
}
