import type { NodeId } from '@lattice/core';

/** What a member is believed to be. `left` is a graceful leave, `dead` a confirmed failure. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** One member as this node sees it. */
export interface Member {
  readonly id: NodeId;
  /** Raised only by the member itself: to refute a suspicion and to publish new metadata. */
  readonly incarnation: number;
  readonly state: MemberState;
  /** User metadata; versioned by `incarnation` (a newer incarnation replaces it). */
  readonly meta: Uint8Array;
}

/** A piggybacked membership update. `dead` with `from === id` is a graceful leave. */
export type Update =
  | { readonly kind: 'alive'; readonly id: NodeId; readonly incarnation: number; readonly meta: Uint8Array }
  | { readonly kind: 'suspect' | 'dead'; readonly id: NodeId; readonly incarnation: number; readonly from: NodeId };

/** A message between SWIM members. */
export type SwimMessage =
  | { readonly type: 'ping'; readonly seq: number; readonly target: NodeId; readonly updates: readonly Update[] }
  | { readonly type: 'ack'; readonly seq: number; readonly updates: readonly Update[] }
  | { readonly type: 'pingReq'; readonly seq: number; readonly target: NodeId; readonly updates: readonly Update[] }
  | { readonly type: 'nack'; readonly seq: number }
  | { readonly type: 'gossip'; readonly updates: readonly Update[] }
  | { readonly type: 'pushPull'; readonly join: boolean; readonly reply: boolean; readonly members: readonly Member[] };

/** A change in membership, as seen by this node. */
export interface MemberEvent {
  /** `alive`: a suspected member refuted the suspicion. */
  readonly kind: 'join' | 'update' | 'alive' | 'suspect' | 'dead' | 'leave';
  readonly member: Member;
}

/** What {@link SwimCore} hands to the application. */
export type SwimEffect = { readonly type: 'member'; readonly event: MemberEvent } | { readonly type: 'leaveComplete' };
