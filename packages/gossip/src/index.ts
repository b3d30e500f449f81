/**
 * SWIM membership and failure detection with Lifeguard: a pure protocol core, memberlist's
 * LAN/WAN/local profiles, and a driver over any `Transport`.
 *
 * @packageDocumentation
 */
export { Awareness } from './awareness.js';
export { decodeSwimMessage, encodeSwimMessage, isSwimPayload, SWIM_FORMAT_VERSION, SWIM_MAGIC, swimMessageCodec } from './codec.js';
export { MemberLeftError } from './errors.js';
export { checkSwimMessage, MAX_ITEMS_PER_MESSAGE, MAX_META_BYTES } from './message-check.js';
export { LAN_PROFILE, LOCAL_PROFILE, retransmitLimit, type SwimProfile, suspicionTimeoutMs, WAN_PROFILE } from './profiles.js';
export { Suspicion, suspicionTimeout } from './suspicion.js';
export { Swim, type SwimEvents, type SwimNodeStats, type SwimOptions } from './swim.js';
export { SwimCore, type SwimCoreOptions, type SwimStats } from './swim-core.js';
export type { Member, MemberEvent, MemberState, SwimEffect, SwimMessage, Update } from './types.js';
