import type { TextAnchor, TextUpdateJSON, TextVersion } from '@lattice/crdt';

/*
 * What the page and the relay say to each other over one WebSocket per page, as JSON text
 * frames. A page (re)connects with `sync` and its version; the relay answers with what the page
 * lacks and its own version; the page then sends what the relay lacks — the edits it made
 * offline. After that each side sends every update as it happens. Cursors are anchors (character
 * ids), so they stay on the right character while others edit; the relay relays them unchanged
 * and does not store them.
 */

/** A page's messages to the relay. */
export type PageMessage =
  | { readonly type: 'sync'; readonly version: TextVersion }
  | { readonly type: 'update'; readonly update: TextUpdateJSON }
  | { readonly type: 'cursor'; readonly anchor: TextAnchor };

/** Another participant as a page sees it. */
export interface Participant {
  readonly agent: string;
  readonly name: string;
  readonly anchor: TextAnchor;
}

/** The relay's messages to a page. */
export type RelayMessage =
  | { readonly type: 'sync'; readonly update: TextUpdateJSON; readonly version: TextVersion; readonly participants: readonly Participant[] }
  | { readonly type: 'update'; readonly update: TextUpdateJSON }
  | { readonly type: 'cursor'; readonly participant: Participant }
  | { readonly type: 'leave'; readonly agent: string }
  | { readonly type: 'error'; readonly message: string };

/** Document names: what fits in a path segment and a directory name. */
export const DOCUMENT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Agent ids and display names pages may choose. */
export const AGENT_ID = /^[A-Za-z0-9_-]{1,40}$/;

