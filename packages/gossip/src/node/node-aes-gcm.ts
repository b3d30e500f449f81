import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { InvalidArgumentError } from '@lattice/core';
import { type AesGcmCipher, NONCE_BYTES, TAG_BYTES } from '../cipher.js';

function algorithm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (key.length === 16) return 'aes-128-gcm';
  if (key.length === 24) return 'aes-192-gcm';
  if (key.length === 32) return 'aes-256-gcm';
  throw new InvalidArgumentError(`An AES key is 16, 24 or 32 bytes, got ${key.length}`);
}

function concat(a: Uint8Array, b: Uint8Array, c?: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + (c?.length ?? 0));
  out.set(a, 0);
  out.set(b, a.length);
  if (c !== undefined) out.set(c, a.length + b.length);
  return out;
}

/**
 * AES-GCM on node:crypto (OpenSSL), synchronous: the cipher of a SWIM keyring on Node.
 *
 * @example
 * ```ts
 * import { Keyring, Swim } from '@lattice/gossip';
 * import { nodeAesGcm } from '@lattice/gossip/node';
 * const swim = new Swim({ endpoint, encryption: { keyring: new Keyring(key), cipher: nodeAesGcm } });
 * ```
 */
export const nodeAesGcm: AesGcmCipher = Object.freeze({
  nonce(): Uint8Array {
    return randomFillSync(new Uint8Array(NONCE_BYTES));
  },
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
    const cipher = createCipheriv(algorithm(key), key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    return concat(body, cipher.final(), cipher.getAuthTag());
  },
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
    if (sealed.length < TAG_BYTES || nonce.length !== NONCE_BYTES) return undefined;
    const decipher = createDecipheriv(algorithm(key), key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      return concat(body, decipher.final());
    } catch {
      // OpenSSL's "unable to authenticate data": the one expected failure, reported as undefined.
      return undefined;
    }
  },
});
