/**
 * The Node-only parts of `@lattice/gossip`: `nodeAesGcm`, the AES-GCM cipher (node:crypto) a
 * SWIM `Keyring` encrypts with. The main entry stays free of `node:` imports.
 *
 * @packageDocumentation
 */
export type { AesGcmCipher } from '../cipher.js';
export { nodeAesGcm } from './node-aes-gcm.js';
