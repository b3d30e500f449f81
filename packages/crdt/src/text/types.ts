/**
 * The identity of one inserted character: the agent (node id) that typed it and that agent's
 * sequence number for it (0, 1, 2, … per agent, counting code points).
 */
export type TextId = readonly [agent: string, seq: number];

/**
 * A cursor position that follows edits: the id of the character just left of it, or `null` for
 * the document start (see `TextDocument.anchorAt` / `positionOf`).
 */
export type TextAnchor = TextId | null;

/**
 * A run of characters inserted by one agent with consecutive sequence numbers. Character `k`
 * of the run has id `[agent, seq + k]`; its left origin is `left` for `k = 0`, otherwise the
 * previous character of the run; every character's right origin is `right`.
 */
export interface TextInsert {
  readonly agent: string;
  readonly seq: number;
  /** Number of code points in the run. */
  readonly length: number;
  /** The character that was immediately left of the insertion point, or null for the start. */
  readonly left: TextId | null;
  /** The character that was immediately right of the insertion point, or null for the end. */
  readonly right: TextId | null;
  /** The inserted text, or null when the run is already deleted (a tombstone: only its place is sent). */
  readonly content: string | null;
}

/** Deletion of the characters `[agent, seq]` … `[agent, seq + length - 1]`. */
export interface TextDelete {
  readonly agent: string;
  readonly seq: number;
  readonly length: number;
}

/**
 * A delta of a {@link TextDocument}: what a local edit returns, what `updateSince` extracts, what
 * `applyUpdate` takes. Updates are idempotent and may arrive in any order: parts whose causal
 * dependencies are missing wait inside the receiving replica until they arrive. Two updates join
 * with {@link mergeTextUpdates}. Plain data: it survives `JSON.stringify`.
 */
export interface TextUpdate {
  readonly inserts: readonly TextInsert[];
  readonly deletes: readonly TextDelete[];
}

/**
 * Per agent, how many of its characters a replica has (they always form a contiguous prefix
 * `0 … n-1`). Deletions are not counted: `updateSince` always sends the whole delete set.
 */
export type TextVersion = Readonly<Record<string, number>>;
