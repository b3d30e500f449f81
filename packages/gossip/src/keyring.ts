import { describeValue, InvalidArgumentError, isBytes } from '@lattice/core';
import { KeyNotInstalledError, PrimaryKeyRemovalError } from './errors.js';

/** Key lengths a keyring accepts: 16, 24 or 32 bytes select AES-128, AES-192 or AES-256 (memberlist's `ValidateKey`). */
export const KEY_SIZES: readonly number[] = Object.freeze([16, 24, 32]);

/** Throws `InvalidArgumentError` unless `key` is 16, 24 or 32 bytes. */
export function assertKey(key: unknown, what = 'key'): asserts key is Uint8Array {
  if (!isBytes(key)) throw new InvalidArgumentError(`${what} must be a Uint8Array of 16, 24 or 32 bytes, got ${describeValue(key)}`);
  if (!KEY_SIZES.includes(key.length)) throw new InvalidArgumentError(`${what} must be 16, 24 or 32 bytes (AES-128, -192 or -256), got ${key.length} bytes`);
}

/**
 * The keys a member encrypts and decrypts SWIM messages with, as hashicorp/memberlist's
 * `Keyring`: the primary key seals every outgoing message; every installed key is tried on an
 * incoming one, the primary first. That split is what makes rotation lossless — install the new
 * key everywhere, then make it primary everywhere, then remove the old one: at every step each
 * message is sealed with a key all members hold.
 *
 * Keys are copied in and out, so a caller's buffer can be wiped without touching the ring.
 *
 * @example
 * ```ts
 * const keyring = new Keyring(oldKey);
 * keyring.install(newKey); // on every member first
 * keyring.use(newKey);     // then, on each member, seal with the new key
 * keyring.remove(oldKey);  // once every member uses the new key
 * ```
 */
export class Keyring {
  /** Primary first. */
  #keys: Uint8Array[];

  constructor(primaryKey: Uint8Array, otherKeys: readonly Uint8Array[] = []) {
    assertKey(primaryKey, 'primaryKey');
    if (!Array.isArray(otherKeys)) throw new InvalidArgumentError(`otherKeys must be an array of keys, got ${describeValue(otherKeys)}`);
    this.#keys = [primaryKey.slice()];
    for (const key of otherKeys) this.install(key);
  }

  /** The key outgoing messages are sealed with (a copy). */
  get primaryKey(): Uint8Array {
    return this.#keys[0]!.slice();
  }

  /** Installed keys, primary first (copies). */
  keys(): Uint8Array[] {
    return this.#keys.map((key) => key.slice());
  }

  /** Number of installed keys. */
  get size(): number {
    return this.#keys.length;
  }

  /** True when `key` is installed. */
  has(key: Uint8Array): boolean {
    return this.#indexOf(key) >= 0;
  }

  /** Installs `key` for decryption (memberlist `AddKey`); installing an installed key does nothing. */
  install(key: Uint8Array): void {
    assertKey(key);
    if (this.#indexOf(key) < 0) this.#keys.push(key.slice());
  }

  /** Seals outgoing messages with `key` from now on (memberlist `UseKey`); every peer should have installed it first. */
  use(key: Uint8Array): void {
    assertKey(key);
    const index = this.#indexOf(key);
    if (index < 0) throw new KeyNotInstalledError('The key to use is not installed in this keyring; install it first');
    if (index === 0) return;
    const [chosen] = this.#keys.splice(index, 1);
    this.#keys.unshift(chosen!);
  }

  /** Removes `key` (memberlist `RemoveKey`); removing a key that is not installed does nothing, removing the primary key throws. */
  remove(key: Uint8Array): void {
    assertKey(key);
    const index = this.#indexOf(key);
    if (index === 0) throw new PrimaryKeyRemovalError('The primary key cannot be removed; use another key first');
    if (index > 0) this.#keys.splice(index, 1);
  }

  /** Installed keys, primary first, without copying: for the codec only. @internal */
  rawKeys(): readonly Uint8Array[] {
    return this.#keys;
  }

  #indexOf(key: Uint8Array): number {
    return this.#keys.findIndex((installed) => sameBytes(installed, key));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
