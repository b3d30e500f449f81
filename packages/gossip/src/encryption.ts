import { type Codec, DecodeError, describeValue, InvalidArgumentError, isBytes, UnsupportedVersionError } from '@lattice/core';
import { type AesGcmCipher, NONCE_BYTES, TAG_BYTES } from './cipher.js';
import { decodeSwimMessage, encodeSwimMessage, isSwimPayload, SWIM_MAGIC } from './codec.js';
import { MessageAuthenticationError, UnencryptedMessageError } from './errors.js';
import { Keyring } from './keyring.js';
import type { SwimMessage } from './types.js';

/** First byte of an encrypted SWIM message ('E'); a plaintext one starts with {@link SWIM_MAGIC}. */
export const SWIM_ENCRYPTED_MAGIC = 0x45;
/**
 * Version of the encrypted envelope: magic, version, 12-byte nonce, AES-GCM ciphertext of the
 * plaintext SWIM message, 16-byte tag. The two header bytes are authenticated (the AEAD's
 * additional data), so neither can be altered undetected. memberlist's version 1 is the same
 * idea (no padding, random nonce), with a one-byte message-type prefix instead of a magic.
 */
export const ENCRYPTION_VERSION = 1;
const HEADER_BYTES = 2;
/** Smallest encrypted message: header, nonce and tag around an empty plaintext. */
export const ENCRYPTION_OVERHEAD = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** How a member encrypts its SWIM traffic (the `encryption` option of `Swim`). */
export interface SwimEncryption {
  /** The keys: the primary seals, all are tried to open. Rotate keys on this object; the codec reads it on every message. */
  keyring: Keyring;
  /** The AES-GCM implementation, e.g. `nodeAesGcm` from `@lattice/gossip/node`. */
  cipher: AesGcmCipher;
  /** Refuse plaintext messages (memberlist `GossipVerifyIncoming`). Default true; false only while turning encryption on in a running cluster. */
  verifyIncoming?: boolean;
  /** Encrypt outgoing messages (memberlist `GossipVerifyOutgoing`). Default true; false only while turning encryption on in a running cluster. */
  verifyOutgoing?: boolean;
}

function checkEncryption(encryption: SwimEncryption): void {
  if (typeof encryption !== 'object' || encryption === null) throw new InvalidArgumentError(`encryption must be an object with a keyring and a cipher, got ${describeValue(encryption)}`);
  if (!(encryption.keyring instanceof Keyring)) throw new InvalidArgumentError('encryption.keyring must be a Keyring');
  const { cipher } = encryption;
  if (typeof cipher?.seal !== 'function' || typeof cipher.open !== 'function' || typeof cipher.nonce !== 'function') {
    throw new InvalidArgumentError('encryption.cipher must be an AesGcmCipher (nonce, seal, open)');
  }
  for (const flag of ['verifyIncoming', 'verifyOutgoing'] as const) {
    if (encryption[flag] !== undefined && typeof encryption[flag] !== 'boolean') throw new InvalidArgumentError(`encryption.${flag} must be a boolean`);
  }
}

/** Seals `plaintext` with the keyring's primary key. */
export function encryptSwimPayload(plaintext: Uint8Array, keyring: Keyring, cipher: AesGcmCipher): Uint8Array {
  if (!isBytes(plaintext)) throw new InvalidArgumentError(`plaintext must be a Uint8Array, got ${describeValue(plaintext)}`);
  const header = Uint8Array.of(SWIM_ENCRYPTED_MAGIC, ENCRYPTION_VERSION);
  const nonce = cipher.nonce();
  if (!isBytes(nonce) || nonce.length !== NONCE_BYTES) throw new InvalidArgumentError(`cipher.nonce() must return ${NONCE_BYTES} bytes`);
  const sealed = cipher.seal(keyring.rawKeys()[0]!, nonce, plaintext, header);
  const out = new Uint8Array(HEADER_BYTES + NONCE_BYTES + sealed.length);
  out.set(header, 0);
  out.set(nonce, HEADER_BYTES);
  out.set(sealed, HEADER_BYTES + NONCE_BYTES);
  return out;
}

/**
 * Opens an encrypted SWIM message with the first installed key that authenticates it, primary
 * first. Throws `DecodeError` for what is not an encrypted message or is too short to be one,
 * `UnsupportedVersionError` for a newer envelope, and {@link MessageAuthenticationError} when no
 * installed key opens it (a wrong key, a flipped bit, a cut-off tail).
 */
export function decryptSwimPayload(data: Uint8Array, keyring: Keyring, cipher: AesGcmCipher): Uint8Array {
  if (!isBytes(data)) throw new DecodeError(`An encrypted SWIM message must be a Uint8Array, got ${describeValue(data)}`);
  if (data.length === 0 || data[0] !== SWIM_ENCRYPTED_MAGIC) throw new DecodeError('Not an encrypted SWIM message');
  if (data.length < ENCRYPTION_OVERHEAD) throw new DecodeError(`An encrypted SWIM message of ${data.length} bytes is shorter than its ${ENCRYPTION_OVERHEAD}-byte envelope`);
  const version = data[1]!;
  if (version > ENCRYPTION_VERSION) throw new UnsupportedVersionError(version, ENCRYPTION_VERSION, 'encrypted SWIM message');
  if (version < 1) throw new DecodeError(`Encrypted SWIM message version ${version}`);
  const header = data.subarray(0, HEADER_BYTES);
  const nonce = data.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  const sealed = data.subarray(HEADER_BYTES + NONCE_BYTES);
  for (const key of keyring.rawKeys()) {
    const plaintext = cipher.open(key, nonce, sealed, header);
    if (plaintext !== undefined) return plaintext;
  }
  throw new MessageAuthenticationError(`No installed key (of ${keyring.size}) authenticates this SWIM message: a wrong key, or it was altered on the way`);
}

/** True for payloads that start like an encrypted SWIM message; false for anything but a Uint8Array. */
export function isEncryptedSwimPayload(payload: Uint8Array): boolean {
  return isBytes(payload) && payload.length > 0 && payload[0] === SWIM_ENCRYPTED_MAGIC;
}

/**
 * The `Codec` of SWIM messages under a keyring: seals each outgoing message with the primary
 * key, opens each incoming one with any installed key, then decodes and checks it. Without
 * `encryption` it is the plaintext codec, which reports encrypted messages (a `DecodeError`)
 * rather than misreading them.
 */
export function swimCodec(encryption?: SwimEncryption): Codec<SwimMessage> {
  if (encryption === undefined) {
    return {
      encode: encodeSwimMessage,
      decode(bytes) {
        if (isBytes(bytes) && isEncryptedSwimPayload(bytes)) throw new DecodeError('An encrypted SWIM message reached a member without a keyring');
        return decodeSwimMessage(bytes);
      },
    };
  }
  checkEncryption(encryption);
  const { keyring, cipher } = encryption;
  const verifyIncoming = encryption.verifyIncoming ?? true;
  const verifyOutgoing = encryption.verifyOutgoing ?? true;
  return {
    encode(message) {
      const plaintext = encodeSwimMessage(message);
      return verifyOutgoing ? encryptSwimPayload(plaintext, keyring, cipher) : plaintext;
    },
    decode(bytes) {
      if (isBytes(bytes) && bytes.length > 0 && bytes[0] === SWIM_MAGIC) {
        if (verifyIncoming) throw new UnencryptedMessageError('A plaintext SWIM message reached a member that requires encryption');
        return decodeSwimMessage(bytes);
      }
      return decodeSwimMessage(decryptSwimPayload(bytes, keyring, cipher));
    },
  };
}

/** True for payloads a SWIM member handles: plaintext or encrypted (the driver's `accepts`). */
export function isSwimTraffic(payload: Uint8Array): boolean {
  return isSwimPayload(payload) || isEncryptedSwimPayload(payload);
}
