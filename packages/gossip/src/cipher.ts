/**
 * AES-GCM with a 12-byte nonce and a 16-byte tag, synchronous: what the keyring codec needs
 * from a crypto library. It is an interface so the protocol stays free of any platform's
 * crypto: `@lattice/gossip/node` provides `nodeAesGcm` (node:crypto); elsewhere, wrap any
 * synchronous AES-GCM (WebCrypto's is asynchronous, and the codec runs inside a synchronous
 * driver step).
 */
export interface AesGcmCipher {
  /** A fresh, unpredictable 12-byte nonce (never reused with a key: random nonces, as memberlist). */
  nonce(): Uint8Array;
  /** Encrypts and authenticates `plaintext` (and `aad`, unencrypted): the ciphertext followed by the 16-byte tag. */
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** The plaintext, or undefined when `sealed` (ciphertext and tag) does not authenticate under `key`, `nonce` and `aad`. */
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined;
}

/** Bytes of an AES-GCM nonce. */
export const NONCE_BYTES = 12;
/** Bytes of an AES-GCM authentication tag. */
export const TAG_BYTES = 16;
