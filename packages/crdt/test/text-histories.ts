/**
 * Random concurrent editing histories of 2–6 text replicas and the checks that every replica
 * ends the same, shared by the property test (`text-convergence.test.ts`, a few hundred
 * histories) and the soak run (`soak.ts`, thousands).
 */
import fc from 'fast-check';
import { decodeTextDocument, decodeTextUpdate, encodeTextDocument, encodeTextUpdate, TextDocument, type TextUpdate, type TextVersion, textDocumentToJSON } from '../src/index.js';

const replica = fc.nat(5);
/** Where in the text: the start and the end often (so concurrent inserts meet), else anywhere. */
const at = fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true }));
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é', '😀'), minLength: 1, maxLength: 4 });
const size = fc.integer({ min: 1, max: 5 });

export const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), replica, at, text }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), replica, at, size }) },
  // One character at a time, right to left and left to right: splits a run and re-joins the pieces.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete-backwards' as const), replica, at, size }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete-forwards' as const), replica, at, size }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sync' as const), replica, from: replica, via: fc.constantFrom('merge', 'update', 'bytes') }) },
  // Old and duplicate updates: a logged delta, or a delta computed against an outdated version.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), replica, from: replica, pick: fc.nat(), stale: fc.boolean() }) },
  // Reload a replica from its encoded state (rebuilds every index from scratch).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reload' as const), replica }) },
);
export type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** Histories of up to `maxSteps` steps (a few hundred make documents of several index leaves). */
export function histories(maxSteps: number): fc.Arbitrary<{ replicas: number; steps: Step[] }> {
  return fc.record({ replicas: fc.integer({ min: 2, max: 6 }), steps: fc.array(step, { minLength: 1, maxLength: maxSteps, size: 'max' }) });
}
export const history = histories(60);
export type History = typeof history extends fc.Arbitrary<infer T> ? T : never;

function fail(why: string): never {
  throw new Error(why);
}

/** Every character id (including tombstones) in document order, as "agent:seq". */
export function characterOrder(doc: TextDocument): string[] {
  const s = doc.toSnapshot();
  const out: string[] = [];
  for (let i = 0; i < s.agent.length; i++) {
    const name = s.agents[s.agent[i]!]!;
    for (let k = 0; k < s.len[i]!; k++) out.push(`${name}:${s.seq[i]! + k}`);
  }
  return out;
}

function position(fraction: number, length: number): number {
  return Math.min(length, Math.floor(fraction * (length + 1)));
}

function versionKey(version: TextVersion): string {
  return JSON.stringify(Object.entries(version).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * Runs `h` and checks, after a full pairwise sync: every replica has the same text, version and
 * encoded state (binary and JSON) as a replica that received every local edit in the order they
 * were made (a causal order) and as one that received them in reverse (all parked first);
 * nothing is pending; every local edit changed its replica's text exactly as a plain string
 * edit would; and the final character order keeps the relative order every replica ever showed
 * (a replica's view is always a sub-sequence of the final document).
 */
export function checkHistory(h: History): void {
  const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'].slice(0, h.replicas);
  const docs = names.map((agent) => new TextDocument({ agent }));
  const pick = (i: number): TextDocument => docs[i % docs.length]!;
  const edits: TextUpdate[] = [];
  const sent: TextUpdate[] = [];
  const versions: TextVersion[] = [{}];
  const views: string[][] = [];

  const local = (doc: TextDocument, edit: () => TextUpdate, expected: string[]): void => {
    const update = edit();
    edits.push(update);
    sent.push(update);
    const got = doc.toString();
    if (got !== expected.join('')) fail(`local edit on ${doc.agent}: text ${JSON.stringify(got)}, expected ${JSON.stringify(expected.join(''))}`);
  };

  for (const s of h.steps) {
    const index = s.replica % docs.length;
    const doc = docs[index]!;
    switch (s.kind) {
      case 'insert': {
        const chars = doc.toArray();
        const p = position(s.at, chars.length);
        chars.splice(p, 0, ...Array.from(s.text));
        local(doc, () => doc.insert(p, s.text), chars);
        break;
      }
      case 'delete':
      case 'delete-backwards':
      case 'delete-forwards': {
        if (doc.length === 0) break;
        const chars = doc.toArray();
        const p = Math.min(position(s.at, chars.length), chars.length - 1);
        const n = Math.min(s.size, chars.length - p);
        if (s.kind === 'delete') {
          chars.splice(p, n);
          local(doc, () => doc.delete(p, n), chars);
        } else {
          for (let k = 0; k < n; k++) {
            const where = s.kind === 'delete-backwards' ? p + n - 1 - k : p;
            chars.splice(where, 1);
            local(doc, () => doc.delete(where, 1), chars);
          }
        }
        break;
      }
      case 'sync': {
        const from = pick(s.from);
        if (from === doc) break;
        if (s.via === 'merge') doc.merge(from);
        else {
          const update = from.updateSince(doc.version());
          sent.push(update);
          doc.applyUpdate(s.via === 'bytes' ? decodeTextUpdate(encodeTextUpdate(update)) : update);
        }
        break;
      }
      case 'redeliver': {
        if (s.stale) {
          const update = pick(s.from).updateSince(versions[s.pick % versions.length]!);
          sent.push(update);
          doc.applyUpdate(decodeTextUpdate(encodeTextUpdate(update)));
        } else if (sent.length > 0) doc.applyUpdate(sent[s.pick % sent.length]!);
        break;
      }
      case 'reload': {
        docs[index] = decodeTextDocument(encodeTextDocument(doc), { agent: doc.agent });
        if (docs[index]!.toString() !== doc.toString()) fail(`reload of ${doc.agent} changed its text`);
        break;
      }
    }
    versions.push(docs[index]!.version());
    views.push(characterOrder(docs[index]!));
  }

  // Full sync: every ordered pair twice, alternating merge() and applyUpdate(updateSince()).
  for (let round = 0; round < 2; round++) {
    docs.forEach((to, i) => {
      docs.forEach((from, j) => {
        if (i === j) return;
        if ((i + j + round) % 2 === 0) to.merge(from);
        else to.applyUpdate(from.updateSince(to.version()));
      });
    });
  }

  const inOrder = new TextDocument({ agent: 'in-order' });
  for (const u of edits) {
    inOrder.applyUpdate(u);
    if (inOrder.pending !== 0) fail('an edit delivered in causal order had to wait');
  }
  const reversed = new TextDocument({ agent: 'reversed' });
  for (const u of [...edits].reverse()) reversed.applyUpdate(u);

  const expectedText = inOrder.toString();
  const expectedVersion = versionKey(inOrder.version());
  const expectedState = hex(encodeTextDocument(inOrder));
  const expectedJson = JSON.stringify(textDocumentToJSON(inOrder));
  for (const doc of [...docs, reversed]) {
    const who = doc.agent;
    if (doc.pending !== 0) fail(`${who}: ${doc.pending} operations still pending after a full sync`);
    if (doc.toString() !== expectedText) fail(`${who}: text ${JSON.stringify(doc.toString())}, in-order replica has ${JSON.stringify(expectedText)}`);
    if (versionKey(doc.version()) !== expectedVersion) fail(`${who}: version ${JSON.stringify(doc.version())}, expected ${expectedVersion}`);
    if (hex(encodeTextDocument(doc)) !== expectedState) fail(`${who}: encoded state differs from the in-order replica's`);
    if (JSON.stringify(textDocumentToJSON(doc)) !== expectedJson) fail(`${who}: JSON state differs from the in-order replica's`);
  }
  const restored = decodeTextDocument(encodeTextDocument(inOrder), { agent: 'restored' });
  if (hex(encodeTextDocument(restored)) !== expectedState) fail('decode then encode changed the state');

  const final = characterOrder(inOrder);
  const rank = new Map(final.map((id, i) => [id, i]));
  for (const view of views) {
    let last = -1;
    for (const id of view) {
      const r = rank.get(id) ?? fail(`character ${id} seen by a replica is missing from the final document`);
      if (r <= last) fail(`characters ${view.join(' ')} appear in another order in the final document ${final.join(' ')}`);
      last = r;
    }
  }
}
