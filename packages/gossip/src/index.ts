/**
 * SWIM membership and failure detection with Lifeguard: a pure protocol core, memberlist's
 * LAN/WAN/local profiles, and a driver over any `Transport`; keyring encryption (AES-GCM) of
 * every message, and a φ accrual failure detector for heartbeat-style monitoring.
 *
 * @packageDocumentation
 */
export { Awareness } from './awareness.js';
export { type AesGcmCipher, NONCE_BYTES, TAG_BYTES } from './cipher.js';
export { decodeSwimMessage, encodeSwimMessage, isSwimPayload, SWIM_FORMAT_VERSION, SWIM_MAGIC, swimMessageCodec } from './codec.js';
export { decryptSwimPayload, ENCRYPTION_OVERHEAD, ENCRYPTION_VERSION, encryptSwimPayload, isEncryptedSwimPayload, isSwimTraffic, SWIM_ENCRYPTED_MAGIC, type SwimEncryption, swimCodec } from './encryption.js';
export { KeyNotInstalledError, MemberLeftError, MessageAuthenticationError, PrimaryKeyRemovalError, UnencryptedMessageError } from './errors.js';
export { assertKey, KEY_SIZES, Keyring } from './keyring.js';
export { checkSwimMessage, MAX_ITEMS_PER_MESSAGE, MAX_META_BYTES } from './message-check.js';
export { type PhiAccrualOptions, type PhiAccrualStats, PhiAccrualFailureDetector, phiOf } from './phi-accrual.js';
export { LAN_PROFILE, LOCAL_PROFILE, retransmitLimit, type SwimProfile, suspicionTimeoutMs, WAN_PROFILE } from './profiles.js';
export { Suspicion, suspicionTimeout } from './suspicion.js';
export { Swim, type SwimEvents, type SwimNodeStats, type SwimOptions } from './swim.js';
export { SwimCore, type SwimCoreOptions, type SwimStats } from './swim-core.js';
export type { Member, MemberEvent, MemberState, SwimEffect, SwimMessage, Update } from './types.js';
