/**
 * Timing and fan-out of a SWIM member. The three named sets carry the numbers of
 * hashicorp/memberlist's `DefaultLANConfig`, `DefaultWANConfig` and `DefaultLocalConfig`.
 */
export interface SwimProfile {
  /** Time between two failure-detection probes, ms (memberlist `ProbeInterval`). */
  readonly probeIntervalMs: number;
  /** How long a direct ping waits for its ack before ping-req starts, ms (`ProbeTimeout`). */
  readonly probeTimeoutMs: number;
  /** Members asked to probe indirectly after a missed ack (`IndirectChecks`, the paper's k). */
  readonly indirectChecks: number;
  /** Suspicion timeout = this · max(1, log10 n) · probe interval (`SuspicionMult`). */
  readonly suspicionMult: number;
  /** The longest suspicion timeout, as a multiple of the shortest (`SuspicionMaxTimeoutMult`). */
  readonly suspicionMaxTimeoutMult: number;
  /** Each update is piggybacked retransmitMult · ⌈log10(n + 1)⌉ times (`RetransmitMult`). */
  readonly retransmitMult: number;
  /** Members each gossip round sends to (`GossipNodes`). */
  readonly gossipNodes: number;
  /** Time between gossip rounds, ms (`GossipInterval`). */
  readonly gossipIntervalMs: number;
  /** Time between full-state exchanges with one random member, ms; 0 turns them off (`PushPullInterval`). */
  readonly pushPullIntervalMs: number;
  /** Dead members still gossiped to for this long, ms (`GossipToTheDeadTime`). */
  readonly gossipToTheDeadMs: number;
  /** Lifeguard's local health: probe timing is scaled by up to this factor (`AwarenessMaxMultiplier`). */
  readonly awarenessMaxMultiplier: number;
}

/** memberlist's `DefaultLANConfig`: a single data centre. */
export const LAN_PROFILE: SwimProfile = Object.freeze({
  probeIntervalMs: 1_000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  retransmitMult: 4,
  gossipNodes: 3,
  gossipIntervalMs: 200,
  pushPullIntervalMs: 30_000,
  gossipToTheDeadMs: 30_000,
  awarenessMaxMultiplier: 8,
});

/** memberlist's `DefaultWANConfig`: members across data centres. */
export const WAN_PROFILE: SwimProfile = Object.freeze({
  ...LAN_PROFILE,
  probeIntervalMs: 5_000,
  probeTimeoutMs: 3_000,
  suspicionMult: 6,
  gossipNodes: 4,
  gossipIntervalMs: 500,
  pushPullIntervalMs: 60_000,
  gossipToTheDeadMs: 60_000,
});

/** memberlist's `DefaultLocalConfig`: members on one host or a loopback network. */
export const LOCAL_PROFILE: SwimProfile = Object.freeze({
  ...LAN_PROFILE,
  probeTimeoutMs: 200,
  indirectChecks: 1,
  suspicionMult: 3,
  retransmitMult: 2,
  gossipIntervalMs: 100,
  pushPullIntervalMs: 15_000,
  gossipToTheDeadMs: 15_000,
});

/** How often an update is piggybacked in a cluster of `members` (memberlist's `retransmitLimit`). */
export function retransmitLimit(retransmitMult: number, members: number): number {
  return retransmitMult * Math.ceil(Math.log10(members + 1));
}

/** The shortest suspicion timeout, ms (memberlist's `suspicionTimeout`). */
export function suspicionTimeoutMs(suspicionMult: number, members: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, members)));
  return Math.floor((suspicionMult * Math.floor(nodeScale * 1000) * probeIntervalMs) / 1000);
}
