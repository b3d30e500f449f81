/**
 * Text CRDT benchmark: our TextDocument side by side with Yjs (and Automerge where it finishes
 * in reasonable time) on the public editing traces. Exported for bench/index.ts; run alone with
 * `node --expose-gc --conditions=@lattice/source --import tsx bench/text-run.ts`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as Automerge from '@automerge/automerge';
import { type BenchResult, median, medianMs, opsPerSecond, result, retainedHeap } from '@lattice/bench-kit';
import { corpusMissing, type EditingTrace, loadEditingTrace } from '@lattice/testdata';
import * as Y from 'yjs';
import { decodeTextDocument, encodeTextDocument, TextDocument } from '../src/index.js';

const require = createRequire(import.meta.url);

/** `name@version` of an installed peer, read from its package.json. */
function peerName(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
      if (json.name === pkg) return `${pkg}@${json.version}`;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find package.json of ${pkg}`);
    dir = parent;
  }
}

/** Automerge gets this long for one full replay before it is skipped (recorded as a note). */
const AUTOMERGE_BUDGET_MS = 60_000;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function replayOurs(trace: EditingTrace): TextDocument {
  const doc = new TextDocument({ agent: 'typist' });
  for (const txn of trace.txns) {
    for (const [position, deleteCount, text] of txn.patches) {
      if (deleteCount > 0) doc.delete(position, deleteCount);
      if (text !== '') doc.insert(position, text);
    }
  }
  return doc;
}

function replayYjs(trace: EditingTrace): Y.Doc {
  const doc = new Y.Doc();
  const text = doc.getText('text');
  for (const txn of trace.txns) {
    for (const [position, deleteCount, insert] of txn.patches) {
      if (deleteCount > 0) text.delete(position, deleteCount);
      if (insert !== '') text.insert(position, insert);
    }
  }
  return doc;
}

/** One change per edit, like the others; gives up (returns the edit count reached) after `budgetMs`. */
function replayAutomerge(trace: EditingTrace, budgetMs: number, editsPerChange = 1): { doc: Automerge.Doc<{ text: string }>; done: boolean; edits: number } {
  let doc = Automerge.from<{ text: string }>({ text: '' });
  const start = now();
  let edits = 0;
  const patches = trace.txns.flatMap((t) => t.patches);
  for (let i = 0; i < patches.length; i += editsPerChange) {
    doc = Automerge.change(doc, (d) => {
      for (const [position, deleteCount, insert] of patches.slice(i, i + editsPerChange)) Automerge.splice(d, ['text'], position, deleteCount, insert);
    });
    edits = Math.min(i + editsPerChange, patches.length);
    if (now() - start > budgetMs) return { doc, done: edits === patches.length, edits };
  }
  return { doc, done: true, edits };
}

/** Heap retained by what `build` returns (needs --expose-gc; undefined without it). */
function heapOf(build: () => unknown): number | undefined {
  const before = retainedHeap();
  if (before === undefined) return undefined;
  const kept = build();
  const after = retainedHeap()!;
  // Keep `kept` alive across the measurement.
  if (kept === null) console.log('');
  return Math.max(0, after - before);
}

/** Parents, with one whose replica can be handed on (last child, same agent) first, to save a fork. */
function handOnFirst(parents: number[], remaining: number[], sameAgent: (p: number) => boolean): number[] {
  const k = parents.findIndex((p) => remaining[p] === 1 && sameAgent(p));
  if (k <= 0) return parents;
  const order = [...parents];
  [order[0], order[k]] = [order[k]!, order[0]!];
  return order;
}

/** Index of each agent's last transaction, by agent number. */
function lastTxnOfEachAgent(trace: EditingTrace): number[] {
  const last = new Map<number, number>();
  trace.txns.forEach((txn, i) => {
    last.set(txn.agent ?? 0, i);
  });
  return [...last.entries()].sort((a, b) => a[0] - b[0]).map(([, i]) => i);
}

/** Replays a concurrent trace with fork/edit/merge; returns the last replica of each agent. */
export function concurrentOurs(trace: EditingTrace): TextDocument[] {
  const remaining = trace.txns.map(() => 0);
  for (const txn of trace.txns) for (const p of txn.parents ?? []) remaining[p]!++;
  const lastOf = lastTxnOfEachAgent(trace);
  for (const i of lastOf) remaining[i]!++; // keep each agent's final replica
  const docs: (TextDocument | undefined)[] = [];
  trace.txns.forEach((txn, i) => {
    const agent = `agent-${txn.agent ?? 0}`;
    const parents = handOnFirst(txn.parents ?? [], remaining, (p) => docs[p]!.agent === agent);
    let doc: TextDocument;
    if (parents.length === 0) doc = new TextDocument({ agent });
    else {
      const base = docs[parents[0]!]!;
      const last = --remaining[parents[0]!]! === 0;
      if (last) docs[parents[0]!] = undefined;
      doc = last && base.agent === agent ? base : base.fork(agent);
      for (const p of parents.slice(1)) {
        doc.merge(docs[p]!);
        if (--remaining[p]! === 0) docs[p] = undefined;
      }
    }
    for (const [position, deleteCount, text] of txn.patches) {
      if (deleteCount > 0) doc.delete(position, deleteCount);
      if (text !== '') doc.insert(position, text);
    }
    docs[i] = doc;
  });
  return lastOf.map((i) => docs[i]!);
}

export function forkYjs(base: Y.Doc, clientID: number): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
  // Set the agent's id after loading: Yjs re-rolls an id that arrives in a remote update.
  doc.clientID = clientID;
  return doc;
}

export function concurrentYjs(trace: EditingTrace): Y.Doc[] {
  const remaining = trace.txns.map(() => 0);
  for (const txn of trace.txns) for (const p of txn.parents ?? []) remaining[p]!++;
  const lastOf = lastTxnOfEachAgent(trace);
  for (const i of lastOf) remaining[i]!++;
  const docs: (Y.Doc | undefined)[] = [];
  trace.txns.forEach((txn, i) => {
    const clientID = (txn.agent ?? 0) + 1;
    const parents = handOnFirst(txn.parents ?? [], remaining, (p) => docs[p]!.clientID === clientID);
    let doc: Y.Doc;
    if (parents.length === 0) {
      doc = new Y.Doc();
      doc.clientID = clientID;
    } else {
      const base = docs[parents[0]!]!;
      const last = --remaining[parents[0]!]! === 0;
      if (last) docs[parents[0]!] = undefined;
      doc = last && base.clientID === clientID ? base : forkYjs(base, clientID);
      // The parents may carry this agent's own earlier edits, and Yjs re-rolls a client id that
      // arrives in a remote update: merge under a throw-away id, then continue as the agent.
      doc.clientID = 1_000_000 + i;
      for (const p of parents.slice(1)) {
        const other = docs[p]!;
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)));
        if (--remaining[p]! === 0) docs[p] = undefined;
      }
      doc.clientID = clientID;
    }
    const text = doc.getText('text');
    for (const [position, deleteCount, insert] of txn.patches) {
      if (deleteCount > 0) text.delete(position, deleteCount);
      if (insert !== '') text.insert(position, insert);
    }
    docs[i] = doc;
  });
  return lastOf.map((i) => docs[i]!);
}

/** Median milliseconds per run of short tasks, alternating, after a longer warm-up than `medianMs`. */
async function shortMs(ours: () => unknown, peer: () => unknown, rounds: number): Promise<{ ours: number; peer: number }> {
  const r = await opsPerSecond(
    () => void ours(),
    () => void peer(),
    { iterations: 1, rounds, warmup: 5 },
  );
  return { ours: 1000 / r.ours, peer: 1000 / r.peer! };
}

/** Median of `rounds` timings of `run`, each after an untimed `prepare`. */
function timed<T>(prepare: () => T, run: (input: T) => unknown, rounds: number): number {
  const times: number[] = [];
  for (let r = 0; r < rounds + 1; r++) {
    const input = prepare();
    const start = now();
    run(input);
    if (r > 0) times.push(now() - start);
  }
  return median(times);
}

/** Every text CRDT benchmark row. */
export async function textBenchmarks(): Promise<BenchResult[]> {
  if (corpusMissing('text CRDT benchmark')) return [];
  const yjs = peerName('yjs');
  const automerge = peerName('@automerge/automerge');
  const rows: BenchResult[] = [];
  const paper = loadEditingTrace('automerge-paper');
  const edits = paper.txns.reduce((n, t) => n + t.patches.length, 0);

  // Replay one edit at a time.
  const replay = await medianMs(
    () => replayOurs(paper),
    () => replayYjs(paper),
    3,
  );
  rows.push(result({ case: 'text.replay automerge-paper', unit: 'ms', betterIs: 'lower', ours: replay.ours, peer: yjs, peerValue: replay.peer!, note: `${edits} edits, one call each` }));
  const am = replayAutomerge(paper, AUTOMERGE_BUDGET_MS);
  if (am.done) {
    const amMs = timed(
      () => null,
      () => replayAutomerge(paper, Number.POSITIVE_INFINITY),
      1,
    );
    rows.push(result({ case: 'text.replay automerge-paper', unit: 'ms', betterIs: 'lower', ours: replay.ours, peer: automerge, peerValue: amMs }));
  } else {
    rows.push(
      result({
        case: 'text.replay automerge-paper',
        unit: 'ms',
        betterIs: 'lower',
        ours: replay.ours,
        peer: null,
        note: `${automerge} skipped: one change per edit reached only ${am.edits} of ${edits} edits in ${AUTOMERGE_BUDGET_MS / 1000} s`,
      }),
    );
  }

  // Heap retained by the replayed document.
  const oursHeap = heapOf(() => replayOurs(paper));
  const yjsHeap = heapOf(() => replayYjs(paper));
  if (oursHeap !== undefined && yjsHeap !== undefined) {
    rows.push(result({ case: 'text.heap automerge-paper', unit: 'bytes', betterIs: 'lower', ours: oursHeap, peer: yjs, peerValue: yjsHeap, note: 'JS heap retained after forced GC' }));
  }

  // Encoded size of the final document, and loading it back.
  const ours = replayOurs(paper);
  const yDoc = replayYjs(paper);
  const ourBytes = encodeTextDocument(ours);
  const yBytes = Y.encodeStateAsUpdateV2(yDoc);
  rows.push(result({ case: 'text.encoded-size automerge-paper', unit: 'bytes', betterIs: 'lower', ours: ourBytes.length, peer: `${yjs} (encodeStateAsUpdateV2)`, peerValue: yBytes.length, note: `v1 update: ${Y.encodeStateAsUpdate(yDoc).length} bytes` }));
  // Automerge's saved size and load time, from a document built in batches of 1000 edits.
  const amDoc = replayAutomerge(paper, Number.POSITIVE_INFINITY, 1000).doc;
  const amBytes = Automerge.save(amDoc);
  rows.push(result({ case: 'text.encoded-size automerge-paper', unit: 'bytes', betterIs: 'lower', ours: ourBytes.length, peer: `${automerge} (save)`, peerValue: amBytes.length, note: 'automerge doc built with 1000 edits per change' }));
  if (decodeTextDocument(ourBytes, { agent: 'reader' }).toString() !== paper.endContent) throw new Error('decoded document differs');
  const load = await shortMs(
    () => decodeTextDocument(ourBytes, { agent: 'reader' }).toString(),
    () => {
      const doc = new Y.Doc();
      Y.applyUpdateV2(doc, yBytes);
      return doc.getText('text').toString();
    },
    21,
  );
  rows.push(result({ case: 'text.load automerge-paper', unit: 'ms', betterIs: 'lower', ours: load.ours, peer: `${yjs} (applyUpdateV2)`, peerValue: load.peer!, note: 'decode + read the text' }));
  const amLoad = await shortMs(
    () => decodeTextDocument(ourBytes, { agent: 'reader' }).toString(),
    () => Automerge.load<{ text: string }>(amBytes).text,
    9,
  );
  rows.push(result({ case: 'text.load automerge-paper', unit: 'ms', betterIs: 'lower', ours: amLoad.ours, peer: `${automerge} (load)`, peerValue: amLoad.peer! }));

  // The concurrent trace: the whole fork/edit/merge replay, then merging the two agents' replicas.
  const friends = loadEditingTrace('friendsforever');
  const concurrent = await medianMs(
    () => concurrentOurs(friends),
    () => concurrentYjs(friends),
    1,
  );
  rows.push(result({ case: 'text.concurrent-replay friendsforever', unit: 'ms', betterIs: 'lower', ours: concurrent.ours, peer: yjs, peerValue: concurrent.peer!, note: `${friends.txns.length} txns: fork, edit, merge per parents` }));
  const [oursA, oursB] = concurrentOurs(friends) as [TextDocument, TextDocument];
  const [yA, yB] = concurrentYjs(friends) as [Y.Doc, Y.Doc];
  const check = oursA.fork('check');
  check.merge(oursB);
  if (check.toString() !== friends.endContent) throw new Error('concurrent replay did not converge');
  const mergeOurs = timed(
    () => oursA.fork('merger'),
    (doc) => doc.merge(oursB),
    21,
  );
  const mergeYjs = timed(
    () => forkYjs(yA, 99),
    (doc) => Y.applyUpdate(doc, Y.encodeStateAsUpdate(yB, Y.encodeStateVector(doc))),
    21,
  );
  rows.push(
    result({
      case: 'text.merge friendsforever',
      unit: 'ms',
      betterIs: 'lower',
      ours: mergeOurs,
      peer: yjs,
      peerValue: mergeYjs,
      note: "merge one agent's final replica into the other's",
    }),
  );
  const everything = check;
  const yEverything = forkYjs(yA, 98);
  Y.applyUpdate(yEverything, Y.encodeStateAsUpdate(yB, Y.encodeStateVector(yEverything)));
  const intoEmpty = await shortMs(
    () => new TextDocument({ agent: 'empty' }).merge(everything),
    () => Y.applyUpdate(new Y.Doc(), Y.encodeStateAsUpdate(yEverything)),
    31,
  );
  rows.push(
    result({
      case: 'text.merge-into-empty friendsforever',
      unit: 'ms',
      betterIs: 'lower',
      ours: intoEmpty.ours,
      peer: yjs,
      peerValue: intoEmpty.peer!,
      note: 'merge the whole converged history into an empty replica (integrates every run)',
    }),
  );
  return rows;
}
