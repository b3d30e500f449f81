import { decodeTextDocument, decodeTextUpdate, encodeTextDocument, encodeTextUpdate, TextDocument, type TextUpdate } from '@lattice/crdt';
import { openWal, type WriteAheadLog } from '@lattice/wal';
import { EditorProtocolError, EditorStorageError } from './errors.js';

/** Record kinds in a document's log: an update as it arrived, or the whole state (a compaction). */
const UPDATE = 0;
const STATE = 1;

/**
 * One document, durable: every update the relay accepts is appended to a write-ahead log
 * (fsync'd, group-committed) before it is passed on; every `compactEvery` updates the whole state
 * is appended and the updates before it dropped, so a restart replays at most that many.
 */
export class DocumentLog {
  #doc: TextDocument;
  readonly #wal: WriteAheadLog;
  readonly #dir: string;
  readonly #compactEvery: number;
  #sinceState: number;

  private constructor(doc: TextDocument, wal: WriteAheadLog, compactEvery: number, sinceState: number, dir: string) {
    this.#doc = doc;
    this.#wal = wal;
    this.#compactEvery = compactEvery;
    this.#sinceState = sinceState;
    this.#dir = dir;
  }

  /** The relay's replica of the document (read it; change it only through `append`). */
  get doc(): TextDocument {
    return this.#doc;
  }

  /** Opens (or creates) the log in `dir` and rebuilds the document from it. */
  static async open(dir: string, compactEvery = 500): Promise<DocumentLog> {
    const wal = await openWal(dir);
    try {
      const { doc, sinceState } = await replay(wal, dir);
      return new DocumentLog(doc, wal, compactEvery, sinceState, dir);
    } catch (error) {
      await wal.close();
      throw error;
    }
  }

  /**
   * Applies `update` and resolves once it is on disk. Throws `EditorProtocolError`, changing
   * nothing, when the update is malformed or depends on characters this document does not have:
   * pages learn only through the relay, so a real update never waits for anything here.
   */
  async append(update: TextUpdate): Promise<void> {
    const pending = this.#doc.pending;
    try {
      this.#doc.applyUpdate(update); // a malformed update throws before changing anything
    } catch (error) {
      throw new EditorProtocolError('not a text update', { cause: error });
    }
    if (this.#doc.pending > pending) {
      // Forged: its parts now wait inside the replica. Rebuild it from the log (the slow path,
      // only for forgeries) rather than copying the document on every update to test first.
      this.#doc = (await replay(this.#wal, this.#dir)).doc;
      throw new EditorProtocolError('the update depends on characters that do not exist');
    }
    await this.#wal.append(framed(UPDATE, encodeTextUpdate(update)));
    if (++this.#sinceState >= this.#compactEvery) await this.#compact();
  }

  async #compact(): Promise<void> {
    this.#sinceState = 0;
    const index = await this.#wal.append(framed(STATE, encodeTextDocument(this.#doc)));
    await this.#wal.dropPrefix(index);
  }

  /** Records in the log (a state and the updates after it). */
  get records(): number {
    return this.#wal.lastIndex - this.#wal.firstIndex + 1;
  }

  close(): Promise<void> {
    return this.#wal.close();
  }
}

function framed(kind: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

/** The document a log holds: the last state record and the updates after it. */
async function replay(wal: WriteAheadLog, dir: string): Promise<{ doc: TextDocument; sinceState: number }> {
  // The relay's replica never types; its agent id only has to differ from the pages'.
  let doc = new TextDocument({ agent: 'relay' });
  let sinceState = 0;
  try {
    for await (const { index, data } of wal.entries()) {
      const body = data.subarray(1);
      if (data[0] === STATE) {
        doc = decodeTextDocument(body, { agent: 'relay' });
        sinceState = 0;
      } else if (data[0] === UPDATE) {
        doc.applyUpdate(decodeTextUpdate(body));
        sinceState++;
      } else throw new EditorStorageError(`record ${index} of ${dir} has unknown kind ${data[0]}`);
    }
  } catch (error) {
    throw error instanceof EditorStorageError ? error : new EditorStorageError(`cannot rebuild the document in ${dir}`, { cause: error });
  }
  return { doc, sinceState };
}
