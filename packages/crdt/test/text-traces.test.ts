import { corpusMissing, type EditingTrace, loadEditingTrace } from '@lattice/testdata';
import { describe, expect, it } from 'vitest';
import { decodeTextDocument, encodeTextDocument, TextDocument } from '../src/index.js';

/** Applies every patch of a sequential trace to one replica. */
function replay(trace: EditingTrace): TextDocument {
  const doc = new TextDocument({ agent: 'typist' });
  for (const txn of trace.txns) {
    for (const [position, deleteCount, text] of txn.patches) {
      if (deleteCount > 0) doc.delete(position, deleteCount);
      if (text !== '') doc.insert(position, text);
    }
  }
  return doc;
}

/**
 * Replays a concurrent trace: each transaction edits the merge of its parents' documents, so
 * it needs fork (copy a replica), local edits, and merge. A parent's document is handed on
 * (not copied) to its last child when that child is by the same agent.
 */
function replayConcurrent(trace: EditingTrace): { heads: TextDocument[]; forks: number; merges: number } {
  const remaining = trace.txns.map(() => 0);
  for (const txn of trace.txns) for (const p of txn.parents ?? []) remaining[p]!++;
  const docs: (TextDocument | undefined)[] = [];
  const heads: TextDocument[] = [];
  let forks = 0;
  let merges = 0;
  trace.txns.forEach((txn, i) => {
    const agent = `agent-${txn.agent ?? 0}`;
    // Prefer a parent whose replica can be handed on (this is its last child, same agent).
    const parents = [...(txn.parents ?? [])];
    const k = parents.findIndex((p) => remaining[p] === 1 && docs[p]!.agent === agent);
    if (k > 0) [parents[0], parents[k]] = [parents[k]!, parents[0]!];
    let doc: TextDocument;
    if (parents.length === 0) doc = new TextDocument({ agent });
    else {
      const first = parents[0]!;
      const base = docs[first]!;
      const last = --remaining[first]! === 0;
      if (last) docs[first] = undefined;
      if (last && base.agent === agent) doc = base;
      else {
        doc = base.fork(agent);
        forks++;
      }
      for (const p of parents.slice(1)) {
        doc.merge(docs[p]!);
        merges++;
        if (--remaining[p]! === 0) docs[p] = undefined;
      }
    }
    for (const [position, deleteCount, text] of txn.patches) {
      if (deleteCount > 0) doc.delete(position, deleteCount);
      if (text !== '') doc.insert(position, text);
    }
    docs[i] = doc;
    if (remaining[i] === 0) heads.push(doc);
  });
  return { heads, forks, merges };
}

describe.skipIf(corpusMissing('text CRDT editing traces'))('editing traces', () => {
  for (const name of ['automerge-paper', 'seph-blog1']) {
    it(`replays ${name} to exactly its endContent, and survives an encode/decode round trip`, () => {
      const trace = loadEditingTrace(name);
      const doc = replay(trace);
      expect(doc.toString() === trace.endContent).toBe(true);
      expect(doc.length).toBe(Array.from(trace.endContent).length);
      const copy = decodeTextDocument(encodeTextDocument(doc), { agent: 'reader' });
      expect(copy.toString() === trace.endContent).toBe(true);
      expect(copy.version()).toEqual(doc.version());
    });
  }

  it('replays the concurrent friendsforever trace (fork, local edits, merge) and converges to its endContent', () => {
    const trace = loadEditingTrace('friendsforever');
    const { heads, forks, merges } = replayConcurrent(trace);
    expect(forks).toBeGreaterThan(0);
    expect(merges).toBeGreaterThan(0);
    const final = heads[0]!.fork('observer');
    for (const head of heads.slice(1)) final.merge(head);
    expect(final.toString() === trace.endContent).toBe(true);
    expect(final.pending).toBe(0);
    // Every head reaches the same text once it has merged the others.
    for (const head of heads) {
      head.merge(final);
      expect(head.toString() === trace.endContent).toBe(true);
    }
    // Replaying the whole history as updates into an empty replica converges too.
    const fresh = new TextDocument({ agent: 'fresh' });
    fresh.applyUpdate(final.updateSince());
    expect(fresh.toString() === trace.endContent).toBe(true);
  });
});
