import { type Codec, DecodeError } from '@lattice/core';
import type { GossipEntry, GossipMessage } from './gossip-state.js';

/**
 * The wire form of gossip: UTF-8 JSON of `{ v: 1, e: [...] }`. `decode` throws `DecodeError` on
 * anything that is not a well-formed version-1 message, so a peer's garbage never reaches the
 * core. `size` lets the core split a message that would exceed the transport's largest payload;
 * the bytes it measured are kept (per message object, until encoded) so nothing is encoded twice.
 */
export class GossipCodec implements Codec<GossipMessage> {
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #measured = new WeakMap<GossipMessage, Uint8Array>();
  /** Messages this codec decoded, hence validated: the core need not check them again. */
  readonly #decoded = new WeakSet<GossipMessage>();

  /** True when `message` came out of this codec's `decode` (so it is well formed). */
  decoded(message: GossipMessage): boolean {
    return this.#decoded.has(message);
  }

  /** Encoded size of `message` in bytes. */
  size(message: GossipMessage): number {
    const bytes = this.#encoder.encode(JSON.stringify(message));
    this.#measured.set(message, bytes);
    return bytes.byteLength;
  }

  encode(message: GossipMessage): Uint8Array {
    const measured = this.#measured.get(message);
    if (measured !== undefined) {
      this.#measured.delete(message);
      return measured;
    }
    return this.#encoder.encode(JSON.stringify(message));
  }

  decode(payload: Uint8Array): GossipMessage {
    let value: unknown;
    try {
      value = JSON.parse(this.#decoder.decode(payload));
    } catch (cause) {
      throw new DecodeError(`Gossip message is not JSON (${payload.byteLength} bytes)`, { cause });
    }
    if (!isGossipMessage(value)) throw new DecodeError('Gossip message has an unknown shape or version, or a malformed entry');
    this.#decoded.add(value);
    return value;
  }
}

/** True for a well-formed version-1 gossip message (what `GossipCounterState.step` accepts). */
export function isGossipMessage(value: unknown): value is GossipMessage {
  const message = value as { v?: unknown; e?: unknown } | null;
  if (typeof message !== 'object' || message === null || message.v !== 1 || !Array.isArray(message.e)) return false;
  for (const entry of message.e as unknown[]) if (!isEntry(entry)) return false;
  return true;
}

function isEntry(entry: unknown): entry is GossipEntry {
  if (!Array.isArray(entry) || entry.length !== 4) return false;
  const [key, window, counts, acked] = entry as unknown[];
  if (typeof key !== 'string' || !Number.isSafeInteger(window) || !Number.isSafeInteger(acked) || !Array.isArray(counts)) return false;
  for (const pair of counts as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || !Number.isSafeInteger(pair[1]) || (pair[1] as number) < 0) return false;
  }
  return true;
}
