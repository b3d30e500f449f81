/**
 * SWIM membership and failure detection with Lifeguard: a pure protocol core, memberlist's
 * LAN/WAN/local profiles, and a driver over any `Transport`.
 *
 * @packageDocumentation
 */
export { Awareness } from './awareness.js';
export { LAN_PROFILE, LOCAL_PROFILE, retransmitLimit, type SwimProfile, suspicionTimeoutMs, WAN_PROFILE } from './profiles.js';
export { Suspicion, suspicionTimeout } from './suspicion.js';
